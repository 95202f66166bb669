//! Bearer interop over TCP with real clients: curl `--oauth2-bearer` and python `requests`
//! with the `Authorization` header set by hand (it has no Bearer helper).

use crate::support;
use crate::support::harness::{CURL, Case, PY_REQUESTS, cases};

use axum::routing::get;
use axum::{Extension, Router};
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::{AuthLayer, AuthUser, Bearer, Multi, Token};

const TOKEN: &str = "mF_9.B5f-4.1JqM";
const PADDED: &str = "YWJjZA==";

fn app(tokens: SignedTokens) -> Router {
    let bearer = Bearer::new(|t: Token| async move {
        match t.as_str() {
            TOKEN => Some("john".to_owned()),
            PADDED => Some("eve".to_owned()),
            _ => None,
        }
    })
    .realm("interop");
    let api_key = Bearer::api_key("X-API-Key", StaticTokens::new().with("demo-key-123", "robot")).realm("interop");
    Router::new()
        .route(
            "/b",
            get(|Extension(AuthUser(u)): Extension<AuthUser<String>>| async move { u })
                .route_layer(AuthLayer::new(Multi::new(bearer).or(api_key))),
        )
        .route(
            "/signed",
            get(
                |Extension(AuthUser(c)): Extension<AuthUser<tower_httpauth::token::Claims>>| async move {
                    c.subject().to_owned()
                },
            )
            .route_layer(AuthLayer::new(Bearer::new(tokens))),
        )
}

fn tokens() -> SignedTokens {
    SignedTokens::new("k1", b"interop-key-interop-key-interop!".to_vec())
}

async fn curl(args: &[&str]) -> String {
    let out = support::run("curl", args.iter().map(|s| s.to_string()).collect()).await;
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::main(flavor = "current_thread")]
async fn curl_oauth2_bearer() {
    let t = tokens();
    let signed = t.issue("susan").unwrap();
    let addr = support::serve(app(t)).await;
    let url = format!("http://{addr}/b");
    let body = curl(&["-s", "-w", " %{http_code}", "--oauth2-bearer", TOKEN, &url]).await;
    assert_eq!(body, "john 200");
    let body = curl(&["-s", "-w", " %{http_code}", "--oauth2-bearer", PADDED, &url]).await;
    assert_eq!(body, "eve 200");
    let body = curl(&[
        "-s",
        "-w",
        " %{http_code}",
        "--oauth2-bearer",
        &signed,
        &format!("http://{addr}/signed"),
    ])
    .await;
    assert_eq!(body, "susan 200");
    let body = curl(&["-s", "-w", " %{http_code}", "-H", "X-API-Key: demo-key-123", &url]).await;
    assert_eq!(body, "robot 200");
    // Refused and missing tokens: the challenges as curl sees them.
    let head = curl(&["-s", "-i", "--oauth2-bearer", "wrong", &url]).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(
        head.contains("www-authenticate: Bearer realm=\"interop\", error=\"invalid_token\"\r\n"),
        "{head}"
    );
    let head = curl(&["-s", "-i", &url]).await;
    assert!(
        head.contains("www-authenticate: Bearer realm=\"interop\"\r\n"),
        "{head}"
    );
    assert!(
        head.contains("www-authenticate: ApiKey realm=\"interop\", header=\"x-api-key\"\r\n"),
        "{head}"
    );
    // Two token methods at once: 400 invalid_request.
    let head = curl(&[
        "-s",
        "-i",
        "--oauth2-bearer",
        TOKEN,
        "-H",
        "X-API-Key: demo-key-123",
        &url,
    ])
    .await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
}

#[tokio::main(flavor = "current_thread")]
async fn python_requests_with_the_header_set() {
    let t = tokens();
    let signed = t.issue("susan").unwrap();
    let addr = support::serve(app(t)).await;
    let out = support::python(&format!(
        r#"
import requests
base = "http://{addr}"
r = requests.get(base + "/b", headers={{"Authorization": "Bearer {TOKEN}"}})
print(r.status_code, r.text)
r = requests.get(base + "/signed", headers={{"Authorization": "Bearer {signed}"}})
print(r.status_code, r.text)
r = requests.get(base + "/b", headers={{"Authorization": "Bearer nope"}})
print(r.status_code, r.headers.get("WWW-Authenticate"))
r = requests.get(base + "/b")
print(r.status_code, r.headers.get("WWW-Authenticate"))
"#
    ))
    .await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "200 john");
    assert_eq!(lines[1], "200 susan");
    assert_eq!(
        lines[2],
        r#"401 Bearer realm="interop", error="invalid_token", ApiKey realm="interop", header="x-api-key""#
    );
    // requests joins repeated fields with ", ".
    assert_eq!(
        lines[3],
        r#"401 Bearer realm="interop", ApiKey realm="interop", header="x-api-key""#
    );
}

pub(crate) const TESTS: &[Case] = cases![
    curl_oauth2_bearer: [CURL],
    python_requests_with_the_header_set: [PY_REQUESTS],
];
