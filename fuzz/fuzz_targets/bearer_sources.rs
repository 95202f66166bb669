//! A Bearer layer reading tokens from `Authorization`, an API-key header, a query parameter
//! and a cookie, on arbitrary bytes for each: no panic, a status in the allowed set, and
//! 200 only with exactly the valid token.
#![no_main]

mod common;

use std::convert::Infallible;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use common::block_on;
use http::{HeaderValue, Request, Response, Uri};
use libfuzzer_sys::fuzz_target;
use tower_httpauth::bearer::{StaticTokens, TokenCookie};
use tower_httpauth::{AuthLayer, Bearer};
use tower_layer::Layer;
use tower_service::Service;

const TOKEN: &str = "mF_9.B5f-4.1JqM";

fn layer() -> &'static AuthLayer<Bearer<StaticTokens>> {
    static LAYER: OnceLock<AuthLayer<Bearer<StaticTokens>>> = OnceLock::new();
    LAYER.get_or_init(|| {
        let bearer = Bearer::new(StaticTokens::new().with(TOKEN, "john"))
            .realm("example")
            .header("x-api-key")
            .query("access_token")
            .cookie(TokenCookie::new("sid"));
        AuthLayer::new(bearer)
    })
}

#[derive(Clone)]
struct Ok200;

impl Service<Request<()>> for Ok200 {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<()>) -> Self::Future {
        std::future::ready(Ok(Response::new(String::new())))
    }
}

fuzz_target!(|data: &[u8]| {
    // Fields separated by 0xFF (never valid in a header or a URI): Authorization,
    // x-api-key, query string, Cookie. A missing field is left out.
    let mut fields = data.split(|&b| b == 0xFF);
    let mut req = Request::builder().body(()).unwrap();
    let mut present = 0;
    if let Some(auth) = fields.next().filter(|f| !f.is_empty()) {
        let Ok(v) = HeaderValue::from_bytes(auth) else { return };
        req.headers_mut().insert(http::header::AUTHORIZATION, v);
        present += 1;
    }
    if let Some(key) = fields.next().filter(|f| !f.is_empty()) {
        let Ok(v) = HeaderValue::from_bytes(key) else { return };
        req.headers_mut().insert("x-api-key", v);
        present += 1;
    }
    if let Some(query) = fields.next().filter(|f| !f.is_empty()) {
        let Ok(q) = std::str::from_utf8(query) else { return };
        let Ok(uri) = format!("/path?{q}").parse::<Uri>() else {
            return;
        };
        *req.uri_mut() = uri;
        present += 1;
    } else {
        *req.uri_mut() = Uri::from_static("/path");
    }
    if let Some(cookie) = fields.next().filter(|f| !f.is_empty()) {
        let Ok(v) = HeaderValue::from_bytes(cookie) else { return };
        req.headers_mut().insert(http::header::COOKIE, v);
        present += 1;
    }
    let res = block_on(layer().layer(Ok200).call(req)).unwrap();
    let status = res.status().as_u16();
    assert!(matches!(status, 200 | 400 | 401 | 431), "unexpected status {status}");
    if status == 200 {
        assert!(present >= 1);
        assert!(
            data.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "accepted without the token"
        );
    }
});
