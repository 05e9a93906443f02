//! Integration tests of lego-sandbox: real processes on a small repository each test makes.

// The fixture repository is made with git.
#![allow(clippy::disallowed_methods)]
// Test helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod hostile;
mod local;
mod repo;
mod tools;
