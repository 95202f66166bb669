//! An axum server whose users live in an Apache htpasswd file.
//!
//! ```text
//! htpasswd -cbB -C 10 users.htpasswd Mufasa 'Circle of Life'
//! HTPASSWD=users.htpasswd cargo run --example axum_htpasswd --features axum,htpasswd,tokio
//! curl -i -u 'Mufasa:Circle of Life' http://127.0.0.1:3004/
//! ```
//!
//! Environment:
//! - `PORT` (default 3004); the server listens on 127.0.0.1 only.
//! - `HTPASSWD`: the file; without it a file with `Mufasa` / `Circle of Life` as bcrypt
//!   cost 10 is written to the temporary directory.
//! - `CACHE=off` turns the verified-credential cache off (every request runs bcrypt).
//!
//! Edit the file while the server runs: changes apply within two seconds.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::{Router, routing::get};
use tower_httpauth::store::{CredentialCache, Htpasswd};
use tower_httpauth::{AuthLayer, AuthUser, Basic};

async fn hello(AuthUser(user): AuthUser<String>) -> String {
    format!("Hello, {user}!\n")
}

fn htpasswd_path() -> PathBuf {
    if let Some(path) = std::env::var_os("HTPASSWD") {
        return path.into();
    }
    let path = std::env::temp_dir().join("tower-httpauth-example.htpasswd");
    let hash = bcrypt::hash("Circle of Life", 10).expect("bcrypt");
    std::fs::write(
        &path,
        format!("# written by examples/axum_htpasswd.rs\nMufasa:{hash}\n"),
    )
    .expect("write htpasswd");
    path
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3004);
    let cache_on = !std::env::var("CACHE").is_ok_and(|c| c == "off");

    let path = htpasswd_path();
    let users = match Htpasswd::open(&path) {
        Ok(users) => users,
        Err(e) => {
            eprintln!("cannot load {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    let users = users.cache(cache_on.then(CredentialCache::default));
    eprintln!(
        "{} users from {}, cache {}",
        users.len(),
        path.display(),
        if cache_on { "on" } else { "off" }
    );
    let basic = Basic::new(users).realm("example");
    let app = Router::new().route("/", get(hello)).layer(AuthLayer::new(basic));

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    eprintln!("listening on http://{addr}/");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("serve");
}
