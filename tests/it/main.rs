//! The in-process behaviour tests, one binary (one link) with a module per area. Tests that
//! drive outside programs are in `tests/interop`; the allocation count, which installs its
//! own global allocator, is `tests/alloc.rs`; the examples' tests are in `examples/tests`.

#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/mod.rs"]
mod support;

mod basic;
mod bearer;
mod digest;
mod hostile;
mod multi;
mod precis;
mod proxy;
mod responses;
mod store_hash;
mod store_htdigest;
mod store_htpasswd;
mod throttle;
mod throttle_schemes;
mod token;
mod token_jwt;
mod wrong_user_type;
