//! HTTP authentication for every tower-based server (axum, hyper, tonic), as one tower
//! [`Layer`](tower_layer::Layer): Basic, Digest, Bearer tokens and API keys, several schemes
//! on one route, signed tokens and JWT, with your own async verification, roles, optional
//! authentication, customisable failures and constant-time comparisons.
//!
//! `cargo run --example rest_api` runs a complete REST API (users in SQLite, Argon2id
//! hashes, Basic, tokens, roles, Digest); the README walks through it.
//!
//! # Quick start (axum)
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String, roles: Vec<String> }
//!
//! // Your verifier: look the user up, check the password, return the user (or None).
//! let basic = Basic::new(|c: BasicCredentials| async move {
//!     let ok = c.username() == "susan" && constant_time_eq(c.password().as_bytes(), b"bye");
//!     ok.then(|| User { name: "susan".into(), roles: vec!["admin".into()] })
//! })
//! .realm("api");
//!
//! let auth = AuthLayer::new(basic).roles_from(|u: &User| u.roles.clone());
//!
//! async fn me(AuthUser(user): AuthUser<User>) -> String {
//!     format!("Hello, {}!", user.name)
//! }
//!
//! let app: Router = Router::new()
//!     .route("/admin", get(|| async { "admin area" }).route_layer(auth.clone().require_role("admin")))
//!     .route("/me", get(me).route_layer(auth))
//!     .route("/", get(|| async { "public" }));
//! ```
//!
//! # Guide
//!
//! | you want | read |
//! |---|---|
//! | Basic (RFC 7617) with your own lookup | [`basic`]: [`Basic`], [`Passwords`], [`StaticCredentials`] |
//! | Digest (RFC 7616): SHA-256, MD5, `-sess`, `auth-int`, replay protection | [`digest`]: [`Digest`](digest::Digest), [`DigestUsers`](digest::DigestUsers) |
//! | Bearer tokens (RFC 6750), API-key headers, token cookies | [`bearer`]: [`Bearer`], [`StaticTokens`] |
//! | several schemes on one route | [`multi`]: [`Multi`] |
//! | log in once, then signed expiring tokens; JWT (`jwt` feature) | [`token`]: [`SignedTokens`], [`Claims`], `token::jwt` |
//! | roles: one, any-of, all-of, nested | [`roles`]: [`Requirement`], [`AuthLayer::roles`] |
//! | optional authentication, exempt methods, per-route layers | [`AuthLayer`] |
//! | a forward proxy's authentication (`407`, `Proxy-Authorization`) | [`AuthLayer::proxy`] |
//! | a verifier that never waits, as a plain closure | [`sync_fn`] |
//! | your own error responses (JSON, HTML, gRPC statuses) | [`failure`]: [`FailureKind`], [`AuthLayer::on_failure`] |
//! | password hashes, htpasswd and htdigest files | `store` (features `password-hash`, `htpasswd`, `htdigest`, `tokio`) |
//! | internationalized user-ids and passwords (RFC 8265, on by default): what to store | [`precis`]: [`precis::username`], [`precis::password`], [`Precis`] |
//! | the header grammar (auth-params, token68, challenges) | [`header`] |
//! | a scheme of your own | [`scheme`]: [`Scheme`] |
//! | several instances behind a load balancer: replays, throttle counts, revocations shared in Redis | `redis` (feature `redis`) |
//!
//! # What happens to a request
//!
//! 1. Exempt requests (by default only CORS preflights, and nothing in proxy mode) pass
//!    untouched.
//! 2. The scheme parses the credentials and your verifier checks them.
//! 3. On routes with a [`Requirement`], your roles hook is asked; a user without the roles
//!    gets `403`.
//! 4. The user is inserted into the request extensions as [`AuthUser<U>`] (an axum
//!    extractor with the `axum` feature).
//!
//! Failures are kept apart: no or wrong credentials → `401` with a challenge; malformed
//! credentials → `400`; not allowed → `403`; the verifier failed (its database is down) →
//! `500`, logged through `tracing`, never a `401` and never a pass. The default responses
//! ([`DefaultFailure`](failure::DefaultFailure)) carry a one-line `text/plain` body naming the status; see
//! [`FailureKind`] and [`AuthLayer::on_failure`] to build your own responses.
//!
//! # Feature flags
//!
//! | feature | what it adds |
//! |---|---|
//! | `axum` | [`AuthUser`] as an axum extractor, `Option<AuthUser<U>>` on optional routes |
//! | `password-hash` | `store::HashedPasswords`, `store::HashPolicy` (Argon2id hashing, Argon2 verification), the credential cache |
//! | `scrypt`, `pbkdf2`, `bcrypt` | `password-hash`, and verification of that format's hashes |
//! | `htpasswd` | `store::Htpasswd`: Apache htpasswd files (every format `htpasswd` writes; plaintext on opt-in) |
//! | `htdigest` | `store::Htdigest`: Apache htdigest files (MD5 HA1) for Digest |
//! | `tokio` | slow password hashes run on tokio's blocking pool under a concurrency limit; htpasswd and htdigest files reloaded on change by a background task (without it, by their `reload()`) |
//! | `jwt` | JSON Web Tokens (`token::jwt`): HS256, RS256, ES256, EdDSA verification and issuing |
//! | `redis` | state shared by a fleet in Redis (`redis::Redis`): the Digest replay store, the throttle counts, a token revocation list |
//!
//! None is on by default.
//!
//! # Security notes
//!
//! - Basic sends passwords in clear text: serve it over TLS only.
//! - Instances behind one load balancer share the Digest secret and the token keys.
//! - Compare secrets with [`constant_time_eq`]; the built-in verifiers do.
//! - Credentials never appear in `Debug` output, in [`AuthFailure`] or in logs.
//! - The crate has no `unsafe` code, bounds the size of the headers it reads, and answers
//!   malformed input with `4xx`, never a panic.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod basic;
pub mod bearer;
mod bounded;
mod compare;
pub mod digest;
pub mod failure;
pub mod header;
mod layer;
pub mod multi;
pub mod precis;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
pub mod roles;
pub mod scheme;
#[cfg(any(feature = "password-hash", feature = "htpasswd", feature = "htdigest"))]
pub mod store;
pub mod throttle;
pub mod token;
mod user;
pub mod verify;

pub use basic::{Basic, BasicCredentials, Passwords, StaticCredentials};
pub use bearer::{Bearer, StaticTokens, Token};
pub use compare::constant_time_eq;
pub use failure::{AuthFailure, FailureKind};
pub use layer::{AuthLayer, AuthService, ResponseFuture};
pub use multi::{Multi, Or};
pub use precis::Precis;
pub use roles::Requirement;
pub use scheme::{AuthRequest, Authenticated, Scheme};
pub use token::{Claims, SignedTokens};
pub use user::AuthUser;
#[cfg(feature = "axum")]
pub use user::MissingAuthUser;
pub use verify::{BoxVerifier, Verifier, sync_fn, with_request};

/// A boxed error, as returned by verifiers and hooks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
