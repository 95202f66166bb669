//! Token authentication with axum: log in once with Basic, then use a signed, expiring
//! Bearer token; an API-key route; and a route accepting Basic or Bearer.
//!
//! ```sh
//! cargo run --example axum_token        # http://127.0.0.1:3003 (PORT overrides)
//! ```
//!
//! It prints the curl commands of the whole flow. Users: `john` / `hello` and `susan` / `bye`;
//! the API key is `demo-key-123`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::token::Claims;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::{
    AuthFailure, AuthLayer, AuthUser, Basic, BasicCredentials, Bearer, Multi, Token, constant_time_eq, sync_fn,
};

/// The demo's user store: user-id and password. A real application keeps password hashes
/// (see `tower_httpauth::basic::Passwords`).
const USERS: &[(&str, &str)] = &[("john", "hello"), ("susan", "bye")];

fn check_password(c: &BasicCredentials) -> Option<String> {
    let mut found = None;
    for (user, password) in USERS {
        // Compare every entry in constant time, so timing does not reveal which users exist.
        let ok = constant_time_eq(c.username().as_bytes(), user.as_bytes())
            & constant_time_eq(c.password().as_bytes(), password.as_bytes());
        if ok {
            found = Some((*user).to_owned());
        }
    }
    found
}

/// The demo's routes, signing with `secret` (at least 32 bytes).
pub fn app(secret: Vec<u8>) -> Router {
    let tokens = SignedTokens::new("demo-1", secret).ttl(Duration::from_secs(3600));

    let basic = || Basic::new(|c: BasicCredentials| async move { check_password(&c) }).realm("tokens demo");

    // POST /login: Basic credentials in, a signed token out.
    let issuer = tokens.clone();
    let login = post(move |AuthUser(user): AuthUser<String>| {
        let issuer = issuer.clone();
        async move {
            match issuer.issue(&user) {
                Ok(token) => (
                    [(CONTENT_TYPE, "application/json")],
                    format!(
                        r#"{{"token": "{token}", "expires_in": {}}}"#,
                        issuer.token_ttl().as_secs()
                    ),
                )
                    .into_response(),
                Err(e) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
            }
        }
    })
    .route_layer(AuthLayer::new(basic()));

    // GET /protected: Bearer tokens issued by /login; the user is the token's claims.
    let protected = get(|AuthUser(claims): AuthUser<Claims>| async move {
        format!(
            "Hello, {}! Your token expires at {} (Unix time).\n",
            claims.subject(),
            claims.expires_at()
        )
    })
    .route_layer(AuthLayer::new(Bearer::new(tokens.clone()).realm("tokens demo")));

    // GET /api-key: a fixed API key in `X-API-Key`.
    let api_key = get(|AuthUser(name): AuthUser<String>| async move { format!("Hello, {name} (API key)!\n") })
        .route_layer(AuthLayer::new(
            Bearer::api_key("X-API-Key", StaticTokens::new().with("demo-key-123", "demo")).realm("tokens demo"),
        ));

    // GET /either: Basic or Bearer, one layer; both schemes yield the user name. A refused
    // token is an `AuthFailure` (401 invalid_token with the reason as its description), never
    // an error type: any error type would mean the verifier itself failed (500).
    let verifier = tokens.clone();
    let bearer_name = Bearer::new(sync_fn(move |t: &Token| {
        verifier
            .verify(t.as_str())
            .map(|claims| claims.subject().to_owned())
            .map_err(|e| AuthFailure::invalid().with_description(e.description()))
    }))
    .realm("tokens demo");
    let either = get(|AuthUser(name): AuthUser<String>| async move { format!("Hello, {name} (Basic or Bearer)!\n") })
        .route_layer(AuthLayer::new(Multi::new(basic()).or(bearer_name)));

    Router::new()
        .route("/login", login)
        .route("/protected", protected)
        .route("/api-key", api_key)
        .route("/either", either)
}

#[tokio::main]
async fn main() {
    // The signing key comes from the environment in real deployments; this demo falls back
    // to a fixed key, so tokens survive a restart of the example.
    let secret = std::env::var("TOKEN_SECRET").unwrap_or_else(|_| "demo signing key: change me, 32+ bytes!".into());
    let app = app(secret.into_bytes());

    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3003);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    println!("Tokens on axum at {base} (Ctrl-C stops)\n");
    println!("# 1. Log in with Basic, keep the token:");
    println!(
        "TOKEN=$(curl -s -X POST -u john:hello {base}/login | sed -E 's/.*\"token\": \"([^\"]+)\".*/\\1/'); echo $TOKEN"
    );
    println!("# 2. Use it:");
    println!("curl -i --oauth2-bearer \"$TOKEN\" {base}/protected");
    println!("# 3. Without it (401 with a Bearer challenge), and with a bad one (invalid_token):");
    println!("curl -i {base}/protected");
    println!("curl -i -H 'Authorization: Bearer nope' {base}/protected");
    println!("# 4. API key:");
    println!("curl -i -H 'X-API-Key: demo-key-123' {base}/api-key");
    println!("# 5. Basic or Bearer on one route (without credentials: both challenges):");
    println!("curl -i -u susan:bye {base}/either");
    println!("curl -i --oauth2-bearer \"$TOKEN\" {base}/either");
    println!("curl -i {base}/either");

    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("server");
}
