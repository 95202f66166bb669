//! The whole layer (Basic, roles, throttle, proxy mode) on an arbitrary `Authorization` (or
//! `Proxy-Authorization`) header and method: no panic, a status in the allowed set, and in
//! proxy mode the proxy credentials never reach the inner service.
#![no_main]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use common::block_on;
use http::{HeaderValue, Method, Request, Response};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
use tower_layer::Layer;
use tower_service::Service;

type Layered = AuthLayer<Basic<fn(BasicCredentials) -> std::future::Ready<Option<String>>>>;

fn verify(c: BasicCredentials) -> std::future::Ready<Option<String>> {
    std::future::ready((c.password() == "hello").then(|| c.username().to_owned()))
}

fn roles(u: &String) -> Vec<&'static str> {
    if u == "admin" { vec!["admin"] } else { vec![] }
}

fn layer() -> &'static Layered {
    static LAYER: OnceLock<Layered> = OnceLock::new();
    LAYER.get_or_init(|| {
        AuthLayer::new(Basic::new(verify as fn(_) -> _))
            .roles_from(roles as fn(&String) -> Vec<&'static str>)
            .require_role("admin")
    })
}

/// The same layer with a throttle that lives across runs (locking 10.0.0.x after 2 failures),
/// so that the 429 path and the bounded store are exercised too.
fn throttled() -> &'static Layered {
    static LAYER: OnceLock<Layered> = OnceLock::new();
    LAYER.get_or_init(|| {
        let limits = Limits::new(2, Duration::from_secs(1), Duration::from_secs(60));
        layer()
            .clone()
            .throttle(Throttle::in_memory(1000).per_username(limits).per_address(limits))
    })
}

/// The same layer as a proxy's (`Proxy-Authorization`, `407`).
fn proxied() -> &'static Layered {
    static LAYER: OnceLock<Layered> = OnceLock::new();
    LAYER.get_or_init(|| layer().clone().proxy())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, header)) = data.split_first() else {
        return;
    };
    let Ok(value) = HeaderValue::from_bytes(header) else {
        return;
    };
    let method = [Method::GET, Method::POST, Method::OPTIONS][usize::from(selector % 3)].clone();
    let mut req = Request::builder().method(method).uri("/").body(()).unwrap();
    let proxy = selector & 16 != 0;
    let field = if proxy {
        // An origin credential rides along, and must pass untouched.
        req.headers_mut().insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Basic b3JpZ2luOnNlY3JldA=="),
        );
        http::header::PROXY_AUTHORIZATION
    } else {
        http::header::AUTHORIZATION
    };
    req.headers_mut().insert(field.clone(), value.clone());
    if selector & 4 != 0 {
        req.headers_mut().append(field, value);
    }
    req.extensions_mut().insert(SocketAddr::from(([10, 0, 0, selector], 1)));
    let inner = tower_service_fn();
    let status = if proxy {
        let mut svc = proxied().layer(inner);
        block_on(svc.call(req)).unwrap().status()
    } else if selector & 8 != 0 {
        // With a throttle: 429 is allowed.
        let mut svc = throttled().layer(inner);
        block_on(svc.call(req)).unwrap().status()
    } else {
        let mut svc = layer().layer(inner);
        block_on(svc.call(req)).unwrap().status()
    };
    assert!(
        matches!(status.as_u16(), 200 | 400 | 401 | 403 | 429 | 431) && !(proxy && status == 401)
            || (proxy && status == 407),
        "unexpected status {status}"
    );
});

#[derive(Clone)]
struct Ok200;

impl Service<Request<()>> for Ok200 {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: Request<()>) -> Self::Future {
        // In proxy mode the proxy credentials are consumed (exempt requests included).
        assert!(!req.headers().contains_key(http::header::PROXY_AUTHORIZATION));
        std::future::ready(Ok(Response::new(String::new())))
    }
}

fn tower_service_fn() -> Ok200 {
    Ok200
}
