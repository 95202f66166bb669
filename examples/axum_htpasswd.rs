//! An axum server whose users live in an Apache htpasswd file.
//!
//! ```text
//! cargo run --example axum_htpasswd --features htpasswd
//! ```
//!
//! It prints a curl walk-through for the address it listens on.
//!
//! Environment:
//! - `PORT` (default 3004); the server listens on 127.0.0.1 only.
//! - `HTPASSWD`: the file (write one with `htpasswd -cB FILE NAME`); without it a file with
//!   `Mufasa` / `Circle of Life` as bcrypt cost 10 is written to the temporary directory.
//! - `CACHE=off` turns the verified-credential cache off (every request runs bcrypt).
//! - `AUTH=trivial` uses a fixed user and password compared in constant time instead of
//!   the file: the baseline of `benches/load_bcrypt.sh`.
//!
//! Add or change users while the server runs (`htpasswd -bB FILE NAME PASSWORD`): a background
//! task notices the change within two seconds and loads the file again; requests never read
//! it. A file that no longer loads leaves the last good users in place.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::{Router, routing::get};
use tower_httpauth::store::{CredentialCache, Htpasswd};
use tower_httpauth::{AuthLayer, AuthUser, Basic, StaticCredentials};

/// `htpasswd -nbB -C 10 Mufasa 'Circle of Life'`.
const MUFASA: &str = "Mufasa:$2y$10$aHbMXOy9oIufmAj97.7lzOC.0t5l212ynESKesHNymH33EGytpNIu";

async fn hello(AuthUser(user): AuthUser<String>) -> String {
    format!("Hello, {user}!\n")
}

async fn hello_static(AuthUser(()): AuthUser<()>) -> &'static str {
    "Hello, Mufasa!\n"
}

fn htpasswd_path() -> PathBuf {
    if let Some(path) = std::env::var_os("HTPASSWD") {
        return path.into();
    }
    let path = std::env::temp_dir().join("tower-httpauth-example.htpasswd");
    std::fs::write(&path, format!("# written by examples/axum_htpasswd.rs\n{MUFASA}\n")).expect("write htpasswd");
    path
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3004);
    let trivial = std::env::var("AUTH").is_ok_and(|a| a == "trivial");
    let cache_on = !std::env::var("CACHE").is_ok_and(|c| c == "off");

    let mut file = None;
    let app = if trivial {
        let basic = Basic::new(StaticCredentials::new("Mufasa", "Circle of Life")).realm("example");
        Router::new().route("/", get(hello_static)).layer(AuthLayer::new(basic))
    } else {
        let path = htpasswd_path();
        // Opened inside the runtime: the background reload task starts here.
        let users = match Htpasswd::open(&path) {
            Ok(users) => users,
            Err(e) => {
                eprintln!("cannot load {}: {e}", path.display());
                std::process::exit(1);
            }
        };
        let users = users.cache(cache_on.then(CredentialCache::default));
        let n = users.len();
        eprintln!(
            "{n} user{} from {}, cache {}",
            if n == 1 { "" } else { "s" },
            path.display(),
            if cache_on { "on" } else { "off" }
        );
        file = Some(path);
        let basic = Basic::new(users).realm("example");
        Router::new().route("/", get(hello)).layer(AuthLayer::new(basic))
    };

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let url = format!("http://{addr}/");
    eprintln!(
        "listening on {url} ({})\n\n\
         curl -i -u 'Mufasa:Circle of Life' {url}   # 200 Hello, Mufasa!\n\
         curl -i -u 'Mufasa:wrong' {url}            # 401 with a Basic challenge\n\
         curl -i {url}                              # 401 with a Basic challenge",
        if trivial { "trivial verifier" } else { "htpasswd" }
    );
    if let Some(path) = &file {
        eprintln!(
            "\nhtpasswd -bB {path} Scar 'Long live the king'   # then, two seconds later:\n\
             curl -i -u 'Scar:Long live the king' {url}   # 200 Hello, Scar!",
            path = path.display()
        );
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("serve");
}
