//! Real clients sending non-ASCII credentials (RFC 8265, PRECIS): curl and python requests
//! against stores holding decomposed (NFD) forms.

use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::precis::Precis;
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Verifier, with_request};

use crate::fixtures::precis::{NFC, NFD, password_store_app, who};
use crate::support;
use crate::support::harness::{CURL, Case, PY_REQUESTS, cases};

/// Basic over TCP; the store holds `josé` / `café` decomposed (NFD), the user handed on is
/// the user-id the verifier saw.
fn basic_app() -> Router {
    let stored = StaticCredentials::new("jose\u{301}", NFD);
    let basic = Basic::new(with_request(
        move |c: BasicCredentials, request: &http::request::Parts| {
            let user = c.username().to_owned();
            let found = stored.verify(c, request);
            async move { found.await.ok().map(|()| user) }
        },
    ));
    Router::new().route("/r", any(who)).layer(AuthLayer::new(basic))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn curl_utf8_credentials_in_any_normalisation_form() {
    let addr = support::serve(basic_app()).await;
    for (user, password) in [
        ("jos\u{e9}", NFC),
        ("jose\u{301}", NFD),
        ("jos\u{e9}", NFD),
        ("\u{ff4a}\u{ff4f}\u{ff53}\u{e9}", NFC), // fullwidth "jos" + é
    ] {
        let out = support::run(
            "curl",
            vec![
                "-s".into(),
                "-u".into(),
                format!("{user}:{password}"),
                format!("http://{addr}/r"),
            ],
        )
        .await;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "jos\u{e9}",
            "{user:?} / {password:?}"
        );
    }
    let out = support::run(
        "curl",
        vec![
            "-s".into(),
            "-o".into(),
            "/dev/null".into(),
            "-w".into(),
            "%{http_code}".into(),
            "-u".into(),
            "jos\u{e9}:cafe".into(),
            format!("http://{addr}/r"),
        ],
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn python_requests_latin1_credentials_match_a_decomposed_store() {
    // requests sends ISO-8859-1: E9 for é. Decoded, enforced (NFC), it is the stored user.
    let addr = support::serve(basic_app()).await;
    let code = format!(
        "import requests\n\
         r = requests.get('http://{addr}/r', auth=('jos\\u00e9', 'caf\\u00e9'))\n\
         w = requests.get('http://{addr}/r', auth=('jos\\u00e9', 'cafe'))\n\
         print(r.status_code, r.content.decode('utf-8'), w.status_code)"
    );
    assert_eq!(support::python(&code).await, "200 jos\u{e9} 401");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn curl_digest_nfc_password_against_a_decomposed_plaintext_store() {
    // The store keeps "café" decomposed; curl hashes what it is given, the NFC form.
    let app = password_store_app(NFD, Precis::Enforce, Arc::default());
    let addr = support::serve(app).await;
    let run = |password: &str| {
        support::run(
            "curl",
            vec![
                "-s".into(),
                "--digest".into(),
                "-u".into(),
                format!("john:{password}"),
                "-w".into(),
                " %{http_code}".into(),
                format!("http://{addr}/r"),
            ],
        )
    };
    let out = run(NFC).await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "john 200");
    let out = run("cafe").await;
    assert!(String::from_utf8_lossy(&out.stdout).ends_with(" 401"));
}

pub(crate) const TESTS: &[Case] = cases![
    curl_utf8_credentials_in_any_normalisation_form: [CURL],
    python_requests_latin1_credentials_match_a_decomposed_store: [PY_REQUESTS],
    curl_digest_nfc_password_against_a_decomposed_plaintext_store: [CURL],
];
