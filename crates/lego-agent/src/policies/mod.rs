//! The policies lego-agent ships (the `local` one, which needs libtorch, is in
//! `lego-agent-local`).

pub mod openai;
pub mod scripted;
