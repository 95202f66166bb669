//! HTTP authentication for every tower-based server (axum, hyper, tonic), as one tower
//! [`Layer`](tower_layer::Layer): Basic, Digest, Bearer tokens and API keys, several schemes
//! on one route, signed tokens and JWT, with your own async verification, roles, optional
//! authentication, customisable failures and constant-time comparisons.
//!
//! ```sh
//! cargo add tower-httpauth -F axum    # the `axum` feature makes `AuthUser` an extractor
//! ```
//!
//! Without the `axum` feature, `AuthUser<U>` in a handler's arguments fails to compile with a
//! long "the trait `Handler<_, _>` is not implemented" error: that error means "turn the
//! feature on". Hyper, tonic and other tower servers need no feature: they read the user with
//! [`AuthUser::from_request`].
//!
//! # Quick start (axum)
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String, admin: bool }
//!
//! #[tokio::main]
//! async fn main() {
//!     // Your verifier: look the user up, compare the password in constant time, and return
//!     // the user (or `None` for wrong credentials).
//!     let basic = Basic::new(|c: BasicCredentials| async move {
//!         let (password, admin) = match c.username() {
//!             "susan" => ("bye", true),
//!             "john" => ("hello", false),
//!             _ => return None,
//!         };
//!         constant_time_eq(c.password().as_bytes(), password.as_bytes())
//!             .then(|| User { name: c.username().to_owned(), admin })
//!     })
//!     .realm("api");
//!     let auth = AuthLayer::new(basic).roles_from(|u: &User| if u.admin { vec!["admin"] } else { vec![] });
//!
//!     let app = Router::new()
//!         .route("/me", get(|AuthUser(u): AuthUser<User>| async move { format!("Hello, {}!\n", u.name) }))
//!         .route_layer(auth.clone())
//!         .route("/admin", get(|| async { "admin area\n" }).route_layer(auth.require_role("admin")));
//!
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//!     axum::serve(listener, app).await.unwrap();
//! }
//! ```
//!
//! ```sh
//! curl -u john:hello http://127.0.0.1:3000/me       # 200 Hello, john!
//! curl -u john:hello http://127.0.0.1:3000/admin    # 403: john is no admin
//! curl -u susan:bye http://127.0.0.1:3000/admin     # 200 admin area
//! curl -i http://127.0.0.1:3000/me                  # 401, WWW-Authenticate: Basic realm="api", charset="UTF-8"
//! ```
//!
//! # Which scheme do I want
//!
//! | you have | use |
//! |---|---|
//! | users with passwords, any client (curl `-u`, browsers, scripts) over TLS | [`Basic`] with your lookup, [`basic::Passwords`], or a `store` |
//! | passwords that must never cross the wire, even hashed only once (no TLS termination you trust) | [`Digest`] (RFC 7616; SHA-256 and MD5 for old clients) |
//! | API clients with tokens you issue or an identity provider issues | [`Bearer`] with your check, [`token::SignedTokens`], or `token::jwt` (feature `jwt`) |
//! | machine clients with a fixed key in a header | [`Bearer::api_key`] with [`bearer::StaticTokens`] |
//! | one fixed credential in front of a whole service | [`basic::StaticCredentials`] with [`AuthLayer::insert_user`]`(false)` |
//! | browsers and API clients on the same routes | [`Multi`]: `Multi::new(basic).or(bearer)` |
//! | a forward proxy | any of these with [`AuthLayer::proxy`] |
//!
//! # The pieces
//!
//! - A **scheme** ([`Basic`], [`Digest`], [`Bearer`], [`Multi`], or your own [`Scheme`]) reads
//!   the credentials and writes the challenges.
//! - A **verifier** checks the credentials and returns the user. It is usually an async
//!   closure; [`sync_fn`] takes a plain closure, [`with_request`] one that also sees the
//!   request head, [`BoxVerifier`] any of them behind one nameable type. What a verifier
//!   returns means exactly one thing each ([`verify`]):
//!
//!   | return | answer |
//!   |---|---|
//!   | `Some(user)`, `Ok(Some(user))`, `Ok(user)` | the request goes on with the user |
//!   | `None`, `Ok(None)` | `401` with the challenge: wrong credentials |
//!   | `Err(AuthFailure)` | a refusal as the [`AuthFailure`] says (`401` with a description the client sees, `403`, …) |
//!   | `Err(e)` for any other error | **your verifier failed** (its database is down): `500`, logged, never `401`, never a pass |
//!
//! - One [`AuthLayer`] with a handful of refinements: roles and what a route requires,
//!   optional authentication, exemptions, your own failure responses, throttling, proxy mode.
//!   Clones are cheap and share the verifier, so one layer serves many routes.
//! - [`AuthUser<U>`] in the handler.
//!
//! # What happens to a request
//!
//! | situation | status | challenge |
//! |---|---|---|
//! | exempt (by default only CORS preflights; nothing in proxy mode) | the inner service answers | – |
//! | no credentials (or another scheme's) | 401 | yes |
//! | wrong credentials | 401 | yes |
//! | malformed header, several credentials fields, control characters | 400 | yes |
//! | a credentials field longer than the bound (4096 bytes by default) | 431 | no |
//! | authenticated, lacking the role | 403 | yes (as Flask-HTTPAuth does) |
//! | the verifier, roles hook or a store failed | 500 | no |
//! | optional route, no credentials | passes, no user | – |
//! | optional route, wrong credentials | 401 | yes |
//! | credentials for a locked user-id or address (throttle attached) | 429 + `Retry-After` | no |
//!
//! The default responses carry a one-line `text/plain` body naming the status; build your own
//! with [`AuthLayer::on_failure`] (the layer still adds the challenges and `Retry-After`).
//! Refusals are logged through `tracing` at `debug`, verifier failures at `error`, never with
//! a credential.
//!
//! # Guide
//!
//! | you want | read |
//! |---|---|
//! | Basic (RFC 7617) with your own lookup | [`basic`] |
//! | Digest (RFC 7616): SHA-256, MD5, `-sess`, `auth-int`, replay protection, the clients that work | [`digest`] |
//! | Bearer tokens (RFC 6750), API-key headers, token cookies, query tokens | [`bearer`] |
//! | several schemes on one route | [`multi`] |
//! | log in once, then signed expiring tokens; JWT (feature `jwt`) | [`token`] |
//! | the verifier contract: closures, `sync_fn`, `with_request`, `BoxVerifier` | [`verify`] |
//! | roles: one, any-of, all-of, nested | [`roles`], [`AuthLayer::roles`] |
//! | optional authentication, exemptions, per-route layers, proxy mode | [`AuthLayer`] |
//! | your own error responses (JSON, HTML, gRPC statuses) | [`failure`] |
//! | slowing down password guessing | [`throttle`] |
//! | password hashes, htpasswd and htdigest files | `store` (features `password-hash`, `htpasswd`, `htdigest`) |
//! | several instances behind a load balancer: replays, throttle counts, revocations in Redis | `redis` (feature `redis`) |
//! | internationalized user-ids and passwords (RFC 8265, on by default): what to store | [`precis`] |
//! | a scheme of your own; the header grammar | [`scheme`], [`header`] |
//!
//! # Feature flags
//!
//! | feature | what it adds |
//! |---|---|
//! | `axum` | [`AuthUser`] as an axum extractor, `Option<AuthUser<U>>` on optional routes; the throttle reads axum's `ConnectInfo` |
//! | `password-hash` | `store::HashedPasswords`, `store::HashPolicy` (Argon2id hashing, Argon2 verification), the credential cache |
//! | `scrypt`, `pbkdf2`, `bcrypt` | `password-hash`, and verification of that format's hashes |
//! | `htpasswd` | `store::Htpasswd`: Apache htpasswd files (every format `htpasswd` writes; plaintext on opt-in) |
//! | `htdigest` | `store::Htdigest`: Apache htdigest files (MD5 HA1) for Digest |
//! | `tokio` | slow password hashes on tokio's blocking pool under a concurrency limit; htpasswd and htdigest files reloaded on change by a background task (without it, by their `reload()`) |
//! | `jwt` | JSON Web Tokens (`token::jwt`): HS256, RS256, ES256, EdDSA verification and issuing |
//! | `redis` | state shared by a fleet in Redis (`redis::Redis`): the Digest replay store, the throttle counts, a token revocation list |
//!
//! None is on by default: the core (Basic, Digest, Bearer, `Multi`, signed tokens) needs none.
//!
//! # Security notes
//!
//! - Basic and Bearer send their secrets on every request: serve them over TLS only.
//! - Instances behind one load balancer share the Digest secret and the token keys.
//! - Compare secrets with [`constant_time_eq`]; the built-in verifiers and stores do.
//! - Credentials never appear in `Debug` output, in [`AuthFailure`] or in logs.
//! - The crate has no `unsafe` code, bounds the size of what it reads, and answers malformed
//!   input with `4xx`, never a panic. Stores that fail are answered `500`: the crate fails
//!   closed. `SECURITY.md` has the threat model.

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
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "password-hash", feature = "htpasswd", feature = "htdigest")))
)]
pub mod store;
pub mod throttle;
pub mod token;
mod user;
pub mod verify;

pub use basic::{Basic, BasicCredentials};
pub use bearer::{Bearer, Token};
pub use compare::constant_time_eq;
pub use digest::Digest;
pub use failure::{AuthFailure, FailureKind};
pub use layer::{AuthLayer, AuthService, ResponseFuture};
pub use multi::Multi;
pub use roles::Requirement;
pub use scheme::Scheme;
pub use user::AuthUser;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use user::MissingAuthUser;
pub use verify::{BoxVerifier, Verifier, sync_fn, with_request};

/// A boxed error, as returned by verifiers and hooks.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
