//! The policies lego ships.

pub mod scripted;
