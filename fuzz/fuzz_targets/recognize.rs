//! The fixed-credential shortcut (`Scheme::recognize`) against the full path: for an arbitrary
//! `Authorization` value, often built around the configured credential's canonical encoding,
//! a plain layer (which takes the shortcut) and a layer with an `exempt_if` predicate (which
//! never does) give the same status and hand the same user on, for Basic (`StaticCredentials`)
//! and Bearer (`StaticTokens`).
#![no_main]

mod common;

use std::convert::Infallible;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use common::block_on;
use http::{HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use tower_httpauth::{AuthLayer, AuthUser, Basic, Bearer, StaticCredentials, StaticTokens};
use tower_layer::Layer;
use tower_service::Service;

/// `base64("admin:s3cr\u{e9}t")`, padded: what `StaticCredentials::new("admin", "s3cr\u{e9}t")` recognises.
const BASIC: &str = "YWRtaW46czNjcsOpdA==";
const TOKEN: &str = "mF_9.B5f-4.1JqM";

type BasicLayer = AuthLayer<Basic<StaticCredentials>>;
type BearerLayer = AuthLayer<Bearer<StaticTokens>>;

fn basic() -> &'static (BasicLayer, BasicLayer) {
    static L: OnceLock<(BasicLayer, BasicLayer)> = OnceLock::new();
    L.get_or_init(|| {
        let plain = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cr\u{e9}t")));
        let full = plain.clone().exempt_if(|_| false);
        (plain, full)
    })
}

fn bearer() -> &'static (BearerLayer, BearerLayer) {
    static L: OnceLock<(BearerLayer, BearerLayer)> = OnceLock::new();
    L.get_or_init(|| {
        let keys = StaticTokens::new().with(TOKEN, "john").with("abc==", "eve");
        let plain = AuthLayer::new(Bearer::new(keys));
        let full = plain.clone().exempt_if(|_| false);
        (plain, full)
    })
}

/// Answers 200 with the user it saw in its body.
#[derive(Clone)]
struct Echo;

impl Service<Request<()>> for Echo {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, req: Request<()>) -> Self::Future {
        let user = match (
            req.extensions().get::<AuthUser<()>>(),
            req.extensions().get::<AuthUser<String>>(),
        ) {
            (Some(_), _) => "()".to_owned(),
            (_, Some(AuthUser(u))) => u.clone(),
            _ => "-".to_owned(),
        };
        std::future::ready(Ok(Response::new(user)))
    }
}

fn answer<L>(layer: &L, value: &HeaderValue, twice: bool) -> (StatusCode, String)
where
    L: Layer<Echo>,
    L::Service: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let mut req = Request::builder().uri("/").body(()).unwrap();
    req.headers_mut().insert(http::header::AUTHORIZATION, value.clone());
    if twice {
        req.headers_mut().append(http::header::AUTHORIZATION, value.clone());
    }
    let res = block_on(layer.layer(Echo).call(req)).unwrap();
    (res.status(), res.into_body())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (scheme, credential) = if selector & 1 == 0 {
        ("Basic", BASIC)
    } else {
        ("Bearer", TOKEN)
    };
    // Mostly variations around the exact credential, where the shortcut decides.
    let mut bytes = Vec::new();
    match (selector >> 1) % 4 {
        0 => bytes.extend_from_slice(rest),
        1 => {
            bytes.extend_from_slice(scheme.as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(credential.as_bytes());
            bytes.extend_from_slice(rest);
        }
        2 => {
            bytes.extend_from_slice(rest);
            bytes.push(b' ');
            bytes.extend_from_slice(credential.as_bytes());
        }
        _ => {
            let at = rest.first().map_or(0, |&b| usize::from(b) % (credential.len() + 1));
            bytes.extend_from_slice(scheme.as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(&credential.as_bytes()[..at]);
            bytes.extend_from_slice(rest.get(1..).unwrap_or_default());
            bytes.extend_from_slice(&credential.as_bytes()[at..]);
        }
    }
    let Ok(value) = HeaderValue::from_bytes(&bytes) else {
        return;
    };
    let twice = selector & 64 != 0;
    let (fast, full) = if selector & 1 == 0 {
        let (plain, full) = basic();
        (answer(plain, &value, twice), answer(full, &value, twice))
    } else {
        let (plain, full) = bearer();
        (answer(plain, &value, twice), answer(full, &value, twice))
    };
    assert_eq!(fast, full, "shortcut and full path disagree on {value:?}");
});
