//! An axum server whose users live in an Apache htpasswd file.
//!
//! ```sh
//! cargo run --example axum_htpasswd     # http://127.0.0.1:3004 (PORT overrides)
//! ```
//!
//! It prints a curl walk-through for the address it listens on. Without `HTPASSWD` it writes
//! its demo file (`Mufasa` / `Circle of Life`, bcrypt cost 10) to a new temporary file, which
//! it deletes when stopped (Ctrl-C or `kill`): nothing is written to the working directory.
//!
//! Environment:
//! - `PORT` (default 3004); the server listens on 127.0.0.1 only.
//! - `HTPASSWD`: your own file instead (write one with `htpasswd -cB FILE NAME`).
//! - `CACHE=off` turns the verified-credential cache off (every request runs bcrypt).
//!
//! Add or change users while the server runs (`htpasswd -bB FILE NAME PASSWORD`): a background
//! task looks at the file every two seconds and loads it again when it changed; requests never
//! read it. A file that no longer loads leaves the last good users in place.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::{Router, routing::get};
use tower_httpauth::store::{CredentialCache, Htpasswd};
use tower_httpauth::{AuthLayer, AuthUser, Basic};

/// `htpasswd -nbB -C 10 Mufasa 'Circle of Life'`.
const MUFASA: &str = "Mufasa:$2y$10$aHbMXOy9oIufmAj97.7lzOC.0t5l212ynESKesHNymH33EGytpNIu";

async fn hello(AuthUser(user): AuthUser<String>) -> String {
    format!("Hello, {user}!\n")
}

/// The file named by `HTPASSWD`, or the demo file, written to a new temporary file (deleted
/// when the returned handle is dropped).
fn htpasswd_file() -> (PathBuf, Option<tempfile::NamedTempFile>) {
    if let Some(path) = std::env::var_os("HTPASSWD") {
        return (path.into(), None);
    }
    let mut file = tempfile::Builder::new()
        .prefix("axum_htpasswd.")
        .suffix(".htpasswd")
        .tempfile()
        .expect("create a temporary file");
    writeln!(file, "# written by examples/axum_htpasswd.rs\n{MUFASA}").expect("write the demo htpasswd file");
    (file.path().to_owned(), Some(file))
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3004);
    let cache_on = !std::env::var("CACHE").is_ok_and(|c| c == "off");

    // The demo file lives until `main` returns (after Ctrl-C or `kill`), then is deleted.
    let (path, demo_file) = htpasswd_file();
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
    let app = Router::new()
        .route("/", get(hello))
        .layer(AuthLayer::new(Basic::new(users).realm("example")));

    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}/", listener.local_addr().expect("local address"));
    println!("Basic on axum at {url} (Ctrl-C stops)");
    println!(
        "{n} user{} from {}, credential cache {}\n",
        if n == 1 { "" } else { "s" },
        path.display(),
        if cache_on { "on" } else { "off" }
    );
    match &demo_file {
        Some(demo) => {
            println!("# 1. With the password: 200 Hello, Mufasa!");
            println!("curl -i -u 'Mufasa:Circle of Life' {url}");
            println!("# 2. A wrong password, and none: 401 with a Basic challenge:");
            println!("curl -i -u 'Mufasa:wrong' {url}");
            println!("curl -i {url}");
            println!(
                "# 3. Add a user while the server runs (htpasswd is in apache2-utils); it is loaded within two seconds:"
            );
            println!("htpasswd -bB {} Scar 'Long live the king'", demo.path().display());
            println!("sleep 3");
            println!("curl -i -u 'Scar:Long live the king' {url}");
        }
        None => {
            println!("# 1. A user of your file: 200 Hello, NAME!");
            println!("curl -i -u 'NAME:PASSWORD' {url}");
            println!("# 2. No credentials: 401 with a Basic challenge:");
            println!("curl -i {url}");
        }
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            stopped().await;
            println!("\nShutting down.");
        })
        .await
        .expect("serve");
    drop(demo_file);
}

/// Ctrl-C, or (on Unix) `SIGTERM` from `kill`, as the benchmark scripts send: either way
/// `main` returns and the demo file is deleted.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
