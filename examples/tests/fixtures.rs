//! The independent Digest client of the crate's own tests.
#![allow(dead_code, unreachable_pub)]

#[path = "../../tests/fixtures/digest.rs"]
pub mod digest;
