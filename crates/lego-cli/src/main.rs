//! The `lego` binary: the command-line contract of DESIGN.md over the library crates.

fn main() {}
