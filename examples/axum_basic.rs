//! HTTP Basic authentication with roles on an axum server.
//!
//! ```sh
//! cargo run --example axum_basic        # http://127.0.0.1:3000 (PORT overrides)
//! curl -i -u john:hello http://127.0.0.1:3000/protected
//! ```
//!
//! It prints a curl walk-through for the address it listens on. Users: `john` / `hello` (role `user`) and `susan` / `bye` (roles `user`, `admin`). The
//! passwords are stored as salted SHA-256 hashes here to keep the example dependency-free;
//! real applications should store Argon2 or bcrypt hashes (see the crate's `store` module).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::{Router, routing::get};
use sha2::{Digest, Sha256};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};

/// A user of the example's in-memory database.
#[derive(Clone, Debug)]
pub struct User {
    /// The user-id.
    pub name: String,
    /// The user's roles.
    pub roles: Vec<String>,
}

struct Record {
    user: User,
    salt: &'static str,
    hash: [u8; 32],
}

fn hash(salt: &str, password: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(":")
        .chain_update(password)
        .finalize()
        .into()
}

fn users() -> HashMap<String, Record> {
    let mut db = HashMap::new();
    for (name, password, salt, roles) in [
        ("john", "hello", "k3Jt9w", &["user"][..]),
        ("susan", "bye", "Qm2x8a", &["user", "admin"][..]),
    ] {
        let user = User {
            name: name.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
        db.insert(
            name.into(),
            Record {
                user,
                salt,
                hash: hash(salt, password),
            },
        );
    }
    db
}

/// The example's application: `/` public, `/protected` for any user, `/admin` for admins.
pub fn app() -> Router {
    let db = Arc::new(users());
    let basic = Basic::new(move |c: BasicCredentials| {
        let db = db.clone();
        async move {
            // Unknown users are hashed and compared too, so timing does not reveal them.
            let (record, salt, expected) = match db.get(c.username()) {
                Some(r) => (Some(r), r.salt, r.hash),
                None => (None, "unknown", [0u8; 32]),
            };
            let ok = constant_time_eq(&hash(salt, c.password()), &expected);
            record.filter(|_| ok).map(|r| r.user.clone())
        }
    })
    .realm("tower-httpauth example");

    let auth = AuthLayer::new(basic).roles_from(|u: &User| u.roles.clone());

    Router::new()
        .route("/", get(|| async { "Public page. Try /protected and /admin.\n" }))
        .route(
            "/protected",
            get(|AuthUser(user): AuthUser<User>| async move { format!("Hello, {}!\n", user.name) })
                .route_layer(auth.clone()),
        )
        .route(
            "/admin",
            get(|AuthUser(user): AuthUser<User>| async move { format!("Hello, admin {}!\n", user.name) })
                .route_layer(auth.require_role("admin")),
        )
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    println!("Basic with roles on axum at {url} (Ctrl-C stops)\n");
    println!("# 1. A public page:");
    println!("curl -i {url}/");
    println!("# 2. Without credentials: 401 with a Basic challenge:");
    println!("curl -i {url}/protected");
    println!("# 3. With them: 200 Hello, john!");
    println!("curl -i -u john:hello {url}/protected");
    println!("# 4. The admin route: 403 for john (no admin role), 200 for susan:");
    println!("curl -i -u john:hello {url}/admin");
    println!("curl -i -u susan:bye {url}/admin");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("server error");
}
