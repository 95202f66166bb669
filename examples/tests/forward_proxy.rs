//! `examples/forward_proxy.rs` over real TCP, driven by curl as its module docs say: the
//! proxy and an origin server on ephemeral 127.0.0.1 ports.

use crate::support;
use crate::support::harness::{CURL, Case, cases};

use crate::example::forward_proxy;

use std::sync::{Arc, Mutex};

use axum::Router;
use http::{HeaderMap, Uri};

/// An origin server that keeps the header fields of every request it receives.
async fn recording_origin() -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        record.lock().unwrap().push(headers);
        async move { format!("origin: {uri}") }
    });
    (format!("http://{}", support::serve(app).await), seen)
}

/// curl's status line and headers (`-i`), lower-cased, for the challenges of a refusal.
async fn head(args: &[&str]) -> String {
    let mut all = vec!["-s", "-i", "-o", "-"];
    all.extend_from_slice(args);
    let out = support::run("curl", all.iter().map(|s| s.to_string()).collect()).await;
    String::from_utf8_lossy(&out.stdout).to_ascii_lowercase()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn forward_proxy_example_forwards_authenticated_requests_and_never_its_credentials() {
    let (origin, seen) = recording_origin().await;
    let proxy = format!("http://{}", support::serve(forward_proxy::app()).await);
    let target = format!("{origin}/page?x=1");

    // The command: Basic through `--proxy-user`.
    let (code, body) = support::curl(&["-x", &proxy, "--proxy-user", "alice:wonderland", &target]).await;
    assert_eq!((code.as_str(), body.as_str()), ("200", "origin: /page?x=1"));
    // The API key, as a proxy header and as an ordinary one (the same request for plain HTTP).
    for flag in ["--proxy-header", "-H"] {
        let (code, body) = support::curl(&["-x", &proxy, flag, "X-Proxy-Key: pk-demo", &target]).await;
        assert_eq!((code.as_str(), body.as_str()), ("200", "origin: /page?x=1"), "{flag}");
    }
    // The origin's own credentials pass through.
    let (code, _) = support::curl(&["-x", &proxy, "--proxy-user", "alice:wonderland", "-u", "o:p", &target]).await;
    assert_eq!(code, "200");
    let forwarded = seen.lock().unwrap().len();
    assert_eq!(forwarded, 4);

    // Refusals: no credentials, a wrong password, a wrong key, and OPTIONS (nothing is exempt).
    let refused = head(&["-x", &proxy, &target]).await;
    assert!(refused.starts_with("http/1.1 407"), "{refused}");
    let basic_at = refused.find("proxy-authenticate: basic realm=\"forward proxy\", charset=\"utf-8\"\r\n");
    let key_at = refused.find("proxy-authenticate: apikey realm=\"forward proxy\", header=\"x-proxy-key\"\r\n");
    assert!(basic_at.is_some() && key_at.is_some() && basic_at < key_at, "{refused}");
    for args in [
        &["--proxy-user", "alice:wrong"][..],
        &["--proxy-header", "X-Proxy-Key: pk-wrong"][..],
        &[
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://a.example",
            "-H",
            "Access-Control-Request-Method: GET",
        ][..],
    ] {
        let mut all = vec!["-x", proxy.as_str()];
        all.extend_from_slice(args);
        all.push(&target);
        let (code, _) = support::curl(&all).await;
        assert_eq!(code, "407", "{args:?}");
    }
    // Not a proxy request (origin-form target): refused after authentication.
    let (code, _) = support::curl(&["-H", "Proxy-Authorization: Basic YWxpY2U6d29uZGVybGFuZA==", &proxy]).await;
    assert_eq!(code, "400");
    assert_eq!(
        seen.lock().unwrap().len(),
        forwarded,
        "refused requests reached the origin"
    );

    // What the origin saw: never the proxy's credentials; the origin's own; the proxy's Via.
    let seen = seen.lock().unwrap();
    for headers in seen.iter() {
        assert!(headers.get("proxy-authorization").is_none(), "{headers:?}");
        assert!(headers.get("x-proxy-key").is_none(), "{headers:?}");
        assert!(headers.get("proxy-connection").is_none(), "{headers:?}");
        assert_eq!(headers["via"], "1.1 forward_proxy");
    }
    assert_eq!(seen[3]["authorization"], "Basic bzpw");
    assert!(seen[..3].iter().all(|h| h.get("authorization").is_none()));
}

pub(crate) const TESTS: &[Case] = cases![
    forward_proxy_example_forwards_authenticated_requests_and_never_its_credentials: [CURL],
];
