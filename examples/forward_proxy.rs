//! A forward HTTP proxy that asks for credentials: `AuthLayer::proxy()` in front of hyper's
//! client, accepting Basic (`alice` / `wonderland`) or an API key (`X-Proxy-Key: pk-demo`)
//! through `Multi`.
//!
//! ```sh
//! cargo run --example forward_proxy     # the proxy on 127.0.0.1:3005 (PORT overrides)
//! curl -x http://127.0.0.1:3005 --proxy-user alice:wonderland http://127.0.0.1:3006/
//! ```
//!
//! It also starts a small origin server to try the proxy against (127.0.0.1:3006,
//! `ORIGIN_PORT` overrides), which answers with the header fields it received, and prints a
//! curl walk-through.
//!
//! What it shows:
//!
//! - requests without proxy credentials are answered `407 Proxy Authentication Required`
//!   with one `Proxy-Authenticate` challenge per scheme (Basic, then ApiKey);
//! - the proxy's credentials never reach the origin: the layer removes `Proxy-Authorization`
//!   and the `X-Proxy-Key` header before the request is forwarded, while an `Authorization`
//!   field meant for the origin (`curl -u`) passes untouched;
//! - no method is exempt: a proxy open to `OPTIONS` would let anyone probe the hosts behind
//!   it.
//!
//! Only plain-HTTP targets in absolute form (what `curl -x` sends for `http://` URLs) are
//! forwarded; `CONNECT` tunnels (HTTPS through the proxy) are answered `501`. Basic sends the
//! password in clear text: run a real proxy's authentication over TLS to the proxy
//! (`curl --proxy https://…`), or on a network you trust.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, HeaderName, HeaderValue, TE, TRAILER, TRANSFER_ENCODING, UPGRADE, VIA};
use axum::http::{HeaderMap, Method, StatusCode, Uri, Version, uri};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, Bearer, Multi, constant_time_eq, sync_fn};

type HttpClient = Client<HttpConnector, Body>;

/// The proxy: authentication in proxy mode around the forwarding handler.
pub fn app() -> Router {
    // A real proxy looks its users up in a store of password hashes (see `Passwords`).
    let basic = Basic::new(sync_fn(|c: &BasicCredentials| {
        let ok = constant_time_eq(c.username().as_bytes(), b"alice")
            & constant_time_eq(c.password().as_bytes(), b"wonderland");
        ok.then(|| "alice".to_owned())
    }))
    .realm("forward proxy");
    let api_key =
        Bearer::api_key("x-proxy-key", StaticTokens::new().with("pk-demo", "api-key client")).realm("forward proxy");
    // `proxy()`: credentials from `Proxy-Authorization` (and `X-Proxy-Key`), refusals `407`,
    // and every credential removed before the request goes on.
    let auth = AuthLayer::new(Multi::new(basic).or(api_key)).proxy();

    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    Router::new().fallback(forward).with_state(client).layer(auth)
}

/// Forwards an authenticated request to the host its target names.
async fn forward(State(client): State<HttpClient>, AuthUser(user): AuthUser<String>, mut req: Request) -> Response {
    if req.method() == Method::CONNECT {
        return answer(
            StatusCode::NOT_IMPLEMENTED,
            "this proxy forwards plain HTTP only, no CONNECT tunnels\n",
        );
    }
    let target = req.uri();
    if target.scheme() != Some(&uri::Scheme::HTTP) || target.authority().is_none() {
        return answer(
            StatusCode::BAD_REQUEST,
            "this is a forward proxy: send an absolute http:// target (curl -x http://127.0.0.1:3005 http://…)\n",
        );
    }
    println!("{user}: {} {}", req.method(), req.uri());
    remove_hop_by_hop(req.headers_mut());
    // A proxy says it was there (RFC 9110 §7.6.3).
    req.headers_mut()
        .append(VIA, HeaderValue::from_static("1.1 forward_proxy"));
    // The client speaks HTTP/1.1 to the origin whatever the version it was asked in.
    *req.version_mut() = Version::HTTP_11;
    match client.request(req).await {
        Ok(res) => {
            let (mut parts, body) = res.into_parts();
            remove_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Err(e) => answer(
            StatusCode::BAD_GATEWAY,
            format!("the origin could not be reached: {e}\n"),
        ),
    }
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

/// Removes the fields that belong to one connection only (RFC 9110 §7.6.1): `Connection`,
/// the fields it names, and the usual hop-by-hop ones. The proxy's own credentials are not
/// among them here: the auth layer has removed them already.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE] {
        headers.remove(name);
    }
    for name in ["keep-alive", "proxy-connection"] {
        headers.remove(name);
    }
}

/// The demo origin server: answers every request with the header fields it received.
pub fn origin() -> Router {
    Router::new().fallback(|uri: Uri, headers: HeaderMap| async move {
        let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        format!(
            "Hello from the origin server: you asked for {uri}.\nThe header fields it received: {}\n",
            names.join(", ")
        )
    })
}

/// Listens on 127.0.0.1 at the port in the environment variable `var`, or `default`.
async fn listen(var: &str, default: u16) -> tokio::net::TcpListener {
    let port = std::env::var(var).ok().and_then(|p| p.parse().ok()).unwrap_or(default);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set {var} to another port)");
            std::process::exit(1);
        }
    }
}

#[tokio::main]
async fn main() {
    let proxy = listen("PORT", 3005).await;
    let origin_listener = listen("ORIGIN_PORT", 3006).await;
    let p = format!("http://{}", proxy.local_addr().expect("local address"));
    let o = format!("http://{}", origin_listener.local_addr().expect("local address"));
    println!("Forward proxy on {p} (Basic alice / wonderland, or X-Proxy-Key: pk-demo; Ctrl-C stops)");
    println!("Demo origin server on {o}: it lists the header fields it received\n");
    println!("# 1. No proxy credentials: 407, with two Proxy-Authenticate challenges (Basic, then ApiKey):");
    println!("curl -i -x {p} {o}/");
    println!("# 2. Basic: 200 from the origin; a wrong password: 407:");
    println!("curl -i -x {p} --proxy-user alice:wonderland {o}/");
    println!("curl -i -x {p} --proxy-user alice:wrong {o}/");
    println!("# 3. The API key: 200:");
    println!("curl -i -x {p} --proxy-header 'X-Proxy-Key: pk-demo' {o}/");
    println!("# 4. Credentials for the origin (-u) reach it; the proxy's never do:");
    println!("curl -i -x {p} --proxy-user alice:wonderland -u bob:pw {o}/");

    tokio::spawn(async move {
        axum::serve(origin_listener, origin()).await.expect("origin server");
    });
    axum::serve(proxy, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("proxy server");
}
