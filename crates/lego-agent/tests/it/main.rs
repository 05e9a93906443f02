//! lego-agent integration tests.
