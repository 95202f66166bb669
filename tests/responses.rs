//! What a client gets back when the layer refuses: the default failure responses' short
//! `text/plain` bodies (people and browsers read them), and what they say about the
//! connection.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::any;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::ServiceExt;
use tower_httpauth::digest::{Digest, DigestBodyLayer, DigestUsers, Qop};
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{AuthFailure, AuthLayer, Basic, BasicCredentials, StaticCredentials};

const ALICE: &str = "Basic YWxpY2U6d29uZGVybGFuZA=="; // alice:wonderland

fn basic() -> Basic<StaticCredentials> {
    Basic::new(StaticCredentials::new("alice", "wonderland")).realm("t")
}

/// A router answering "inner" behind `layer` (a macro: layers differ in their type
/// parameters).
macro_rules! app {
    ($layer:expr $(,)?) => {
        Router::new().route("/{*rest}", any(|| async { "inner" })).layer($layer)
    };
}

async fn send(app: &Router, method: &str, headers: &[(&str, &str)], body: &'static str) -> Response<Body> {
    let mut b = Request::builder().method(method).uri("/x");
    for (name, value) in headers {
        b = b.header(*name, *value);
    }
    app.clone().oneshot(b.body(Body::from(body)).unwrap()).await.unwrap()
}

/// The status, `Content-Type` and body text of a response.
async fn seen(res: Response<Body>) -> (StatusCode, Option<String>, String) {
    let status = res.status();
    let ctype = res
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
    (status, ctype, String::from_utf8(body.to_vec()).unwrap())
}

fn text(status: u16, line: &str) -> (StatusCode, Option<String>, String) {
    (
        StatusCode::from_u16(status).unwrap(),
        Some("text/plain; charset=utf-8".to_owned()),
        format!("{line}\n"),
    )
}

#[tokio::test]
async fn default_failures_answer_a_short_text_body_naming_the_status() {
    // 401, missing and wrong credentials alike, with the challenge.
    let plain = app!(AuthLayer::new(basic()));
    for headers in [&[][..], &[("authorization", "Basic YWxpY2U6bm8=")][..]] {
        let res = send(&plain, "GET", headers, "").await;
        assert!(res.headers().contains_key(WWW_AUTHENTICATE));
        assert_eq!(
            seen(res).await,
            text(401, "401 Unauthorized: this resource needs authentication")
        );
    }
    // 400: two Authorization fields.
    let res = send(&plain, "GET", &[("authorization", ALICE), ("authorization", ALICE)], "").await;
    assert_eq!(
        seen(res).await,
        text(400, "400 Bad Request: the credentials or the request are malformed")
    );
    // 431: an Authorization field over the bound.
    let long = format!("Basic {}", "A".repeat(5000));
    let res = send(&plain, "GET", &[("authorization", &long)], "").await;
    assert_eq!(
        seen(res).await,
        text(431, "431 Request Header Fields Too Large: the credentials are too long")
    );
    // 403: the right user without the role.
    let admin = app!(
        AuthLayer::new(basic())
            .roles_from(|_: &()| Vec::<String>::new())
            .require_role("admin"),
    );
    let res = send(&admin, "GET", &[("authorization", ALICE)], "").await;
    assert_eq!(
        seen(res).await,
        text(403, "403 Forbidden: the authenticated user may not access this resource")
    );
    // 429: locked after one failure, with Retry-After.
    let throttled = app!(AuthLayer::new(basic()).throttle(
        Throttle::new()
            .without_address()
            .per_username(Limits::new(0, Duration::from_secs(600), Duration::from_secs(600))),
    ));
    let wrong = BasicCredentials::new("alice", "no").to_header_value();
    let wrong = wrong.to_str().unwrap();
    assert_eq!(
        send(&throttled, "GET", &[("authorization", wrong)], "").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = send(&throttled, "GET", &[("authorization", wrong)], "").await;
    assert!(res.headers().contains_key(RETRY_AFTER));
    assert_eq!(
        seen(res).await,
        text(429, "429 Too Many Requests: too many failed attempts; try again later")
    );
    // 500: the verifier failed.
    let broken = app!(AuthLayer::new(
        Basic::new(|_: BasicCredentials| async { Err::<Option<()>, _>("database down") }).realm("t"),
    ));
    let res = send(&broken, "GET", &[("authorization", ALICE)], "").await;
    assert_eq!(
        seen(res).await,
        text(500, "500 Internal Server Error: authentication could not be completed")
    );
}

#[tokio::test]
async fn proxy_default_failure_text_says_407() {
    let proxy = app!(AuthLayer::new(basic()).proxy());
    for headers in [&[][..], &[("proxy-authorization", "Basic YWxpY2U6bm8=")][..]] {
        let res = send(&proxy, "GET", headers, "").await;
        assert!(res.headers().contains_key("proxy-authenticate"));
        assert_eq!(
            seen(res).await,
            text(407, "407 Proxy Authentication Required: this proxy needs authentication")
        );
    }
    // Statuses other than 401 keep their own text in proxy mode.
    let res = send(&proxy, "GET", &[("proxy-authorization", "Basic !")], "").await;
    assert_eq!(seen(res).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn auth_int_body_over_the_limit_is_413_with_text() {
    let users = DigestUsers::new("t").with_password("alice", "wonderland");
    let digest = Digest::new(users).realm("t").qops([Qop::Auth, Qop::AuthInt]);
    let app = app!(AuthLayer::new(digest)).layer(DigestBodyLayer::new(16));
    let auth_int = r#"Digest username="alice", realm="t", qop=auth-int"#;
    let res = send(&app, "POST", &[("authorization", auth_int)], "a body longer than sixteen bytes").await;
    assert_eq!(
        seen(res).await,
        text(413, "413 Content Too Large: the body is too large to authenticate")
    );
}

#[tokio::test]
async fn on_failure_responses_are_left_as_the_handler_built_them() {
    let custom = app!(
        AuthLayer::new(basic()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = f.status();
            res
        }),
    );
    let res = send(&custom, "GET", &[], "").await;
    assert!(res.headers().contains_key(WWW_AUTHENTICATE), "the 401 rule still holds");
    assert_eq!(seen(res).await, (StatusCode::UNAUTHORIZED, None, String::new()));
}
