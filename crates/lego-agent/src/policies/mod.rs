//! The policies lego ships.

pub mod openai;
pub mod scripted;
