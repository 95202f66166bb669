//! What a client gets back when the layer refuses: the default failure responses' short
//! `text/plain` bodies (people and browsers read them), and what they say about the
//! connection.

use crate::support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::any;
use http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::digest::{Digest, DigestBodyLayer, DigestUsers, Qop};
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{AuthFailure, AuthLayer, Basic, BasicCredentials};

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
    let ctype = res.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
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
        text(
            403,
            "403 Forbidden: the authenticated user may not access this resource"
        )
    );
    // 429: locked after one failure, with Retry-After.
    let throttled = app!(AuthLayer::new(basic()).throttle(
        Throttle::new().count_addresses(false).per_username(Limits::new(
            0,
            Duration::from_secs(600),
            Duration::from_secs(600)
        )),
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
            text(
                407,
                "407 Proxy Authentication Required: this proxy needs authentication"
            )
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
    let res = send(
        &app,
        "POST",
        &[("authorization", auth_int)],
        "a body longer than sixteen bytes",
    )
    .await;
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

/// A response read off a raw HTTP/1.1 connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    /// Header lines, names lowercased.
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one response (its head, then `Content-Length` bytes of body) from `stream`. A
/// guard against a server that never answers fails the test instead of hanging it.
async fn read_response(stream: &mut TcpStream) -> Raw {
    tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = Vec::new();
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.expect("read the response");
            assert!(
                n > 0,
                "connection closed before a response: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = buf[head_end..].to_vec();
        while body.len() < len {
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.expect("read the body");
            assert!(n > 0, "connection closed inside the body");
            body.extend_from_slice(&chunk[..n]);
        }
        Raw {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        }
    })
    .await
    .expect("the server answers")
}

/// Whether the server closed `stream`: end of stream, or a reset (data the client wrote
/// after the server closed).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut rest)).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Err(_) => false,
    }
}

/// The refusal of a `POST` whose body has not arrived yet (the client waits for the
/// answer before sending it, as a slow upload does): hyper cannot read the next request
/// before this body, so it closes the connection, and the refusal says so beforehand. A
/// client then retries on a new connection instead of writing into a closed one.
#[tokio::test]
async fn a_refusal_sent_before_the_body_arrives_says_connection_close() {
    let addr = support::serve(app!(AuthLayer::new(basic()))).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\n")
        .await
        .unwrap();
    let res = read_response(&mut conn).await;
    assert_eq!(res.status, 401);
    assert!(res.header("www-authenticate").is_some());
    assert_eq!(res.body, "401 Unauthorized: this resource needs authentication\n");
    assert_eq!(res.header("connection"), Some("close"), "{res:?}");
    // The body, late; the server has given up on this connection, as it said.
    let _ = conn.write_all(b"hello world").await;
    assert!(closed_by_server(&mut conn).await);

    // The retry on a new connection, with credentials, gets through.
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {ALICE}\r\nContent-Length: 11\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    conn.write_all(b"hello world").await.unwrap();
    let res = read_response(&mut conn).await;
    assert_eq!((res.status, res.body.as_str()), (200, "inner"));
}

/// A refusal that leaves nothing unread keeps the connection: the client's next request on
/// it (here the retry with credentials) is answered.
#[tokio::test]
async fn a_refusal_without_an_unread_body_keeps_the_connection() {
    let addr = support::serve(app!(AuthLayer::new(basic()))).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    for first in [
        "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
    ] {
        conn.write_all(first.as_bytes()).await.unwrap();
        let res = read_response(&mut conn).await;
        assert_eq!(res.status, 401);
        assert_eq!(res.header("connection"), None, "{res:?}");
        conn.write_all(format!("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {ALICE}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let res = read_response(&mut conn).await;
        assert_eq!((res.status, res.body.as_str()), (200, "inner"));
    }
}

/// `Connection: close` goes exactly on refusals that leave a declared body unread on
/// HTTP/1: not on HTTP/2 (which forbids the field), not when there is no body, not when
/// `DigestBodyLayer` has read it, not on success.
#[tokio::test]
async fn connection_close_only_on_refusals_that_leave_an_http1_body_unread() {
    async fn connection(app: &Router, version: Version, headers: &[(&str, &str)]) -> (StatusCode, Option<String>) {
        let mut b = Request::builder().method("POST").uri("/x").version(version);
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        let res = app.clone().oneshot(b.body(Body::from("hello")).unwrap()).await.unwrap();
        let c = res.headers().get("connection").map(|v| v.to_str().unwrap().to_owned());
        (res.status(), c)
    }
    let close = Some("close".to_owned());
    let plain = app!(AuthLayer::new(basic()));
    let cl = ("content-length", "5");
    for version in [Version::HTTP_11, Version::HTTP_10] {
        assert_eq!(
            connection(&plain, version, &[cl]).await,
            (StatusCode::UNAUTHORIZED, close.clone())
        );
    }
    assert_eq!(
        connection(&plain, Version::HTTP_11, &[("transfer-encoding", "chunked")]).await,
        (StatusCode::UNAUTHORIZED, close.clone())
    );
    assert_eq!(
        connection(&plain, Version::HTTP_11, &[("content-length", "0")]).await,
        (StatusCode::UNAUTHORIZED, None)
    );
    assert_eq!(
        connection(&plain, Version::HTTP_11, &[]).await,
        (StatusCode::UNAUTHORIZED, None)
    );
    assert_eq!(
        connection(&plain, Version::HTTP_2, &[cl]).await,
        (StatusCode::UNAUTHORIZED, None)
    );
    assert_eq!(
        connection(&plain, Version::HTTP_11, &[cl, ("authorization", ALICE)]).await,
        (StatusCode::OK, None)
    );
    // Every refusal, whoever builds it: 400, 403, a custom handler's, proxy mode's 407.
    assert_eq!(
        connection(&plain, Version::HTTP_11, &[cl, ("authorization", "Basic !")]).await,
        (StatusCode::BAD_REQUEST, close.clone())
    );
    let admin = app!(
        AuthLayer::new(basic())
            .roles_from(|_: &()| Vec::<String>::new())
            .require_role("admin")
    );
    assert_eq!(
        connection(&admin, Version::HTTP_11, &[cl, ("authorization", ALICE)]).await,
        (StatusCode::FORBIDDEN, close.clone())
    );
    let custom = app!(
        AuthLayer::new(basic()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = f.status();
            res
        })
    );
    assert_eq!(
        connection(&custom, Version::HTTP_11, &[cl]).await,
        (StatusCode::UNAUTHORIZED, close.clone())
    );
    let proxy = app!(AuthLayer::new(basic()).proxy());
    assert_eq!(
        connection(&proxy, Version::HTTP_11, &[cl]).await,
        (StatusCode::PROXY_AUTHENTICATION_REQUIRED, close.clone())
    );

    // auth-int: DigestBodyLayer read the body, so the auth layer's refusal leaves nothing
    // unread; DigestBodyLayer's own 413 leaves it unread.
    let users = DigestUsers::new("t").with_password("alice", "wonderland");
    let digest = Digest::new(users).realm("t").qops([Qop::Auth, Qop::AuthInt]);
    let auth_int = app!(AuthLayer::new(digest)).layer(DigestBodyLayer::new(16));
    let wrong = r#"Digest username="alice", realm="t", nonce="n", uri="/x", response="00", qop=auth-int, nc=00000001, cnonce="c""#;
    let (status, c) = connection(&auth_int, Version::HTTP_11, &[cl, ("authorization", wrong)]).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(c, None);
    assert_eq!(
        connection(
            &auth_int,
            Version::HTTP_11,
            &[("content-length", "100"), ("authorization", wrong)]
        )
        .await,
        (StatusCode::PAYLOAD_TOO_LARGE, close.clone())
    );
    assert_eq!(
        connection(
            &auth_int,
            Version::HTTP_2,
            &[("content-length", "100"), ("authorization", wrong)]
        )
        .await,
        (StatusCode::PAYLOAD_TOO_LARGE, None)
    );
}
