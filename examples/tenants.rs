//! Per-tenant users chosen by the `Host` header: a verifier that sees the request.
//!
//! ```sh
//! cargo run --example tenants           # http://127.0.0.1:3008 (PORT overrides)
//! curl -i -u alice:wonderland -H 'Host: acme.example' http://127.0.0.1:3008/whoami
//! ```
//!
//! It prints a curl walk-through for the address it listens on. Two tenants share one server
//! and one `AuthLayer`: `acme.example` has `alice` / `wonderland`, `globex.example` has
//! `hank` / `scorpio`. A user of one tenant is refused on the other's host, and a host that is
//! no tenant has no users at all. [`with_request`] hands the verifier the request's head
//! (`&Parts`: method, URI, headers, extensions) beside the credentials; the same works for
//! `Bearer` and `Digest`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::{Router, routing::get};
use http::request::Parts;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq, with_request};

/// The user the handlers see: who, and of which tenant.
#[derive(Clone, Debug)]
pub struct TenantUser {
    /// The user-id, as the tenant knows it.
    pub name: String,
    /// The tenant's host name.
    pub tenant: String,
}

/// Each tenant's users and their passwords. A real application keeps password hashes (see
/// the crate's `store` module) in its database, keyed by tenant.
fn tenants() -> HashMap<&'static str, HashMap<&'static str, &'static str>> {
    HashMap::from([
        ("acme.example", HashMap::from([("alice", "wonderland")])),
        ("globex.example", HashMap::from([("hank", "scorpio")])),
    ])
}

/// The host the request is for, without a port: the URI's authority (HTTP/2, absolute-form
/// targets), else the `Host` header (HTTP/1.1), parsed as an authority so `host:port` and
/// `[::1]:port` lose their port. Lower-cased: host names are case-insensitive.
fn host_of(request: &Parts) -> Option<String> {
    let host = match request.uri.host() {
        Some(host) => host.to_owned(),
        None => {
            let value = request.headers.get(http::header::HOST)?.to_str().ok()?;
            value.parse::<http::uri::Authority>().ok()?.host().to_owned()
        }
    };
    Some(host.to_ascii_lowercase())
}

/// The example's application: `/whoami` answers with the user and their tenant.
pub fn app() -> Router {
    let tenants = Arc::new(tenants());
    let basic = Basic::new(with_request(move |c: BasicCredentials, request: &Parts| {
        // Read what the verifier needs from the request now: the future must own it.
        let host = host_of(request);
        let tenants = tenants.clone();
        async move {
            let host = host?;
            let users = tenants.get(host.as_str())?;
            // An unknown user is compared against a dummy, so timing does not tell who exists.
            let expected = users.get(c.username()).copied();
            let ok = constant_time_eq(c.password().as_bytes(), expected.unwrap_or("\0").as_bytes());
            (ok && expected.is_some()).then(|| TenantUser {
                name: c.username().to_owned(),
                tenant: host,
            })
        }
    }))
    .realm("tenants");

    Router::new().route(
        "/whoami",
        get(|AuthUser(u): AuthUser<TenantUser>| async move { format!("Hello, {} of {}!\n", u.name, u.tenant) })
            .route_layer(AuthLayer::new(basic)),
    )
}

#[allow(dead_code)]
#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3008);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    println!("Per-tenant users by Host on axum at {url} (Ctrl-C stops)\n");
    println!("# 1. alice on her tenant's host: 200 Hello, alice of acme.example!");
    println!("curl -i -u alice:wonderland -H 'Host: acme.example' {url}/whoami");
    println!("# 2. alice on another tenant's host: 401 (globex has no alice)");
    println!("curl -i -u alice:wonderland -H 'Host: globex.example' {url}/whoami");
    println!("# 3. hank on his: 200 Hello, hank of globex.example!");
    println!("curl -i -u hank:scorpio -H 'Host: globex.example:{port}' {url}/whoami");
    println!("# 4. a host that is no tenant: 401 for everyone");
    println!("curl -i -u alice:wonderland {url}/whoami");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("server error");
}
