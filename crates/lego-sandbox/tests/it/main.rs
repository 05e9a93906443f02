//! Integration tests of lego-sandbox.
