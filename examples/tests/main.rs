//! The examples' tests, one binary: each example over TCP as its doc comment drives it, with
//! curl, wget, python requests and headless Chromium where the walk-through uses them. Run by
//! the crate's test harness (`tests/support/harness.rs`): a test whose program is missing is
//! reported as `ignored (needs curl)`, and fails under `CI=true`.

#[path = "../../tests/support/mod.rs"]
mod support;

mod example;
mod fixtures;

mod axum_basic;
mod axum_token;
mod browser;
mod forward_proxy;
mod rest_api;
mod tenants;

fn main() {
    support::harness::run(&[
        axum_basic::TESTS,
        axum_token::TESTS,
        browser::TESTS,
        forward_proxy::TESTS,
        rest_api::TESTS,
        tenants::TESTS,
    ])
}
