//! Basic credentials decoding, through the layer (the decoder is private since 0.2):
//! `Authorization: Basic <data>` on a Basic layer with PRECIS off, whose verifier keeps what
//! it was handed. No panic, the invariants RFC 7617 asks for, and decode(encode(c)) == c for
//! every credential that decodes.
#![no_main]

mod common;

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::OnceLock;
use std::task::{Context, Poll};

use common::block_on;
use http::{HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower_httpauth::precis::Precis;
use tower_httpauth::{AuthLayer, Basic, BasicCredentials};
use tower_layer::Layer;
use tower_service::Service;

/// The default bound on the credentials field (`AuthLayer::max_header_len`).
const MAX_HEADER_LEN: usize = 4096;

thread_local! {
    /// The credentials the verifier was last handed.
    static SEEN: RefCell<Option<BasicCredentials>> = const { RefCell::new(None) };
}

fn keep(c: BasicCredentials) -> Ready<Option<()>> {
    SEEN.with(|seen| *seen.borrow_mut() = Some(c));
    ready(Some(()))
}

type Layered = AuthLayer<Basic<fn(BasicCredentials) -> Ready<Option<()>>>>;

fn layer() -> &'static Layered {
    static LAYER: OnceLock<Layered> = OnceLock::new();
    // PRECIS off: the verifier sees the credentials exactly as decoded.
    LAYER.get_or_init(|| AuthLayer::new(Basic::new(keep as fn(_) -> _).precis(Precis::Off)))
}

#[derive(Clone)]
struct Ok200;

impl Service<Request<()>> for Ok200 {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(String::new())))
    }
}

/// The status for `value`, and the credentials the verifier saw.
fn answer(value: HeaderValue) -> (StatusCode, Option<BasicCredentials>) {
    SEEN.with(|seen| seen.borrow_mut().take());
    let mut req = Request::new(());
    req.headers_mut().insert(http::header::AUTHORIZATION, value);
    let status = block_on(layer().layer(Ok200).call(req)).unwrap().status();
    (status, SEEN.with(|seen| seen.borrow_mut().take()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(&[b"Basic ", data].concat()) else {
        return;
    };
    let len = value.len();
    let (status, seen) = answer(value);
    if len > MAX_HEADER_LEN {
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        return;
    }
    let Some(c) = seen else {
        // Malformed (400) or an empty password (401), before any verifier.
        assert!(matches!(status.as_u16(), 400 | 401), "unexpected status {status}");
        return;
    };
    assert_eq!(status, StatusCode::OK);
    let (user, password) = (c.username(), c.password());
    assert!(!user.contains(':'), "split at the first colon");
    assert!(!password.is_empty(), "an empty password never reaches a verifier");
    assert!(!user.chars().chain(password.chars()).any(|ch| ch.is_ascii_control()));
    // Decoded text is at most 3/4 of the token; Latin-1 may double each byte in UTF-8.
    assert!(user.len() + 1 + password.len() <= data.len() / 4 * 3 * 2 + 2);
    assert_eq!(BasicCredentials::new(user, password), c);
    // What a client sends for these credentials decodes to the same credentials (Latin-1
    // credentials come back as UTF-8, possibly past the length bound).
    let rendered = c.to_header_value();
    if rendered.len() > MAX_HEADER_LEN {
        return;
    }
    let (again_status, again) = answer(rendered);
    assert_eq!(again_status, StatusCode::OK);
    assert_eq!(again.as_ref(), Some(&c), "rendered credentials decode to themselves");
});
