//! A tiny server for `benches/load.sh`: one route without authentication and one behind
//! Basic, on the same server, so the load tool compares like with like.
//!
//! ```text
//! cargo run --release --example bench_server --features axum   # PORT=3000 by default
//! curl -i http://127.0.0.1:3000/open
//! curl -i -u Aladdin:'open sesame' http://127.0.0.1:3000/basic
//! ```
//!
//! `/basic` uses a real verifier: an in-memory user table, a constant-time comparison, and
//! the user handed to the handler through the [`AuthUser`] extractor.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::{Router, routing::get};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};

/// The user handed to the handler.
#[derive(Clone, Debug)]
pub struct User(pub Arc<str>);

/// The benchmark application: `/open` without authentication, `/basic` behind Basic.
pub fn app() -> Router {
    let users: Arc<HashMap<String, (String, User)>> = Arc::new(HashMap::from([(
        "Aladdin".to_string(),
        ("open sesame".to_string(), User(Arc::from("Aladdin"))),
    )]));
    let basic = Basic::new(move |c: BasicCredentials| {
        let users = users.clone();
        async move {
            let (stored, user) = match users.get(c.username()) {
                Some((password, user)) => (password.as_bytes(), Some(user)),
                None => (&b"-"[..], None),
            };
            let ok = constant_time_eq(c.password().as_bytes(), stored);
            user.filter(|_| ok).cloned()
        }
    })
    .realm("bench");
    // Both handlers format the same kind of body, so the routes differ only by authentication.
    Router::new()
        .route("/open", get(|| async { format!("hello {}\n", "anonymous") }))
        .route(
            "/basic",
            get(|AuthUser(user): AuthUser<User>| async move { format!("hello {}\n", user.0) })
                .route_layer(AuthLayer::new(basic)),
        )
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
    println!("Listening on http://{}", listener.local_addr().expect("local address"));
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .expect("server error");
}
