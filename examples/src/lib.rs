//! Example programs live in `examples/examples/`; run one with
//! `cargo run -p lego-examples --example NAME`.
