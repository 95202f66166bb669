//! Helpers for the token, bearer and multi-scheme behaviour tests.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, Request, Response, StatusCode};
use tower::{Layer, Service, ServiceExt};
use tower_httpauth::AuthUser;
use tower_httpauth::header::{AuthParams, split_scheme};

/// An inner service answering `200` with a description of the request's user.
#[derive(Clone, Copy)]
pub struct Echo(pub fn(&Request<String>) -> String);

impl Service<Request<String>> for Echo {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<String>) -> Self::Future {
        ready(Ok(Response::new((self.0)(&req))))
    }
}

/// Names a `String` user, or `anonymous`.
pub fn string_user(req: &Request<String>) -> String {
    AuthUser::<String>::from_request(req)
        .cloned()
        .unwrap_or_else(|| "anonymous".into())
}

/// A response, flattened for assertions.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// All `WWW-Authenticate` values, in order.
    pub fn challenges(&self) -> Vec<String> {
        self.headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The only `WWW-Authenticate` value.
    pub fn challenge(&self) -> String {
        let c = self.challenges();
        assert_eq!(c.len(), 1, "expected one challenge, got {c:?}");
        c.into_iter().next().unwrap()
    }
}

/// Parses a challenge into its scheme and `(name, value)` params.
pub fn parse_challenge(c: &str) -> (String, Vec<(String, String)>) {
    let (scheme, rest) = split_scheme(c.as_bytes()).expect("challenge scheme");
    let params = AuthParams::parse(rest).expect("challenge params");
    (
        scheme.to_owned(),
        params.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
    )
}

/// The value of `name` in challenge `c`.
pub fn param(c: &str, name: &str) -> Option<String> {
    parse_challenge(c)
        .1
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Sends `req` through `layer` around `echo`.
pub async fn send<L>(layer: &L, echo: Echo, req: Request<String>) -> Answer
where
    L: Layer<Echo>,
    L::Service: Service<Request<String>, Response = Response<String>, Error = Infallible>,
{
    let res = layer.layer(echo).oneshot(req).await.unwrap();
    let status = res.status();
    let (parts, body) = res.into_parts();
    Answer {
        status,
        headers: parts.headers,
        body,
    }
}

/// A GET request to `uri` with `headers`.
pub fn get(uri: &str, headers: &[(&str, &str)]) -> Request<String> {
    let mut b = Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(String::new()).unwrap()
}

/// The tracing output of the current thread, captured (the tests run on a current-thread
/// runtime).
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    /// Starts capturing events of level `WARN` and above on this thread, until the guard drops.
    pub fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        (out.clone(), tracing::subscriber::set_default(subscriber))
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
