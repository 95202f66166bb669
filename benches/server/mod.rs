//! The one server the load and peers harnesses drive: the same trivial handler on an open
//! route and behind each authentication configuration, so that the only difference between
//! two routes is authentication. This file is the only harness code that touches the
//! crate's API over HTTP; keep it small (the redesign has to port it).
//!
//! Started by the harnesses as `<bench binary> --serve` (pinned to a core with `taskset`),
//! configured through the environment:
//!
//! - `PORT`: the port on 127.0.0.1 (0: any free port);
//! - `BCRYPT_FILE`, `SHA_FILE`: htpasswd files holding [`USER`] (bcrypt cost 10, `{SHA}`);
//! - `REDIS_URL`: the Redis of the `/throttle-redis` route (the route is absent without it);
//! - `PEM_DIR`: the directory of `ec_private.pem` / `ec_public.pem` (ES256).
//!
//! Once listening it prints `token <route> <token>` for each token route, then
//! `ready <address>`, on standard output.

#![allow(unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{MethodRouter, get};
use serde::{Deserialize, Serialize};
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers};
use tower_httpauth::store::{CredentialCache, FileOptions, HashPolicy, HashedPasswords, Htpasswd};
use tower_httpauth::throttle::Throttle;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::token::jwt::{Jwt, JwtIssuer, JwtKey};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Multi, Verifier, constant_time_eq};

/// The user-id every authenticated route accepts.
pub const USER: &str = "bench";
/// Its password.
pub const PASSWORD: &str = "correct horse battery";
/// The realm of every scheme (Digest binds its nonces to it).
pub const REALM: &str = "bench";
/// The fixed Bearer token of `/bearer` and `/multi`.
pub const BEARER_TOKEN: &str = "mF_9.B5f-4.1JqM-0123456789abcdefghijklmnop";
/// The HMAC key of `/signed` and `/jwt-hs256`.
const SIGNING_KEY: &[u8] = b"bench signing key, 32 bytes or more";

/// The handler of every route.
async fn hello() -> &'static str {
    "hello\n"
}

#[derive(Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
}

/// The in-memory Basic verifier: a table lookup and a constant-time comparison, the user
/// handed on (what an application with its users in memory writes).
fn basic() -> Basic<impl Verifier<BasicCredentials, User = String> + Clone> {
    let users: Arc<[(String, String)]> = Arc::from(vec![(USER.to_owned(), PASSWORD.to_owned())]);
    Basic::new(move |c: BasicCredentials| {
        let users = users.clone();
        async move {
            let (stored, user) = match users.iter().find(|(name, _)| name == c.username()) {
                Some((name, password)) => (password.as_bytes(), Some(name)),
                None => (&b"-"[..], None),
            };
            let ok = constant_time_eq(c.password().as_bytes(), stored);
            user.filter(|_| ok).cloned()
        }
    })
    .realm(REALM)
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).map(PathBuf::from)
}

/// The routes, and the tokens the client needs (route, token).
async fn app() -> (Router, Vec<(&'static str, String)>) {
    let mut tokens = Vec::new();
    let mut routes: Vec<(&'static str, MethodRouter)> = vec![
        ("/open", get(hello)),
        ("/basic", get(hello).route_layer(AuthLayer::new(basic()))),
        (
            "/bearer",
            get(hello).route_layer(AuthLayer::new(
                Bearer::new(StaticTokens::new().with(BEARER_TOKEN, USER)).realm(REALM),
            )),
        ),
        (
            "/multi",
            get(hello).route_layer(AuthLayer::new(
                Multi::new(basic()).or(Bearer::new(StaticTokens::new().with(BEARER_TOKEN, USER)).realm(REALM)),
            )),
        ),
        (
            "/throttle-memory",
            get(hello).route_layer(AuthLayer::new(basic()).throttle(Throttle::new())),
        ),
    ];

    let signed = SignedTokens::new("k1", SIGNING_KEY.to_vec()).ttl(Duration::from_secs(24 * 3600));
    tokens.push(("/signed", signed.issue(USER).expect("issue a signed token")));
    routes.push((
        "/signed",
        get(hello).route_layer(AuthLayer::new(Bearer::new(signed).realm(REALM))),
    ));

    let hs = JwtKey::hs256(SIGNING_KEY).expect("HS256 key");
    let claims = Claims { sub: USER.into() };
    let issuer = JwtIssuer::new(hs).access_ttl(Duration::from_secs(24 * 3600));
    tokens.push(("/jwt-hs256", issuer.access_token(&claims).expect("HS256 token")));
    let jwt = Jwt::<Claims>::new().key(JwtKey::hs256(SIGNING_KEY).expect("HS256 key"));
    routes.push((
        "/jwt-hs256",
        get(hello).route_layer(AuthLayer::new(Bearer::new(jwt).realm(REALM))),
    ));

    let pem_dir = env_path("PEM_DIR").unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data").into());
    let pem = |name: &str| std::fs::read(pem_dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"));
    let es = JwtKey::es256_pem(&pem("ec_private.pem"), &pem("ec_public.pem")).expect("ES256 key");
    let issuer = JwtIssuer::new(es).access_ttl(Duration::from_secs(24 * 3600));
    tokens.push(("/jwt-es256", issuer.access_token(&claims).expect("ES256 token")));
    let jwt = Jwt::<Claims>::new()
        .key(JwtKey::es256_public_pem(&pem("ec_public.pem")).expect("ES256 key"))
        // The issuer above sets no audience; a public-key verifier must say so.
        .any_audience();
    routes.push((
        "/jwt-es256",
        get(hello).route_layer(AuthLayer::new(Bearer::new(jwt).realm(REALM))),
    ));

    for (path, algorithm, info) in [
        ("/digest-sha256", Algorithm::Sha256, true),
        ("/digest-md5", Algorithm::Md5, true),
        ("/digest-sha256-noinfo", Algorithm::Sha256, false),
    ] {
        let users = DigestUsers::new(REALM).with_password(USER, PASSWORD);
        let digest = Digest::new(users)
            .realm(REALM)
            .algorithms([algorithm])
            .authentication_info(info);
        routes.push((path, get(hello).route_layer(AuthLayer::new(digest))));
    }

    // htpasswd files may be large in the growth runs; here they hold one user.
    let options = FileOptions::default();
    if let Some(file) = env_path("BCRYPT_FILE") {
        for (path, cache) in [("/bcrypt", true), ("/bcrypt-nocache", false)] {
            let users = Htpasswd::open_with(&file, options.clone()).expect("bcrypt htpasswd file");
            let users = users.cache(cache.then(CredentialCache::default));
            routes.push((
                path,
                get(hello).route_layer(AuthLayer::new(Basic::new(users).realm(REALM))),
            ));
        }
    }
    if let Some(file) = env_path("SHA_FILE") {
        let users = Htpasswd::open_with(&file, options).expect("{SHA} htpasswd file");
        routes.push((
            "/sha1",
            get(hello).route_layer(AuthLayer::new(Basic::new(users).realm(REALM))),
        ));
    }

    // Argon2id with the crate's default policy (OWASP: 19 MiB, t=2, p=1), the cache on.
    let hash: Arc<str> = Arc::from(HashPolicy::default().hash(PASSWORD).expect("Argon2id hash"));
    let argon = HashedPasswords::new(move |name: String| {
        let hash = hash.clone();
        async move { (name == USER).then_some((name, hash)) }
    });
    routes.push((
        "/argon2",
        get(hello).route_layer(AuthLayer::new(Basic::new(argon).realm(REALM))),
    ));

    if let Ok(url) = std::env::var("REDIS_URL") {
        let redis = tower_httpauth::redis::Redis::open(&url).expect("Redis URL");
        let throttle = Throttle::with_store(redis.throttle_store());
        routes.push((
            "/throttle-redis",
            get(hello).route_layer(AuthLayer::new(basic()).throttle(throttle)),
        ));
    }

    let router = routes
        .into_iter()
        .fold(Router::new(), |r, (path, route)| r.route(path, route));
    (router, tokens)
}

/// Serves until killed.
pub fn serve() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(0);
    // One worker per CPU the process may run on: pinned to one core, one worker.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let (router, tokens) = app().await;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        for (route, token) in tokens {
            println!("token {route} {token}");
        }
        println!("ready {addr}");
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .expect("serve");
    });
}
