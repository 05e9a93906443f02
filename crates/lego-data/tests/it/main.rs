//! Integration tests of lego-data: one binary, one module per area.

mod env;
mod tokenizer;
