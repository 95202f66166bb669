//! The axum Basic example over real TCP, hit by raw sockets, curl, wget and python requests.

use crate::support;
use crate::support::harness::{CURL, Case, PY_REQUESTS, WGET, cases};

use crate::example::axum_basic;

use std::net::SocketAddr;

use axum::{Router, routing::get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials};

/// Sends raw request bytes and returns the raw response head and body.
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn example_over_tcp_statuses_headers_and_bodies() {
    let addr = support::serve(axum_basic::app()).await;
    let get = |path: &str, auth: Option<&str>| {
        let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n")
    };
    let r = raw(addr, get("/", None).as_bytes()).await;
    assert_eq!(status_of(&r), 200, "{r}");

    let r = raw(addr, get("/protected", None).as_bytes()).await;
    assert_eq!(status_of(&r), 401);
    assert!(
        r.contains(r#"www-authenticate: Basic realm="tower-httpauth example", charset="UTF-8""#),
        "{r}"
    );

    let john = BasicCredentials::new("john", "hello").to_header_value();
    let r = raw(addr, get("/protected", Some(john.to_str().unwrap())).as_bytes()).await;
    assert_eq!(status_of(&r), 200);
    assert!(r.ends_with("Hello, john!\n"), "{r}");

    let r = raw(addr, get("/admin", Some(john.to_str().unwrap())).as_bytes()).await;
    assert_eq!(status_of(&r), 403);
    assert!(r.contains("www-authenticate: Basic"), "{r}");

    let susan = BasicCredentials::new("susan", "bye").to_header_value();
    let r = raw(addr, get("/admin", Some(susan.to_str().unwrap())).as_bytes()).await;
    assert_eq!(status_of(&r), 200);
    assert!(r.ends_with("Hello, admin susan!\n"), "{r}");

    let wrong = BasicCredentials::new("susan", "hello").to_header_value();
    let r = raw(addr, get("/admin", Some(wrong.to_str().unwrap())).as_bytes()).await;
    assert_eq!(status_of(&r), 401);

    // CORS preflight passes without credentials (then axum answers for the route).
    let r = raw(
        addr,
        b"OPTIONS /protected HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_ne!(status_of(&r), 401, "{r}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_headers_over_tcp_get_clean_4xx() {
    let addr = support::serve(axum_basic::app()).await;
    let cases: Vec<(Vec<u8>, &[u16])> = vec![
        // Two Authorization fields.
        (
            b"GET /protected HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic am9objpoZWxsbw==\r\nAuthorization: Basic am9objpoZWxsbw==\r\n\r\n".to_vec(),
            &[400],
        ),
        // Invalid UTF-8 and NUL-free binary in the field.
        (
            b"GET /protected HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic \xff\xfe\xfd\r\n\r\n".to_vec(),
            &[400],
        ),
        // Garbage after the token.
        (
            b"GET /protected HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic am9objpoZWxsbw== x\r\n\r\n".to_vec(),
            &[400],
        ),
        // A 64 KiB Authorization field: refused by us (431) or by the HTTP server first.
        (
            format!(
                "GET /protected HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic {}\r\n\r\n",
                "A".repeat(64 * 1024)
            )
            .into_bytes(),
            &[431, 400],
        ),
    ];
    for (req, expected) in cases {
        let r = raw(addr, &req).await;
        assert!(
            expected.contains(&status_of(&r)),
            "expected {expected:?}, got: {}",
            &r[..r.len().min(200)]
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn curl_basic() {
    let addr = support::serve(axum_basic::app()).await;
    let url = |p: &str| format!("http://{addr}{p}");
    let curl = |args: &[&str]| {
        let mut v: Vec<String> = vec!["-s".into(), "-w".into(), "\n%{http_code}".into()];
        v.extend(args.iter().map(|s| s.to_string()));
        support::run("curl", v)
    };
    let out = curl(&["-u", "john:hello", &url("/protected")]).await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, john!\n\n200");
    let out = curl(&["--basic", "-u", "susan:bye", &url("/admin")]).await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, admin susan!\n\n200");
    let out = curl(&["-u", "john:hello", &url("/admin")]).await;
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("403"));
    let out = curl(&["-i", "-u", "john:wrong", &url("/protected")]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.ends_with("401"), "{text}");
    assert!(
        text.contains("www-authenticate: basic realm=\"tower-httpauth example\", charset=\"utf-8\""),
        "{text}"
    );
    // --anyauth first asks without credentials and answers the challenge.
    let out = curl(&["--anyauth", "-u", "susan:bye", &url("/protected")]).await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, susan!\n\n200");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn wget_basic_after_challenge_and_preemptive() {
    let addr = support::serve(axum_basic::app()).await;
    let url = format!("http://{addr}/protected");
    for extra in [None, Some("--auth-no-challenge")] {
        let mut args: Vec<String> = vec![
            "-q".into(),
            "-O".into(),
            "-".into(),
            "--user=john".into(),
            "--password=hello".into(),
        ];
        args.extend(extra.map(String::from));
        args.push(url.clone());
        let out = support::run("wget", args).await;
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello, john!\n");
    }
    let out = support::run(
        "wget",
        vec![
            "-q".into(),
            "-O".into(),
            "-".into(),
            "--user=john".into(),
            "--password=x".into(),
            url,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(6), "wget exits 6 on an authentication failure");
}

/// A server whose user has non-ASCII credentials, answering with the user-id it saw.
fn unicode_app() -> Router {
    let basic = Basic::new(|c: BasicCredentials| async move {
        (c.username() == "Jäsøn Doe" && c.password() == "Secret, or not?").then(|| c.username().to_owned())
    });
    Router::new()
        .route("/", get(|AuthUser(u): AuthUser<String>| async move { u }))
        .layer(AuthLayer::new(basic))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_basic_including_latin1() {
    let addr = support::serve(axum_basic::app()).await;
    let code = format!(
        "import requests\n\
         r = requests.get('http://{addr}/protected', auth=('john', 'hello'))\n\
         w = requests.get('http://{addr}/protected', auth=('john', 'nope'))\n\
         a = requests.get('http://{addr}/admin', auth=('john', 'hello'))\n\
         print(r.status_code, repr(r.text), w.status_code, w.headers.get('www-authenticate'), a.status_code)"
    );
    assert_eq!(
        support::python(&code).await,
        r#"200 'Hello, john!\n' 401 Basic realm="tower-httpauth example", charset="UTF-8" 403"#
    );

    // requests encodes non-ASCII credentials as Latin-1.
    let addr = support::serve(unicode_app()).await;
    let code = format!(
        "import requests\n\
         r = requests.get('http://{addr}/', auth=('Jäsøn Doe', 'Secret, or not?'))\n\
         print(r.status_code, r.content.decode('utf-8'))"
    );
    assert_eq!(support::python(&code).await, "200 Jäsøn Doe");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sends_utf8_for_the_same_user() {
    let addr = support::serve(unicode_app()).await;
    let out = support::run(
        "curl",
        vec![
            "-s".into(),
            "-u".into(),
            "Jäsøn Doe:Secret, or not?".into(),
            format!("http://{addr}/"),
        ],
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Jäsøn Doe");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn optional_route_with_option_extractor() {
    let auth = AuthLayer::new(Basic::new(|c: BasicCredentials| async move {
        (c.password() == "pw").then(|| c.username().to_owned())
    }));
    let app = Router::new()
        .route(
            "/maybe",
            get(|u: Option<AuthUser<String>>| async move { u.map(|u| u.0).unwrap_or_else(|| "anonymous".into()) })
                .route_layer(auth.clone().optional()),
        )
        .route("/unlayered", get(|AuthUser(u): AuthUser<String>| async move { u }))
        .route(
            "/gate",
            get(|| async { "behind the gate" }).route_layer(auth.clone().insert_user(false)),
        )
        .route(
            "/gate-extractor",
            get(|AuthUser(u): AuthUser<String>| async move { u }).route_layer(auth.clone().insert_user(false)),
        );
    let addr = support::serve(app).await;
    let get = |path: &str, auth: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n");
    let r = raw(addr, get("/maybe", "").as_bytes()).await;
    assert!(status_of(&r) == 200 && r.ends_with("anonymous"), "{r}");
    let a = format!(
        "Authorization: {}\r\n",
        BasicCredentials::new("kim", "pw").to_header_value().to_str().unwrap()
    );
    let r = raw(addr, get("/maybe", &a).as_bytes()).await;
    assert!(status_of(&r) == 200 && r.ends_with("kim"), "{r}");
    let bad = format!(
        "Authorization: {}\r\n",
        BasicCredentials::new("kim", "no").to_header_value().to_str().unwrap()
    );
    let r = raw(addr, get("/maybe", &bad).as_bytes()).await;
    assert_eq!(status_of(&r), 401);
    // The extractor on a route without the layer is a configuration error: 500, not a pass.
    let r = raw(addr, get("/unlayered", &a).as_bytes()).await;
    assert_eq!(status_of(&r), 500);
    // A gate (`insert_user(false)`) authenticates but hands no user on: its handler runs, an
    // `AuthUser` extractor behind it is the same configuration error.
    let r = raw(addr, get("/gate", &a).as_bytes()).await;
    assert!(status_of(&r) == 200 && r.ends_with("behind the gate"), "{r}");
    let r = raw(addr, get("/gate", &bad).as_bytes()).await;
    assert_eq!(status_of(&r), 401);
    let r = raw(addr, get("/gate-extractor", &a).as_bytes()).await;
    assert_eq!(status_of(&r), 500);
}

pub(crate) const TESTS: &[Case] = cases![
    example_over_tcp_statuses_headers_and_bodies: [],
    hostile_headers_over_tcp_get_clean_4xx: [],
    curl_basic: [CURL],
    wget_basic_after_challenge_and_preemptive: [WGET],
    python_requests_basic_including_latin1: [PY_REQUESTS],
    curl_sends_utf8_for_the_same_user: [CURL],
    optional_route_with_option_extractor: [],
];
