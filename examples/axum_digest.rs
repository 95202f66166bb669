//! HTTP Digest (RFC 7616) with axum.
//!
//! ```sh
//! cargo run --example axum_digest       # http://127.0.0.1:3002 (PORT overrides)
//! curl --digest -u 'Mufasa:Circle of Life' http://127.0.0.1:3002/protected
//! ```
//!
//! It prints a curl walk-through for the address it listens on, and the same login from
//! python `requests` and `httpx`. Users: `Mufasa` / `Circle of Life` and `john` / `hello`.
//!
//! Users are stored as H(A1) per algorithm, never as passwords. H(A1) is still a
//! password-equivalent for this realm: protect it like one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tower_httpauth::digest::{Algorithm, Digest, DigestLookup, DigestUser};
use tower_httpauth::{AuthLayer, AuthUser};

const REALM: &str = "http-auth@example.org";

/// (username, base algorithm) → H(A1), as a user database would hold them.
type Ha1Table = HashMap<(String, Algorithm), String>;

fn ha1_table() -> Ha1Table {
    let mut table = HashMap::new();
    for (user, password) in [("Mufasa", "Circle of Life"), ("john", "hello")] {
        for alg in [Algorithm::Sha256, Algorithm::Md5, Algorithm::Sha512_256] {
            // Computed once here; a real application stores only these hashes.
            table.insert((user.to_owned(), alg), alg.ha1(user, REALM, password));
        }
    }
    table
}

async fn protected(AuthUser(user): AuthUser<String>) -> String {
    format!("Hello, {user}! You are authenticated with HTTP Digest.\n")
}

/// The example's application: `/` public, `/protected` for Mufasa and john (Digest).
pub fn app() -> Router {
    let table = Arc::new(ha1_table());
    let digest = Digest::new(move |lookup: DigestLookup| {
        let table = table.clone();
        async move {
            let key = (lookup.username().to_owned(), lookup.algorithm().base());
            table
                .get(&key)
                .map(|ha1| DigestUser::with_ha1(lookup.username().to_owned(), ha1.clone()))
        }
    })
    .realm(REALM); // default offer: SHA-256, then MD5, qop="auth"

    Router::new()
        .route("/protected", get(protected))
        .layer(AuthLayer::new(digest))
        .route("/", get(|| async { "public; try /protected\n" }))
}

#[tokio::main]
async fn main() {
    let app = app();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3002);
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}/protected", listener.local_addr().expect("local address"));
    println!("Digest (SHA-256, then MD5) on axum at {url} (Ctrl-C stops)\n");
    println!("# 1. Without credentials: 401 with two Digest challenges (SHA-256, then MD5):");
    println!("curl -i {url}");
    println!("# 2. curl answers the first challenge it supports: 200 Hello, Mufasa!");
    println!("curl -i --digest -u 'Mufasa:Circle of Life' {url}");
    println!("curl -i --digest -u 'john:hello' {url}");
    println!("# 3. A wrong password: 401 again:");
    println!("curl -i --digest -u 'john:wrong' {url}");
    println!("# 4. The same from python (requests, httpx):");
    println!(
        "python3 -c \"import requests; from requests.auth import HTTPDigestAuth as D; \
         r = requests.get('{url}', auth=D('Mufasa', 'Circle of Life')); print(r.status_code, r.text)\""
    );
    println!(
        "python3 -c \"import httpx; r = httpx.get('{url}', auth=httpx.DigestAuth('john', 'hello')); \
         print(r.status_code, r.text)\""
    );

    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("server error");
}
