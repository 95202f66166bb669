//! The REST API example over real TCP, as the README's walk-through drives it: register,
//! log in, get a token, use it, the admin route, user lookups, Digest (with curl) and the
//! brute-force throttle, against a temporary SQLite database.

use crate::support;
use crate::support::harness::{CURL, Case, cases};

use crate::example::rest_api;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tower_httpauth::digest::{Algorithm, Qop};
use tower_httpauth::token::SignedTokens;

const TOKEN_KEY: &[u8] = b"rest api test token key, 32+ bytes long";

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Answer {
    fn challenges(&self) -> Vec<String> {
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    fn error(&self) -> &str {
        self.json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("not a JSON error: {}", self.json))
    }
}

struct Api {
    base: String,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl Api {
    async fn start(dir: &tempfile::TempDir) -> Api {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("users.db").display());
        let db = rest_api::open_database(&url).await.expect("open the database");
        let secrets = rest_api::Secrets {
            token_key: TOKEN_KEY.to_vec(),
            digest_key: b"rest api test digest key".to_vec(),
        };
        // Served as the example's `main` serves it: with each connection's peer address, which
        // the throttle counts by.
        let app = rest_api::app_with(db, secrets);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .expect("serve");
        });
        Api {
            base: format!("http://{addr}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_owned()))).unwrap();
        let res = self.client.request(req).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            headers.get("content-type").map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "{status} {path}: every answer is JSON"
        );
        let json = serde_json::from_slice(&bytes).expect("a JSON body");
        Answer { status, headers, json }
    }

    async fn register(&self, body: &str) -> Answer {
        self.send(
            Method::POST,
            "/api/users",
            &[("content-type", "application/json")],
            Some(body),
        )
        .await
    }

    async fn get(&self, path: &str, authorization: Option<&str>) -> Answer {
        match authorization {
            Some(a) => self.send(Method::GET, path, &[("authorization", a)], None).await,
            None => self.send(Method::GET, path, &[], None).await,
        }
    }
}

fn basic(user: &str, password: &str) -> String {
    tower_httpauth::BasicCredentials::new(user, password)
        .to_header_value()
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn walk_through() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(&dir).await;

    // Register: 201, the username, a Location to the new user. The first user is the admin.
    let alice = api.register(r#"{"username": "alice", "password": "wonderland"}"#).await;
    assert_eq!(alice.status, StatusCode::CREATED);
    assert_eq!(alice.json, json!({"username": "alice"}));
    let location = alice.headers["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/api/users/"), "{location}");
    let bob = api.register(r#"{"username": "bob", "password": "builder"}"#).await;
    assert_eq!(bob.status, StatusCode::CREATED);

    // Duplicates, missing fields, empty and over-long values, bad JSON: 400 with a JSON error.
    let dup = api.register(r#"{"username": "alice", "password": "other"}"#).await;
    assert_eq!((dup.status, dup.error()), (StatusCode::BAD_REQUEST, "username_taken"));
    for body in [
        r#"{"username": "carol"}"#.to_owned(),
        r#"{"password": "x"}"#.to_owned(),
        r#"{"username": "", "password": "x"}"#.to_owned(),
        r#"{"username": "carol", "password": ""}"#.to_owned(),
        format!(r#"{{"username": "{}", "password": "x"}}"#, "c".repeat(65)),
        format!(r#"{{"username": "carol", "password": "{}"}}"#, "p".repeat(65)),
        r#"{"username": "ca:rol", "password": "x"}"#.to_owned(),
    ] {
        let res = api.register(&body).await;
        assert_eq!(
            (res.status, res.error()),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{body}"
        );
    }
    let long_ok = api
        .register(&format!(r#"{{"username": "{}", "password": "x"}}"#, "d".repeat(64)))
        .await;
    assert_eq!(long_ok.status, StatusCode::CREATED);
    for body in [r#"{"username": "carol""#, "[]", r#"{"username": 7, "password": "x"}"#] {
        let res = api.register(body).await;
        assert_eq!(
            (res.status, res.error()),
            (StatusCode::BAD_REQUEST, "invalid_json"),
            "{body}"
        );
    }
    let no_type = api
        .send(
            Method::POST,
            "/api/users",
            &[],
            Some(r#"{"username":"e","password":"f"}"#),
        )
        .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // User lookup: 200 with the username, 404 for unknown or non-numeric ids.
    let found = api.get(&location, None).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.json["username"], "alice");
    for path in ["/api/users/999999", "/api/users/abc", "/api/nothing-here"] {
        let res = api.get(path, None).await;
        assert_eq!(
            (res.status, res.error()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }

    // A token for Basic credentials; Bearer is not accepted at /api/token.
    let token = api.get("/api/token", Some(&basic("alice", "wonderland"))).await;
    assert_eq!(token.status, StatusCode::OK);
    assert_eq!(token.json["duration"], 600);
    let token = token.json["token"].as_str().unwrap().to_owned();
    let wrong = api.get("/api/token", Some(&basic("alice", "looking-glass"))).await;
    assert_eq!(
        (wrong.status, wrong.error()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    assert_eq!(
        wrong.challenges(),
        ["Basic realm=\"rest-api example\", charset=\"UTF-8\""]
    );
    let unknown = api.get("/api/token", Some(&basic("nobody", "wonderland"))).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let by_token = api.get("/api/token", Some(&format!("Bearer {token}"))).await;
    assert_eq!(by_token.status, StatusCode::UNAUTHORIZED);

    // The resource: Basic or the token; nothing: 401 with both challenges.
    let hello = json!({"data": "Hello, alice!"});
    let with_basic = api.get("/api/resource", Some(&basic("alice", "wonderland"))).await;
    assert_eq!((with_basic.status, &with_basic.json), (StatusCode::OK, &hello));
    let with_token = api.get("/api/resource", Some(&format!("Bearer {token}"))).await;
    assert_eq!((with_token.status, &with_token.json), (StatusCode::OK, &hello));
    let none = api.get("/api/resource", None).await;
    assert_eq!(
        (none.status, none.error()),
        (StatusCode::UNAUTHORIZED, "missing_credentials")
    );
    assert_eq!(
        none.challenges(),
        [
            "Basic realm=\"rest-api example\", charset=\"UTF-8\"",
            "Bearer realm=\"rest-api example\""
        ]
    );

    // Expired and tampered tokens: 401 invalid_token with the reason.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let expired = SignedTokens::new("rest-api-1", TOKEN_KEY.to_vec())
        .issue_at("alice", &[], now - 3600, Duration::from_secs(600))
        .unwrap();
    let res = api.get("/api/resource", Some(&format!("Bearer {expired}"))).await;
    assert_eq!(
        (res.status, res.error()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    assert!(
        res.challenges()
            .iter()
            .any(|c| c.starts_with("Bearer ") && c.contains("error=\"invalid_token\"")),
        "{:?}",
        res.challenges()
    );
    assert!(
        res.json["message"].as_str().unwrap().contains("expired"),
        "{}",
        res.json
    );
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let res = api.get("/api/resource", Some(&format!("Bearer {tampered}"))).await;
    assert_eq!(
        (res.status, res.error()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    // A token signed with another key.
    let forged = SignedTokens::new("rest-api-1", vec![9u8; 32]).issue("alice").unwrap();
    let res = api.get("/api/resource", Some(&format!("Bearer {forged}"))).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // Admin: the first user, by password or by token; bob gets 403 with a JSON error.
    let admin = api.get("/api/admin", Some(&format!("Bearer {token}"))).await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.json["data"], "Hello, alice! You are the admin.");
    let admin = api.get("/api/admin", Some(&basic("alice", "wonderland"))).await;
    assert_eq!(admin.status, StatusCode::OK);
    let bob_token = api.get("/api/token", Some(&basic("bob", "builder"))).await;
    let bob_token = bob_token.json["token"].as_str().unwrap().to_owned();
    let bob_res = api.get("/api/resource", Some(&format!("Bearer {bob_token}"))).await;
    assert_eq!(bob_res.json["data"], "Hello, bob!");
    for auth in [basic("bob", "builder"), format!("Bearer {bob_token}")] {
        let res = api.get("/api/admin", Some(&auth)).await;
        assert_eq!(
            (res.status, res.error()),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{auth}"
        );
    }
    let anonymous = api.get("/api/admin", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Digest: a challenge per algorithm, in JSON.
    let challenge = api.get("/api/digest", None).await;
    assert_eq!(challenge.status, StatusCode::UNAUTHORIZED);
    let challenges = challenge.challenges();
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert!(challenges[0].starts_with("Digest realm=\"rest-api example\"") && challenges[0].contains("SHA-256"));
    assert!(challenges[1].contains("algorithm=MD5"), "{challenges:?}");
    let basic_at_digest = api.get("/api/digest", Some(&basic("alice", "wonderland"))).await;
    assert_eq!(basic_at_digest.status, StatusCode::UNAUTHORIZED);

    // Digest with curl, with the HA1s stored at registration (SHA-256, then forced MD5
    // through a client that only knows MD5: curl picks the first challenge it supports).
    let digest_url = format!("{}/api/digest", api.base);
    let out = curl(&["-s", "--digest", "-u", "bob:builder", &digest_url]).await;
    assert_eq!(out, r#"{"data":"Hello, bob!"}"#);
    let out = curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--digest",
        "-u",
        "bob:wrong",
        &digest_url,
    ])
    .await;
    assert_eq!(out, "401");

    // The README's register and token commands, verbatim apart from the URL.
    let out = curl(&[
        "-s",
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"username":"miguel","password":"python"}"#,
        &format!("{}/api/users", api.base),
    ])
    .await;
    assert_eq!(out, r#"{"username":"miguel"}"#);
    let out = curl(&["-s", "-u", "miguel:python", &format!("{}/api/token", api.base)]).await;
    assert!(
        out.starts_with(r#"{"token":""#) && out.ends_with(r#"","duration":600}"#),
        "{out}"
    );
    let token = out.split('"').nth(3).unwrap().to_owned();
    let out = curl(&["-s", "--oauth2-bearer", &token, &format!("{}/api/resource", api.base)]).await;
    assert_eq!(out, r#"{"data":"Hello, miguel!"}"#);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn md5_digest_uses_the_stored_md5_ha1() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(&dir).await;
    assert_eq!(
        api.register(r#"{"username": "Mufasa", "password": "Circle of Life"}"#)
            .await
            .status,
        StatusCode::CREATED
    );
    // Answer the MD5 challenge by hand (RFC 7616's client computation).
    let header = digest_answer(&api, Algorithm::Md5, "Mufasa", "Circle of Life").await;
    let res = api.get("/api/digest", Some(&header)).await;
    assert_eq!(
        (res.status, &res.json),
        (StatusCode::OK, &json!({"data": "Hello, Mufasa!"}))
    );
    // The same answer again is a replay: refused.
    let replay = api.get("/api/digest", Some(&header)).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
}

/// Registration stores the RFC 8265 forms that Basic and Digest compare with: a fullwidth
/// name and a decomposed password register as `miguel` and the precomposed password, and
/// every way of writing them logs in; what PRECIS refuses is refused at registration.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn registration_stores_the_precis_forms() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(&dir).await;
    // "ｍｉｇｕｅｌ" (fullwidth) / "café" with "e" + U+0301.
    let res = api
        .register(r#"{"username": "\uff4d\uff49\uff47\uff55\uff45\uff4c", "password": "cafe\u0301"}"#)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.json);
    assert_eq!(res.json, json!({"username": "miguel"}));
    // The name is taken whichever way it is written.
    let again = api.register(r#"{"username": "miguel", "password": "other"}"#).await;
    assert_eq!(
        (again.status, again.error()),
        (StatusCode::BAD_REQUEST, "username_taken")
    );

    for (user, password) in [
        ("miguel", "caf\u{e9}"),
        ("miguel", "cafe\u{301}"),
        ("\u{ff4d}\u{ff49}\u{ff47}\u{ff55}\u{ff45}\u{ff4c}", "caf\u{e9}"),
    ] {
        let res = api.get("/api/resource", Some(&basic(user, password))).await;
        assert_eq!(
            (res.status, &res.json),
            (StatusCode::OK, &json!({"data": "Hello, miguel!"})),
            "{user:?} / {password:?}"
        );
    }
    let wrong = api.get("/api/resource", Some(&basic("miguel", "cafe"))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    // Digest: the client hashes the NFC password, the store holds H(A1) of the same.
    let header = digest_answer(&api, Algorithm::Sha256, "miguel", "caf\u{e9}").await;
    let res = api.get("/api/digest", Some(&header)).await;
    assert_eq!(
        (res.status, &res.json),
        (StatusCode::OK, &json!({"data": "Hello, miguel!"}))
    );

    // Refused at registration, as they would be at login.
    for body in [
        r#"{"username": "a:b", "password": "pw"}"#,
        r#"{"username": "two  spaces", "password": "pw"}"#,
        r#"{"username": "crab\ud83e\udd80", "password": "pw"}"#,
        r#"{"username": "bob", "password": "p\u0378"}"#,
    ] {
        let res = api.register(body).await;
        assert_eq!(
            (res.status, res.error()),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{body}"
        );
    }
}

/// Password guessing against the example is throttled: wrong passwords for one user get `401`
/// until the user-id is locked, then `429` with `Retry-After` and a JSON error, while another
/// user logs in from the same address as usual. The README's curl loop shows the same.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_lock_the_user_with_429_and_others_still_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(&dir).await;
    for body in [
        r#"{"username": "alice", "password": "wonderland"}"#,
        r#"{"username": "bob", "password": "builder"}"#,
    ] {
        assert_eq!(api.register(body).await.status, StatusCode::CREATED);
    }
    // Five free failures, the sixth locks for 1 s (doubling with each further failure). The
    // loop does not rely on timing: should a lock lapse between two requests on a slow
    // machine, the next failure locks again, for longer.
    let mut statuses = Vec::new();
    let locked = loop {
        let res = api.get("/api/token", Some(&basic("alice", "looking-glass"))).await;
        statuses.push(res.status);
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            break res;
        }
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(statuses.len() <= 10, "never locked: {statuses:?}");
    };
    assert!(
        statuses.len() >= 7,
        "locked after {} failures, before the free ones were used",
        statuses.len() - 1
    );
    assert_eq!(locked.error(), "too_many_requests");
    let retry: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert!(locked.challenges().is_empty());

    // Another user, same address: unaffected (the address has far fewer than its 20 failures).
    let bob = api.get("/api/token", Some(&basic("bob", "builder"))).await;
    assert_eq!(bob.status, StatusCode::OK);
    let bob = api.get("/api/resource", Some(&basic("bob", "builder"))).await;
    assert_eq!(
        (bob.status, &bob.json),
        (StatusCode::OK, &json!({"data": "Hello, bob!"}))
    );

    // The README's loop, verbatim apart from the URL and the user (a fresh one, so that the
    // count starts at zero): six 401s, then 429.
    assert_eq!(
        api.register(r#"{"username": "miguel", "password": "python"}"#)
            .await
            .status,
        StatusCode::CREATED
    );
    let out = support::run(
        "sh",
        vec![
            "-c".into(),
            format!(
                "for i in 1 2 3 4 5 6 7; do curl -s -o /dev/null -w '%{{http_code}} ' -u miguel:wrong \
                 {}/api/token; done; echo",
                api.base
            ),
        ],
    )
    .await;
    let codes = String::from_utf8_lossy(&out.stdout);
    let codes: Vec<&str> = codes.split_whitespace().collect();
    assert_eq!(codes[..6], ["401"; 6], "{codes:?}");
    // The seventh is 429 unless the 1 s lock lapsed in between (a very slow machine): that
    // is a matter of timing, which the loop above covers without relying on it.
    assert!(codes[6] == "429" || codes[6] == "401", "{codes:?}");

    // Per client address: ConnectInfo is wired in. Failures for ever new user-ids from this
    // address (no user-id reaches its own limit) end in 429 for a user-id never seen before,
    // which only the address's count can explain.
    for i in 0.. {
        let res = api
            .get("/api/token", Some(&basic(&format!("sprayed{i}"), "guess")))
            .await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(res.error(), "too_many_requests");
            break;
        }
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(i < 30, "the address was never locked: is the peer address handed on?");
    }
}

/// Runs curl with `args`, returning its stdout.
async fn curl(args: &[&str]) -> String {
    let out = support::run("curl", args.iter().map(|s| s.to_string()).collect()).await;
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A first Digest answer (nc 1) to `/api/digest`'s challenge for `algorithm`, computed by hand
/// as RFC 7616 describes.
async fn digest_answer(api: &Api, algorithm: Algorithm, user: &str, password: &str) -> String {
    let challenge = api.get("/api/digest", None).await;
    let c = challenge
        .challenges()
        .into_iter()
        .find(|c| c.contains(&format!("algorithm={algorithm}")))
        .expect("a challenge for the algorithm");
    let param = |name: &str| {
        let start = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        c[start..start + c[start..].find('"').unwrap()].to_owned()
    };
    let (nonce, opaque) = (param("nonce"), param("opaque"));
    let response = crate::fixtures::digest::client_response(
        algorithm,
        user,
        "rest-api example",
        password,
        &nonce,
        "00000001",
        "0a4f113b",
        Some(Qop::Auth),
        "GET",
        "/api/digest",
        None,
    );
    format!(
        "Digest username=\"{user}\", realm=\"rest-api example\", uri=\"/api/digest\", algorithm={algorithm}, \
         nonce=\"{nonce}\", nc=00000001, cnonce=\"0a4f113b\", qop=auth, response=\"{}\", opaque=\"{opaque}\"",
        response
    )
}

pub(crate) const TESTS: &[Case] = cases![
    walk_through: [CURL],
    md5_digest_uses_the_stored_md5_ha1: [],
    registration_stores_the_precis_forms: [],
    repeated_wrong_passwords_lock_the_user_with_429_and_others_still_log_in: [CURL],
];
