//! The axum token example over real TCP with curl: log in with Basic, use the token with
//! `--oauth2-bearer`, the API key, and the Basic-or-Bearer route.

use crate::support;
use crate::support::harness::{CURL, Case, cases};

use crate::example::axum_token;

/// Runs curl with `args`, returning its stdout (`-w` adds the status).
async fn curl(args: &[&str]) -> String {
    let out = support::run("curl", args.iter().map(|s| s.to_string()).collect()).await;
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn whole_flow_with_curl() {
    let addr = support::serve(axum_token::app(b"example-test-key-example-test-key".to_vec())).await;
    let base = format!("http://{addr}");

    // Log in: Basic in, JSON out.
    let login = curl(&["-s", "-X", "POST", "-u", "john:hello", &format!("{base}/login")]).await;
    assert!(
        login.starts_with(r#"{"token": ""#) && login.ends_with(r#"", "expires_in": 3600}"#),
        "{login}"
    );
    let token = login.split('"').nth(3).unwrap().to_owned();
    let head = curl(&["-s", "-i", "-X", "POST", "-u", "john:hello", &format!("{base}/login")]).await;
    assert!(head.contains("content-type: application/json\r\n"), "{head}");
    let bad = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        "-u",
        "john:nope",
        &format!("{base}/login"),
    ])
    .await;
    assert_eq!(bad, "401");

    // Use the token.
    let body = curl(&["-s", "--oauth2-bearer", &token, &format!("{base}/protected")]).await;
    assert!(body.starts_with("Hello, john! Your token expires at "), "{body}");
    let head = curl(&["-s", "-i", &format!("{base}/protected")]).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(
        head.contains("www-authenticate: Bearer realm=\"tokens demo\"\r\n"),
        "{head}"
    );
    let head = curl(&[
        "-s",
        "-i",
        "--oauth2-bearer",
        "demo-1.AAAA.AAAA",
        &format!("{base}/protected"),
    ])
    .await;
    assert!(head.contains("error=\"invalid_token\""), "{head}");

    // API key.
    let body = curl(&["-s", "-H", "X-API-Key: demo-key-123", &format!("{base}/api-key")]).await;
    assert_eq!(body, "Hello, demo (API key)!\n");
    let code = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "X-API-Key: nope",
        &format!("{base}/api-key"),
    ])
    .await;
    assert_eq!(code, "401");

    // Basic or Bearer on one route.
    let body = curl(&["-s", "-u", "susan:bye", &format!("{base}/either")]).await;
    assert_eq!(body, "Hello, susan (Basic or Bearer)!\n");
    let body = curl(&["-s", "--oauth2-bearer", &token, &format!("{base}/either")]).await;
    assert_eq!(body, "Hello, john (Basic or Bearer)!\n");
    let head = curl(&["-s", "-i", &format!("{base}/either")]).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    let basic_at = head.find("www-authenticate: Basic realm=\"tokens demo\", charset=\"UTF-8\"\r\n");
    let bearer_at = head.find("www-authenticate: Bearer realm=\"tokens demo\"\r\n");
    assert!(
        basic_at.is_some() && bearer_at.is_some() && basic_at < bearer_at,
        "{head}"
    );
}

pub(crate) const TESTS: &[Case] = cases![
    whole_flow_with_curl: [CURL],
];
