//! A real browser against the axum Basic and Digest examples: headless Chromium driven by
//! playwright-core (examples/tests/browser/login.js) logs in with `httpCredentials`.
//!
//! Needs `node`, `chromium` and `npm ci` run in examples/tests/browser (see its package.json);
//! without them the tests are reported as ignored locally and fail under `CI=true`.

use crate::support;
use crate::support::harness::{CHROMIUM, Case, NODE, Need, cases};

use crate::example::axum_basic;

use crate::example::axum_digest;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use http::Request;
use tower_httpauth::header::{AuthParams, split_scheme};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// playwright-core installed in examples/tests/browser, where login.js requires it.
const PLAYWRIGHT: Need = Need {
    what: "playwright-core (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix examples/tests/browser)",
    found: || {
        Command::new("node")
            .current_dir(browser_dir())
            .args(["-e", "require.resolve('playwright-core')"])
            .output()
            .is_ok_and(|o| o.status.success())
    },
};

#[derive(Debug, Default)]
struct Outcome {
    statuses: Vec<u16>,
    bodies: Vec<String>,
    /// The scheme of every Authorization header the browser sent.
    authorization: Vec<String>,
}

/// Runs login.js with `scenarios` (JSON) and reads its line output.
async fn drive(scenarios: &str, count: usize) -> Vec<Outcome> {
    let script = browser_dir().join("login.js");
    let out = support::run("node", vec![script.display().to_string(), scenarios.to_owned()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "login.js failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut outcomes: Vec<Outcome> = (0..count).map(|_| Outcome::default()).collect();
    for line in stdout.lines() {
        let mut fields = line.splitn(4, ' ');
        let (kind, n) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        let Some(o) = n.parse::<usize>().ok().and_then(|n| outcomes.get_mut(n)) else {
            panic!("unexpected line from login.js: {line:?}")
        };
        match kind {
            "response" => {
                o.statuses
                    .push(fields.next().and_then(|s| s.parse().ok()).expect("status"));
                o.bodies.push(unjson(fields.next().unwrap_or("\"\"")));
            }
            "sent" => o.authorization.push(fields.next().unwrap_or("").to_owned()),
            _ => panic!("unexpected line from login.js: {line:?}"),
        }
    }
    outcomes
}

/// A JSON string literal's contents (the bodies here are short ASCII text).
fn unjson(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("a JSON string");
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_with_basic() {
    let addr = support::serve(axum_basic::app()).await;
    let url = format!("http://{addr}/protected");
    let admin = format!("http://{addr}/admin");
    let scenarios = format!(
        r#"[
        {{"url":"{url}","credentials":{{"username":"john","password":"hello"}},"repeat":3}},
        {{"url":"{url}","credentials":{{"username":"john","password":"wrong"}}}},
        {{"url":"{url}"}},
        {{"url":"{admin}","credentials":{{"username":"john","password":"hello"}}}},
        {{"url":"{admin}","credentials":{{"username":"susan","password":"bye"}}}}
    ]"#
    );
    let out = drive(&scenarios, 5).await;
    let statuses: Vec<&[u16]> = out.iter().map(|o| o.statuses.as_slice()).collect();
    let expected: [&[u16]; 5] = [&[200, 200, 200], &[401], &[401], &[403], &[200]];
    // Right credentials: 200 on every request of the context; wrong ones: the browser tries
    // them and ends on 401; none: 401; authenticated without the role: 403; an admin: 200.
    assert_eq!(statuses, expected);
    // The handler saw the user the browser logged in as.
    assert!(
        out[0].bodies.iter().all(|b| b == "Hello, john!\n"),
        "{:?}",
        out[0].bodies
    );
    assert_eq!(out[4].bodies, ["Hello, admin susan!\n"]);
    // The refusal's text is what the page shows: Chromium puts up its own "HTTP ERROR" page
    // only for an error response without a body. (Without credentials, headless Chromium has
    // no login dialog to cancel and abandons the navigation, body or not.)
    assert_eq!(
        out[1].bodies,
        ["401 Unauthorized: this resource needs authentication\n"]
    );
    assert_eq!(out[2].bodies, [""]);
    assert_eq!(
        out[3].bodies,
        ["403 Forbidden: the authenticated user may not access this resource\n"]
    );
    // Whatever Chromium reports of the credentials it sent was Basic.
    assert!(
        out.iter().flat_map(|o| &o.authorization).all(|s| s == "Basic"),
        "{out:?}"
    );
}

/// One Digest `Authorization` header as the server received it.
#[derive(Debug, Clone)]
struct SeenDigest {
    path: String,
    username: String,
    nonce: String,
    nc: Option<u32>,
}

/// Wraps `app` in a layer (outside the auth layer) that records every Digest
/// `Authorization` header the server receives.
fn recording(app: axum::Router) -> (axum::Router, Arc<Mutex<Vec<SeenDigest>>>) {
    let seen: Arc<Mutex<Vec<SeenDigest>>> = Arc::default();
    let log = seen.clone();
    let app = app.layer(tower::util::MapRequestLayer::new(
        move |req: Request<axum::body::Body>| {
            for v in req.headers().get_all(http::header::AUTHORIZATION) {
                let Some((scheme, rest)) = split_scheme(v.as_bytes()) else {
                    continue;
                };
                if !scheme.eq_ignore_ascii_case("Digest") {
                    continue;
                }
                let Ok(params) = AuthParams::parse(rest) else { continue };
                let get = |n: &str| params.get(n).map(str::to_owned).unwrap_or_default();
                log.lock().unwrap().push(SeenDigest {
                    path: req.uri().path().to_owned(),
                    username: get("username"),
                    nonce: get("nonce"),
                    nc: params.get("nc").and_then(|n| u32::from_str_radix(n, 16).ok()),
                });
            }
            req
        },
    ));
    (app, seen)
}

/// Mufasa's Digest requests as the server saw them (see the comment at the call): every page
/// load arrived, each nonce's counts are 1..=n with each used once, the page loads' counts
/// increase per nonce in arrival order, and some nonce carried at least three requests.
fn check_counts(seen: &[SeenDigest]) {
    let mufasa: Vec<&SeenDigest> = seen.iter().filter(|s| s.username == "Mufasa").collect();
    let mut nonces: Vec<&str> = Vec::new();
    for s in &mufasa {
        if !nonces.contains(&s.nonce.as_str()) {
            nonces.push(&s.nonce);
        }
    }
    let pages = mufasa.iter().filter(|s| s.path == "/protected").count();
    assert!(pages >= 4, "every page load reached the server: {seen:?}");
    let mut largest = 0;
    for nonce in &nonces {
        let on_it: Vec<&&SeenDigest> = mufasa.iter().filter(|s| s.nonce == *nonce).collect();
        let mut counts: Vec<u32> = on_it.iter().map(|s| s.nc.expect("qop=auth carries nc")).collect();
        let page_counts: Vec<u32> = on_it
            .iter()
            .filter(|s| s.path == "/protected")
            .map(|s| s.nc.unwrap())
            .collect();
        assert!(page_counts.windows(2).all(|w| w[0] < w[1]), "nc increases: {seen:?}");
        counts.sort_unstable();
        assert_eq!(counts, (1..=counts.len() as u32).collect::<Vec<_>>(), "{seen:?}");
        largest = largest.max(counts.len());
    }
    assert!(largest >= 3, "a nonce was re-used for several requests: {seen:?}");
}

fn seen_digest(path: &str, nonce: &str, nc: u32) -> SeenDigest {
    SeenDigest {
        path: path.to_owned(),
        username: "Mufasa".to_owned(),
        nonce: nonce.to_owned(),
        nc: Some(nc),
    }
}

/// The checks above on recorded traces, without a browser: one nonce throughout; and a CI run
/// where a /favicon.ico count arrived after a higher page-load count, was answered stale, and
/// Chromium went on with a fresh nonce. Broken traces must fail them.
fn digest_count_checks_accept_chromiums_concurrent_favicon() {
    let one = ["/protected", "/favicon.ico", "/protected", "/protected", "/protected"];
    let one: Vec<SeenDigest> = one.iter().zip(1..).map(|(p, n)| seen_digest(p, "A", n)).collect();
    check_counts(&one);
    let raced = vec![
        seen_digest("/protected", "A", 1),
        seen_digest("/protected", "A", 3),
        seen_digest("/favicon.ico", "A", 2),
        seen_digest("/favicon.ico", "B", 1),
        seen_digest("/favicon.ico", "B", 2),
        seen_digest("/protected", "B", 3),
        seen_digest("/protected", "B", 4),
    ];
    check_counts(&raced);
    let fails = |trace: Vec<SeenDigest>| std::panic::catch_unwind(|| check_counts(&trace)).is_err();
    // A count used twice on one nonce.
    let mut twice: Vec<SeenDigest> = one.iter().map(|s| seen_digest(&s.path, "A", s.nc.unwrap())).collect();
    twice[4].nc = Some(4);
    assert!(fails(twice));
    // Page loads going backwards on one nonce.
    let backwards = [3, 1, 2, 4]
        .iter()
        .map(|&n| seen_digest("/protected", "A", n))
        .collect();
    assert!(fails(backwards));
    // A fresh nonce for every request: no re-use.
    let fresh = (0..4).map(|i| seen_digest("/protected", &format!("N{i}"), 1)).collect();
    assert!(fails(fresh));
    // A page load missing.
    let missing = (1..=3).map(|n| seen_digest("/protected", "A", n)).collect();
    assert!(fails(missing));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_with_digest_and_counts_up_on_one_nonce() {
    let (app, seen) = recording(axum_digest::app());
    let addr = support::serve(app).await;
    let url = format!("http://{addr}/protected");
    let scenarios = format!(
        r#"[
        {{"url":"{url}","credentials":{{"username":"Mufasa","password":"Circle of Life"}},"repeat":4}},
        {{"url":"{url}","credentials":{{"username":"john","password":"wrong"}}}},
        {{"url":"{url}"}},
        {{"url":"{url}","credentials":{{"username":"john","password":"hello"}}}}
    ]"#
    );
    let out = drive(&scenarios, 4).await;
    let statuses: Vec<&[u16]> = out.iter().map(|o| o.statuses.as_slice()).collect();
    let expected: [&[u16]; 4] = [&[200, 200, 200, 200], &[401], &[401], &[200]];
    assert_eq!(statuses, expected, "{out:?}");
    // The handler saw the user the browser logged in as.
    assert!(
        out[0]
            .bodies
            .iter()
            .all(|b| b == "Hello, Mufasa! You are authenticated with HTTP Digest.\n"),
        "{:?}",
        out[0].bodies
    );
    assert_eq!(
        out[3].bodies,
        ["Hello, john! You are authenticated with HTTP Digest.\n"]
    );
    assert!(
        out.iter()
            .flat_map(|o| &o.authorization)
            .all(|s| s.starts_with("Digest")),
        "{out:?}"
    );

    // Server side: Mufasa's page loads re-used the nonce (the browser did not fetch a new
    // challenge for each), counting 1, 2, 3, … on it. Chromium also sends the credentials with
    // other requests of the origin (such as /favicon.ico), each taking the next count, and
    // sends some of them concurrently: a lower count can then arrive after a higher one, which
    // the replay store refuses with `stale=true` (counts must increase), and Chromium carries
    // on with the fresh nonce without asking the user (every page load above got 200). So the
    // counts are checked per nonce: each nonce's counts are 1..=n, each used once, and the
    // page loads' counts increase in the order they arrived.
    let seen = seen.lock().unwrap().clone();
    check_counts(&seen);
    // The wrong password was tried (once per challenge), and nobody else sent Digest.
    assert!(seen.iter().any(|s| s.username == "john"));
    assert!(
        seen.iter().all(|s| s.username == "Mufasa" || s.username == "john"),
        "{seen:?}"
    );
}

pub(crate) const TESTS: &[Case] = cases![
    chromium_logs_in_with_basic: [NODE, CHROMIUM, PLAYWRIGHT],
    digest_count_checks_accept_chromiums_concurrent_favicon: [],
    chromium_logs_in_with_digest_and_counts_up_on_one_nonce: [NODE, CHROMIUM, PLAYWRIGHT],
];
