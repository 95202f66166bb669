//! The examples, compiled into the tests as modules (their `main` unused).
#![allow(dead_code, unreachable_pub)]

#[path = "../axum_basic.rs"]
pub mod axum_basic;
#[path = "../axum_digest.rs"]
pub mod axum_digest;
#[path = "../axum_token.rs"]
pub mod axum_token;
#[path = "../forward_proxy.rs"]
pub mod forward_proxy;
#[path = "../rest_api.rs"]
pub mod rest_api;
#[path = "../tenants.rs"]
pub mod tenants;
