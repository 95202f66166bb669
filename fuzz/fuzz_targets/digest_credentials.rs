//! Digest credentials parsing, through the layer (the parser is private since 0.2): an
//! arbitrary `Authorization` value on a Digest layer whose store keeps the lookup it was
//! asked. The public auth-param parser (`AuthParams::parse`) is the reference for what the
//! layer must call malformed; what reaches the store must be what the request said.
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
use tower_httpauth::digest::{Digest, DigestLookup, DigestUser};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::verify::SyncFn;
use tower_httpauth::{AuthLayer, precis, sync_fn};
use tower_layer::Layer;
use tower_service::Service;

const REALM: &str = "http-auth@example.org";
/// The default bound on the credentials field (`AuthLayer::max_header_len`).
const MAX_HEADER_LEN: usize = 4096;
/// The longest value Digest accepts for one of its parameters (`MAX_PARAM_LEN` in
/// src/digest/credentials.rs, private since 0.2): longer is malformed (`400`).
const MAX_PARAM_LEN: usize = 1024;
/// The parameters Digest reads (RFC 7616 §3.4); others are ignored.
const DIGEST_PARAMS: [&str; 12] = [
    "username",
    "username*",
    "userhash",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "qop",
    "nc",
    "cnonce",
    "opaque",
];

thread_local! {
    /// What the store was last asked.
    static ASKED: RefCell<Vec<DigestLookup>> = const { RefCell::new(Vec::new()) };
}

fn store(lookup: &DigestLookup) -> Option<DigestUser<String>> {
    ASKED.with(|asked| asked.borrow_mut().push(lookup.clone()));
    (lookup.username() == "Mufasa").then(|| DigestUser::with_password("Mufasa".to_owned(), "Circle of Life"))
}

type Store = SyncFn<fn(&DigestLookup) -> Option<DigestUser<String>>>;

fn layer() -> &'static AuthLayer<Digest<Store>> {
    static LAYER: OnceLock<AuthLayer<Digest<Store>>> = OnceLock::new();
    LAYER.get_or_init(|| {
        // A fixed secret, so that the seeds' nonces are authentic and reach the store.
        let digest = Digest::new(sync_fn(store as fn(&DigestLookup) -> _))
            .realm(REALM)
            .secret(b"a fuzzing secret, 32 bytes long!!");
        AuthLayer::new(digest)
    })
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

fn is_true(userhash: Option<&str>) -> bool {
    userhash.is_some_and(|u| u.eq_ignore_ascii_case("true"))
}

/// Whether `uri` is the absolute form of the request's target (`http://example.org/dir/index.html`).
fn names_this_target(uri: &str) -> bool {
    let Ok(u) = uri.parse::<http::Uri>() else {
        return false;
    };
    u.scheme().is_some()
        && u.authority()
            .is_some_and(|a| a.as_str().eq_ignore_ascii_case("example.org"))
        && u.path_and_query().is_some_and(|p| p == "/dir/index.html")
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    ASKED.with(|asked| asked.borrow_mut().clear());
    let mut req = Request::builder()
        .uri("/dir/index.html")
        .header("host", "example.org")
        .body(())
        .unwrap();
    req.headers_mut().insert(http::header::AUTHORIZATION, value);
    let res = block_on(layer().layer(Ok200).call(req)).unwrap();
    let status = res.status();
    let asked = ASKED.with(|asked| std::mem::take(&mut *asked.borrow_mut()));
    assert!(asked.len() <= 1, "the store is asked once at most");
    if data.len() > MAX_HEADER_LEN {
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        return;
    }
    // auth-int is not offered, so no 500 (which only a missing body layer gives).
    assert!(matches!(status.as_u16(), 200 | 400 | 401), "unexpected status {status}");
    if status == StatusCode::UNAUTHORIZED {
        assert!(
            res.headers().contains_key(http::header::WWW_AUTHENTICATE),
            "401 without challenge"
        );
    }
    let params = match split_scheme(data) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("Digest") => AuthParams::parse(rest),
        // Another scheme (401), or no scheme at all (400): nothing for Digest to read.
        _ => {
            assert!(asked.is_empty() && status != StatusCode::OK);
            return;
        }
    };
    let Ok(params) = params else {
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a list the parser refuses is malformed"
        );
        return;
    };
    let too_long = params
        .iter()
        .any(|(n, v)| v.len() > MAX_PARAM_LEN && DIGEST_PARAMS.iter().any(|d| d.eq_ignore_ascii_case(n)));
    let userhash = params.get("userhash");
    if too_long
        || userhash.is_some_and(|u| !u.eq_ignore_ascii_case("true") && !u.eq_ignore_ascii_case("false"))
        || (params.get("username").is_some() && params.get("username*").is_some())
        || (params.get("username").is_none() && params.get("username*").is_none())
        // `username*` (RFC 8187) is never quoted, and never comes with a userhash.
        || params.was_quoted("username*").is_some_and(|quoted| quoted || is_true(userhash))
        || ["realm", "nonce", "uri", "response"].iter().any(|p| params.get(p).is_none())
    {
        assert_eq!(status, StatusCode::BAD_REQUEST, "malformed Digest credentials");
        return;
    }
    let Some(lookup) = asked.first() else {
        assert_ne!(status, StatusCode::OK, "a pass without a lookup");
        return;
    };
    // The store is asked only for credentials that name our realm, an offered algorithm
    // and the request's URI, and for the user they name.
    assert_eq!(params.get("realm"), Some(REALM));
    assert_eq!(lookup.realm(), REALM);
    let uri = params.get("uri").unwrap();
    assert!(uri == "/dir/index.html" || names_this_target(uri), "uri {uri:?}");
    let algorithm = params.get("algorithm").unwrap_or("MD5");
    assert!(lookup.algorithm().name().eq_ignore_ascii_case(algorithm));
    let hashed = is_true(userhash);
    assert_eq!(lookup.userhash(), hashed);
    match params.get("username") {
        // A userhash is looked up as sent.
        Some(name) if hashed => assert_eq!(lookup.username(), name),
        // A name in its RFC 8265 (UsernameCasePreserved) form.
        Some(name) => assert_eq!(precis::username(name).ok().as_deref(), Some(lookup.username())),
        // `username*`, decoded.
        None => assert!(!hashed),
    }
    if let Some(qop) = params.get("qop") {
        assert!(qop.eq_ignore_ascii_case("auth"), "only auth is offered");
        let nc = params.get("nc").expect("nc comes with qop");
        assert!(
            nc.len() == 8 && nc.bytes().all(|b| b.is_ascii_hexdigit()),
            "nc is 8 hex digits"
        );
        assert!(params.get("cnonce").is_some(), "cnonce comes with qop");
    }
    if status == StatusCode::OK {
        assert_eq!(lookup.username(), "Mufasa");
    }
});
