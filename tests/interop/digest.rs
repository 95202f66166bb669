//! Digest interop against real clients on 127.0.0.1: curl `--digest`, python `requests`
//! (HTTPDigestAuth), `httpx` (DigestAuth) and wget. Each test skips (or, under CI=true,
//! fails) when its client is missing.

use crate::support;
use crate::support::harness::{CURL, Case, PY_HTTPX, PY_REQUESTS, WGET, cases};

use axum::Router;
use axum::extract::Extension;
use axum::routing::any;
use http::HeaderMap;
use tower_httpauth::AuthLayer;
use tower_httpauth::AuthUser;
use tower_httpauth::digest::{Algorithm, Digest, DigestBodyLayer, DigestUsers, Qop};
use tower_httpauth::header::{AuthParams, split_scheme};

const REALM: &str = "http-auth@example.org";

/// The handler names the user and echoes what the client sent, so tests can see which
/// algorithm, qop and nc the client used.
async fn who(Extension(AuthUser(user)): Extension<AuthUser<String>>, headers: HeaderMap) -> String {
    let auth = headers
        .get("authorization")
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let (_, rest) = split_scheme(&auth).unwrap_or(("", b""));
    let p = AuthParams::parse(rest).unwrap_or_default();
    format!(
        "user={user} algorithm={} qop={} nc={} userhash={}",
        p.get("algorithm").unwrap_or("-"),
        p.get("qop").unwrap_or("-"),
        p.get("nc").unwrap_or("-"),
        p.get("userhash").unwrap_or("-"),
    )
}

async fn server(digest: Digest<DigestUsers>) -> String {
    let app = Router::new()
        .route("/{*rest}", any(who))
        .layer(AuthLayer::new(digest))
        .layer(DigestBodyLayer::new(1 << 16));
    let addr = support::serve(app).await;
    format!("http://{addr}")
}

fn digest() -> Digest<DigestUsers> {
    let users = DigestUsers::new(REALM)
        .with_password("Mufasa", "Circle of Life")
        .with_password("john", "hello");
    Digest::new(users).realm(REALM)
}

/// curl: status line and body.
async fn curl(args: &[&str], url: &str) -> (String, String) {
    support::curl(&[args, &[url]].concat()).await
}

#[tokio::main(flavor = "current_thread")]
async fn curl_every_supported_algorithm() {
    let cases = [
        (vec![Algorithm::Md5], "MD5"),
        (vec![Algorithm::Sha256, Algorithm::Md5], "SHA-256"), // the default offer: curl takes the first
        (vec![Algorithm::Md5Sess], "MD5-sess"),
        (vec![Algorithm::Sha256Sess], "SHA-256-sess"),
    ];
    for (offer, want) in cases {
        let url = server(digest().algorithms(offer)).await;
        let (code, body) = curl(
            &["--digest", "-u", "Mufasa:Circle of Life"],
            &format!("{url}/p?a=1&b=%20c"),
        )
        .await;
        assert_eq!(code, "200", "{want}: {body}");
        assert_eq!(
            body,
            format!("user=Mufasa algorithm={want} qop=auth nc=00000001 userhash=-")
        );
        // Wrong password: 401.
        let (code, _) = curl(&["--digest", "-u", "Mufasa:circle of life"], &format!("{url}/x")).await;
        assert_eq!(code, "401");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn curl_userhash() {
    for (alg, name) in [(Algorithm::Md5, "MD5"), (Algorithm::Sha256, "SHA-256")] {
        let url = server(digest().algorithms([alg]).userhash(true)).await;
        let (code, body) = curl(&["--digest", "-u", "Mufasa:Circle of Life"], &format!("{url}/x")).await;
        assert_eq!(code, "200", "{name}");
        assert_eq!(
            body,
            format!("user=Mufasa algorithm={name} qop=auth nc=00000001 userhash=true")
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn curl_sha512_256_is_refused_because_curl_7_88_hashes_with_sha256() {
    // STANDARDS Part 2: curl 7.88.1 answers SHA-512-256 with a SHA-256 digest. A correct
    // server refuses it; newer curls (2024+) implement real SHA-512/256.
    let url = server(digest().algorithms([Algorithm::Sha512_256])).await;
    let out = support::run("curl", vec!["--version".into()]).await;
    let version = String::from_utf8_lossy(&out.stdout).to_string();
    let (code, _) = curl(&["--digest", "-u", "Mufasa:Circle of Life"], &format!("{url}/x")).await;
    if version.starts_with("curl 7.") {
        assert_eq!(code, "401");
    } else {
        assert!(code == "200" || code == "401", "{code}");
    }
}

/// Runs `code` with `URL` bound to `url`; returns the lines it printed.
async fn py(code: &str, url: &str) -> Vec<String> {
    let script = format!("URL = {url:?}\n{code}");
    support::python(&script).await.lines().map(str::to_owned).collect()
}

#[tokio::main(flavor = "current_thread")]
async fn python_requests_reuses_nonce_and_replay_fails() {
    let url = server(digest()).await;
    let out = py(
        r#"
import requests
from requests.auth import HTTPDigestAuth
s = requests.Session()
s.auth = HTTPDigestAuth('Mufasa', 'Circle of Life')
r1 = s.get(URL + '/p?a=1&b=%20c')
r2 = s.get(URL + '/p?a=1&b=%20c')
first = r1.request.headers['Authorization']
r3 = requests.get(URL + '/p?a=1&b=%20c', headers={'Authorization': first})
bad = requests.get(URL + '/x', auth=HTTPDigestAuth('Mufasa', 'wrong'))
for v in [r1.status_code, r1.text, r2.status_code, r2.text, r3.status_code,
          r3.headers.get('WWW-Authenticate', ''), bad.status_code, r1.headers.get('Authentication-Info', '')]:
    print(v)
"#,
        &url,
    )
    .await;
    let v = out;
    assert_eq!(v[0], "200", "{v:?}");
    // requests merges the challenge lines; the last (MD5) wins, with quoted algorithm/qop.
    assert_eq!(v[1], "user=Mufasa algorithm=MD5 qop=auth nc=00000001 userhash=-");
    assert_eq!(v[2], "200", "second request on the reused nonce");
    assert_eq!(v[3], "user=Mufasa algorithm=MD5 qop=auth nc=00000002 userhash=-");
    assert_eq!(v[4], "401", "replayed request");
    assert!(v[5].contains("stale=true"), "{v:?}");
    assert_eq!(v[6], "401");
    assert!(v[7].contains("rspauth="), "{v:?}");
}

#[tokio::main(flavor = "current_thread")]
async fn python_requests_recovers_from_stale() {
    // Nonces live 2 s; the session reuses its nonce after 3 s with a correct response:
    // the server answers stale=true and requests retries with the new nonce, unprompted.
    let url = server(digest().nonce_lifetime(std::time::Duration::from_secs(2))).await;
    let v = py(
        r#"
import time, requests
from requests.auth import HTTPDigestAuth
s = requests.Session()
s.auth = HTTPDigestAuth('Mufasa', 'Circle of Life')
r1 = s.get(URL + '/x')
time.sleep(3)
r2 = s.get(URL + '/x')
stale = any('stale=true' in h.headers.get('WWW-Authenticate', '') for h in r2.history)
for v in [r1.status_code, r2.status_code, r2.text, stale]:
    print(v)
"#,
        &url,
    )
    .await;
    assert_eq!(v[0], "200", "{v:?}");
    assert_eq!(v[1], "200", "{v:?}");
    // A fresh nonce, so the count restarts.
    assert_eq!(v[2], "user=Mufasa algorithm=MD5 qop=auth nc=00000001 userhash=-");
    assert_eq!(v[3], "True", "the retry followed a stale=true challenge");
}

#[tokio::main(flavor = "current_thread")]
async fn httpx_reuses_nonce_and_replay_fails() {
    let url = server(digest()).await;
    let out = py(
        r#"
import httpx
with httpx.Client(auth=httpx.DigestAuth('Mufasa', 'Circle of Life')) as c:
    r1 = c.get(URL + '/p?a=1&b=%20c')
    r2 = c.get(URL + '/p?a=1&b=%20c')
first = r1.request.headers['authorization']
r3 = httpx.get(URL + '/p?a=1&b=%20c', headers={'Authorization': first})
bad = httpx.get(URL + '/x', auth=httpx.DigestAuth('Mufasa', 'wrong'))
for v in [r1.status_code, r1.text, r2.status_code, r2.text, r3.status_code,
          r3.headers.get('www-authenticate', ''), bad.status_code]:
    print(v)
"#,
        &url,
    )
    .await;
    let v = out;
    assert_eq!(v[0], "200", "{v:?}");
    // httpx takes the first challenge: SHA-256.
    assert_eq!(v[1], "user=Mufasa algorithm=SHA-256 qop=auth nc=00000001 userhash=-");
    assert_eq!(v[2], "200", "second request on the reused nonce");
    assert_eq!(v[3], "user=Mufasa algorithm=SHA-256 qop=auth nc=00000002 userhash=-");
    assert_eq!(v[4], "401", "replayed request");
    assert!(v[5].contains("stale=true"), "{v:?}");
    assert_eq!(v[6], "401");
}

async fn wget(url: &str) -> (bool, String) {
    let out = support::run(
        "wget",
        vec![
            "-q".into(),
            "-O".into(),
            "-".into(),
            "--user=Mufasa".into(),
            "--password=Circle of Life".into(),
            url.into(),
        ],
    )
    .await;
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn wget_md5() {
    // MD5-only offer: wget answers with qop=auth.
    let url = server(digest().algorithms([Algorithm::Md5])).await;
    let (ok, body) = wget(&format!("{url}/x")).await;
    assert!(ok, "{body}");
    assert_eq!(body, "user=Mufasa algorithm=MD5 qop=auth nc=00000001 userhash=-");

    // auth and auth-int offered: wget only knows the exact "auth" and falls back to the
    // RFC 2069 form, accepted only with allow_rfc2069.
    let strict = server(digest().algorithms([Algorithm::Md5]).qops([Qop::Auth, Qop::AuthInt])).await;
    let (ok, _) = wget(&format!("{strict}/x")).await;
    assert!(!ok, "RFC 2069 responses are refused by default");
    let legacy = server(
        digest()
            .algorithms([Algorithm::Md5])
            .qops([Qop::Auth, Qop::AuthInt])
            .allow_rfc2069(true),
    )
    .await;
    let (ok, body) = wget(&format!("{legacy}/x")).await;
    assert!(ok, "{body}");
    assert_eq!(body, "user=Mufasa algorithm=MD5 qop=- nc=- userhash=-");
}

#[tokio::main(flavor = "current_thread")]
async fn wget_cannot_do_sha256_only() {
    // STANDARDS item 30: wget answers a SHA-256 challenge with MD5 and no algorithm,
    // which means MD5, which was not offered: refused.
    let url = server(digest().algorithms([Algorithm::Sha256])).await;
    let (ok, _) = wget(&format!("{url}/x")).await;
    assert!(!ok);
}

#[tokio::main(flavor = "current_thread")]
async fn wget_against_the_default_offer() {
    // SHA-256 then MD5 on separate lines: wget answers the MD5 challenge, with qop=auth.
    let url = server(digest()).await;
    let (ok, body) = wget(&format!("{url}/x")).await;
    assert!(ok, "{body}");
    assert_eq!(body, "user=Mufasa algorithm=MD5 qop=auth nc=00000001 userhash=-");
}

/// The order of the offer decides which challenge a client answers (the `digest` module's
/// client table). With SHA-256 first (the default), Python's `urllib.request`, which reads
/// only the first challenge and knows only MD5, is shut out; with MD5 first
/// (`algorithms([Md5, Sha256])`) it logs in, curl and httpx (first challenge) drop to MD5,
/// and requests (the last challenge wins) moves up to SHA-256.
#[tokio::main(flavor = "current_thread")]
async fn md5_first_lets_python_urllib_in_and_moves_the_other_clients() {
    let urllib = r#"
import urllib.request as u
h = u.HTTPDigestAuthHandler()
h.add_password("http-auth@example.org", URL, "Mufasa", "Circle of Life")
try:
    print(u.build_opener(h).open(URL).read().decode())
except Exception as e:
    print("refused:", e)
"#;
    let requests = r#"
import requests
from requests.auth import HTTPDigestAuth
print(requests.get(URL, auth=HTTPDigestAuth("Mufasa", "Circle of Life")).text)
"#;
    let httpx = r#"
import httpx
print(httpx.get(URL, auth=httpx.DigestAuth("Mufasa", "Circle of Life")).text)
"#;
    let answered = |alg: &str| format!("user=Mufasa algorithm={alg} qop=auth nc=00000001 userhash=-");
    for (offer, want_urllib, want_curl_httpx, want_requests) in [
        (vec![Algorithm::Sha256, Algorithm::Md5], None, "SHA-256", "MD5"),
        (vec![Algorithm::Md5, Algorithm::Sha256], Some("MD5"), "MD5", "SHA-256"),
    ] {
        let url = format!("{}/x", server(digest().algorithms(offer.clone())).await);
        let got = py(urllib, &url).await.join("\n");
        match want_urllib {
            Some(alg) => assert_eq!(got, answered(alg), "{offer:?}"),
            None => assert!(got.starts_with("refused:"), "{offer:?}: {got}"),
        }
        let (code, body) = curl(&["--digest", "-u", "Mufasa:Circle of Life"], &url).await;
        assert_eq!((code.as_str(), body), ("200", answered(want_curl_httpx)), "{offer:?}");
        assert_eq!(py(httpx, &url).await, [answered(want_curl_httpx)], "{offer:?}");
        assert_eq!(py(requests, &url).await, [answered(want_requests)], "{offer:?}");
    }
}

pub(crate) const TESTS: &[Case] = cases![
    curl_every_supported_algorithm: [CURL],
    curl_userhash: [CURL],
    curl_sha512_256_is_refused_because_curl_7_88_hashes_with_sha256: [CURL],
    python_requests_reuses_nonce_and_replay_fails: [PY_REQUESTS],
    python_requests_recovers_from_stale: [PY_REQUESTS],
    httpx_reuses_nonce_and_replay_fails: [PY_HTTPX],
    wget_md5: [WGET],
    wget_cannot_do_sha256_only: [WGET],
    wget_against_the_default_offer: [WGET],
    md5_first_lets_python_urllib_in_and_moves_the_other_clients: [CURL, PY_REQUESTS, PY_HTTPX],
];
