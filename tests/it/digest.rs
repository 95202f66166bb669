//! Digest (RFC 7616) through a real tower stack: challenges, every acceptance and every
//! refusal, round trips with an independent client (the `http-auth` crate), auth-int,
//! replay, stale nonces, roles, optional mode and the failure hook.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::routing::any;
use axum::{Extension, Router};
use http::{Request, Response, StatusCode};
use http_auth::PasswordParams;
use http_auth::digest::DigestClient;
use tower::ServiceExt;
use tower_httpauth::digest::{
    Algorithm, Digest, DigestBodyLayer, DigestLookup, DigestUser, DigestUsers, MemoryNonceStore, NonceCheck,
    NonceStore, NonceUse, Qop,
};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, FailureKind, Verifier, with_request};

use crate::fixtures::digest::{client_response, hash};

/// The `Authentication-Info` response header (RFC 9110 §11.6.3).
const AUTHENTICATION_INFO: &str = "authentication-info";

const REALM: &str = "http-auth@example.org";
const SECRET: &[u8] = b"an example secret shared by a fleet";

fn users() -> DigestUsers {
    DigestUsers::new(REALM)
        .with_password("Mufasa", "Circle of Life")
        .with_password("john", "hello")
        .with_password("Jäsøn Doe", "Secret, or not?")
}

fn digest() -> Digest<DigestUsers> {
    Digest::new(users()).realm(REALM)
}

async fn who(Extension(AuthUser(user)): Extension<AuthUser<String>>, body: Bytes) -> String {
    format!("user={user} body={}", String::from_utf8_lossy(&body))
}

fn app<V: Verifier<DigestLookup, User = DigestUser<String>>>(digest: Digest<V>) -> Router {
    Router::new()
        .route("/", any(who))
        .route("/{*rest}", any(who))
        .layer(AuthLayer::new(digest))
        .layer(DigestBodyLayer::new(64))
}

async fn send(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: &str) -> Response<Body> {
    let mut b = Request::builder().method(method).uri(uri).header("host", "example.org");
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    app.clone()
        .oneshot(b.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap()
}

async fn text(res: Response<Body>) -> String {
    let b = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    String::from_utf8(b.to_vec()).unwrap()
}

fn challenges(res: &Response<Body>) -> Vec<String> {
    res.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// (nonce, opaque) of the first challenge.
fn nonce_opaque(res: &Response<Body>) -> (String, String) {
    let c = &challenges(res)[0];
    let (_, rest) = split_scheme(c.as_bytes()).unwrap();
    let p = AuthParams::parse(rest).unwrap();
    (p.get("nonce").unwrap().to_owned(), p.get("opaque").unwrap().to_owned())
}

fn param(header: &str, name: &str) -> Option<String> {
    let rest = split_scheme(header.as_bytes())
        .map(|(_, r)| r)
        .unwrap_or(header.as_bytes());
    AuthParams::parse(rest).unwrap().get(name).map(str::to_owned)
}

fn info_param(res: &Response<Body>, name: &str) -> Option<String> {
    let v = res.headers().get(AUTHENTICATION_INFO)?.to_str().unwrap();
    AuthParams::parse(v.as_bytes()).unwrap().get(name).map(str::to_owned)
}

/// A hand-built Authorization value, as curl would send it.
#[derive(Clone)]
struct Creds {
    alg: Algorithm,
    send_alg: bool,
    user: String,
    pw: String,
    realm: String,
    nonce: String,
    opaque: String,
    uri: String,
    method: String,
    nc: String,
    cnonce: String,
    qop: Option<Qop>,
}

impl Creds {
    fn new(nonce: &str, opaque: &str) -> Self {
        Creds {
            alg: Algorithm::Sha256,
            send_alg: true,
            user: "Mufasa".into(),
            pw: "Circle of Life".into(),
            realm: REALM.into(),
            nonce: nonce.into(),
            opaque: opaque.into(),
            uri: "/dir/index.html".into(),
            method: "GET".into(),
            nc: "00000001".into(),
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ".into(),
            qop: Some(Qop::Auth),
        }
    }

    fn response(&self) -> String {
        client_response(
            self.alg,
            &self.user,
            &self.realm,
            &self.pw,
            &self.nonce,
            &self.nc,
            &self.cnonce,
            self.qop,
            &self.method,
            &self.uri,
            None,
        )
        .as_str()
        .to_owned()
    }

    fn header(&self) -> String {
        let mut h = format!(
            r#"Digest username="{}", realm="{}", nonce="{}", uri="{}", response="{}", opaque="{}""#,
            self.user,
            self.realm,
            self.nonce,
            self.uri,
            self.response(),
            self.opaque
        );
        if let Some(q) = self.qop {
            h += &format!(r#", qop={q}, nc={}, cnonce="{}""#, self.nc, self.cnonce);
        }
        if self.send_alg {
            h += &format!(", algorithm={}", self.alg);
        }
        h
    }
}

/// A fresh challenge from `app`: (nonce, opaque).
async fn fresh(app: &Router) -> (String, String) {
    let res = send(app, "GET", "/", None, "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    nonce_opaque(&res)
}

fn assert_401_with_challenge(res: &Response<Body>, stale: bool) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let cs = challenges(res);
    assert!(!cs.is_empty(), "every 401 carries a challenge (RFC 9110 §15.5.2)");
    for c in cs {
        assert_eq!(param(&c, "stale").as_deref() == Some("true"), stale, "{c}");
    }
}

// ---------------------------------------------------------------- challenges

#[tokio::test]
async fn default_challenge_shape() {
    let app = app(digest());
    let res = send(&app, "GET", "/dir/index.html", None, "").await;
    assert_401_with_challenge(&res, false);
    let cs = challenges(&res);
    assert_eq!(cs.len(), 2, "one WWW-Authenticate field per algorithm");
    assert!(cs[0].starts_with("Digest "));
    let mut nonces = vec![];
    for (c, alg) in cs.iter().zip(["SHA-256", "MD5"]) {
        let (_, rest) = split_scheme(c.as_bytes()).unwrap();
        let p = AuthParams::parse(rest).unwrap();
        // Item 23: realm, nonce, opaque, qop quoted; algorithm (and stale) not.
        for quoted in ["realm", "nonce", "opaque", "qop"] {
            assert_eq!(p.was_quoted(quoted), Some(true), "{quoted} in {c}");
        }
        assert_eq!(p.was_quoted("algorithm"), Some(false));
        assert_eq!(p.get("algorithm"), Some(alg));
        assert_eq!(p.get("realm"), Some(REALM));
        assert_eq!(p.get("qop"), Some("auth"));
        assert_eq!(p.get("charset"), Some("UTF-8"));
        assert_eq!(p.get("stale"), None);
        assert_eq!(p.get("userhash"), None);
        let nonce = p.get("nonce").unwrap();
        assert!(nonce.len() >= 32 && !nonce.contains('"'));
        nonces.push(nonce.to_owned());
    }
    // A new nonce per 401 (item 26).
    let (n2, _) = nonce_opaque(&send(&app, "GET", "/", None, "").await);
    assert_ne!(nonces[0], n2);
}

#[tokio::test]
async fn configured_offer_order_userhash_and_qops() {
    let d = digest()
        .algorithms([Algorithm::Sha512_256, Algorithm::Sha256Sess, Algorithm::Md5])
        .qops([Qop::Auth, Qop::AuthInt])
        .userhash(true);
    let res = send(&app(d), "GET", "/", None, "").await;
    let cs = challenges(&res);
    let algs: Vec<_> = cs.iter().map(|c| param(c, "algorithm").unwrap()).collect();
    assert_eq!(algs, ["SHA-512-256", "SHA-256-sess", "MD5"]);
    for c in &cs {
        assert_eq!(param(c, "qop").as_deref(), Some("auth, auth-int"));
        assert_eq!(param(c, "userhash").as_deref(), Some("true"));
    }
}

#[tokio::test]
async fn domain_is_sent_quoted_in_every_challenge_when_configured() {
    // Not sent by default.
    let res = send(&app(digest()), "GET", "/", None, "").await;
    for c in challenges(&res) {
        assert_eq!(param(&c, "domain"), None, "{c}");
    }
    let d = digest().domain(["/api", "/admin/", "https://mirror.example.org/x?y=1"]);
    let app = app(d);
    let res = send(&app, "GET", "/", None, "").await;
    let cs = challenges(&res);
    assert_eq!(cs.len(), 2);
    for c in &cs {
        assert!(
            c.contains(r#", domain="/api /admin/ https://mirror.example.org/x?y=1", "#),
            "{c}"
        );
        let (_, rest) = split_scheme(c.as_bytes()).unwrap();
        let p = AuthParams::parse(rest).unwrap();
        assert_eq!(p.was_quoted("domain"), Some(true));
        let uris: Vec<_> = p.get("domain").unwrap().split(' ').collect();
        assert_eq!(uris, ["/api", "/admin/", "https://mirror.example.org/x?y=1"]);
    }
    // Also on a stale challenge.
    let (nonce, opaque) = nonce_opaque(&res);
    let good = Creds::new(&nonce, &opaque).header();
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&good), "").await.status(),
        StatusCode::OK
    );
    let replay = send(&app, "GET", "/dir/index.html", Some(&good), "").await;
    assert_401_with_challenge(&replay, true);
    for c in challenges(&replay) {
        assert_eq!(
            param(&c, "domain").as_deref(),
            Some("/api /admin/ https://mirror.example.org/x?y=1")
        );
    }
    // One URI; an empty list removes it.
    let one = digest().domain(["/"]);
    let res = send(&self::app(one), "GET", "/", None, "").await;
    assert_eq!(param(&challenges(&res)[0], "domain").as_deref(), Some("/"));
    let cleared = digest().domain(["/"]).domain(Vec::<String>::new());
    let res = send(&self::app(cleared), "GET", "/", None, "").await;
    assert_eq!(param(&challenges(&res)[0], "domain"), None);
}

#[test]
fn domain_refuses_what_would_break_the_list() {
    for bad in ["", "/a b", "/a\"b", "/a\tb", "/a\nb", "/a\u{7f}", "/ä"] {
        let r = std::panic::catch_unwind(|| digest().domain(["/ok", bad]));
        assert!(r.is_err(), "{bad:?} accepted");
    }
}

// ---------------------------------------------------------------- the tests' own client

/// The client computation these tests send with (tests/support/digest.rs) gives the RFCs'
/// responses and the values STANDARDS.md items 42, 44 and 45 record, so what it sends is what
/// a correct client sends.
#[test]
fn the_test_client_computes_the_rfc_vectors() {
    const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let r3_9_1 = |alg, qop, method, body: Option<&[u8]>| {
        client_response(
            alg,
            "Mufasa",
            REALM,
            "Circle of Life",
            NONCE,
            "00000001",
            CNONCE,
            qop,
            method,
            "/dir/index.html",
            body,
        )
    };
    let auth = Some(Qop::Auth);
    let int = Some(Qop::AuthInt);
    let cases = [
        // RFC 7616 §3.9.1.
        (
            "§3.9.1 MD5",
            r3_9_1(Algorithm::Md5, auth, "GET", None),
            "8ca523f5e9506fed4657c9700eebdbec",
        ),
        (
            "§3.9.1 SHA-256",
            r3_9_1(Algorithm::Sha256, auth, "GET", None),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
        // Item 44, computed for the same inputs.
        (
            "item 44 MD5-sess",
            r3_9_1(Algorithm::Md5Sess, auth, "GET", None),
            "e783283f46242139c486a698fec7211d",
        ),
        (
            "item 44 SHA-256-sess",
            r3_9_1(Algorithm::Sha256Sess, auth, "GET", None),
            "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
        ),
        (
            "item 44 SHA-512-256",
            r3_9_1(Algorithm::Sha512_256, auth, "GET", None),
            "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0",
        ),
        (
            "item 44 SHA-512-256-sess",
            r3_9_1(Algorithm::Sha512_256Sess, auth, "GET", None),
            "3f2a34f923c38b0fb26dce2fdfc2ce326c23cecf86fbb1444f3e51fbbc2cb92e",
        ),
        (
            "auth-int MD5",
            r3_9_1(Algorithm::Md5, int, "GET", Some(b"")),
            "8804a53d3640a40a4f73cea12c5ba451",
        ),
        (
            "auth-int SHA-256",
            r3_9_1(Algorithm::Sha256, int, "GET", Some(b"")),
            "8bdf6f15638e260831e905028de5450562816d093c9bfc5c13d3a46adcdde940",
        ),
        // Item 42: the rspauth (empty method).
        (
            "item 42 rspauth MD5",
            r3_9_1(Algorithm::Md5, auth, "", None),
            "9b712497bc9f91499fbcca1dfc5f09a5",
        ),
        (
            "item 42 rspauth SHA-256",
            r3_9_1(Algorithm::Sha256, auth, "", None),
            "86d3b25618d41854ca5039a5d7e53ff6355d5134a9b1fb088a78ac3c462195a0",
        ),
    ];
    for (what, got, want) in cases {
        assert_eq!(got, want, "{what}");
    }
    // RFC 2617 §3.5, with qop and in the RFC 2069 form.
    let rfc2617 = |qop| {
        client_response(
            Algorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "00000001",
            "0a4f113b",
            qop,
            "GET",
            "/dir/index.html",
            None,
        )
    };
    assert_eq!(rfc2617(auth), "6629fae49393a05397450978507c4ef1");
    assert_eq!(rfc2617(None), "670fd8c2df070c60b045671b8b24ff02");
    // Item 45: RFC 7616 §3.9.2 recomputed with SHA-512/256 (the RFC prints wrong values).
    let r = client_response(
        Algorithm::Sha512_256,
        "Jäsøn Doe",
        "api@example.org",
        "Secret, or not?",
        "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
        "00000001",
        "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
        auth,
        "GET",
        "/doe.json",
        None,
    );
    assert_eq!(r, "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
    assert_eq!(hash(Algorithm::Md5, b""), "d41d8cd98f00b204e9800998ecf8427e");
}

// ---------------------------------------------------------------- round trips with http-auth

fn http_auth_client(res: &Response<Body>, index: usize) -> DigestClient {
    let c = &challenges(res)[index];
    let parsed = http_auth::parse_challenges(c).unwrap();
    DigestClient::try_from(&parsed[0]).unwrap()
}

/// Every algorithm × qop, answered by an independent client implementation.
#[tokio::test]
async fn http_auth_client_round_trips_every_algorithm_and_qop() {
    for alg in Algorithm::ALL {
        for qop in [Qop::Auth, Qop::AuthInt] {
            let app = app(digest().algorithms([alg]).qops([qop]));
            let (method, uri, body) = ("POST", "/p?a=1&b=%20c", "payload");
            let res = send(&app, method, uri, None, body).await;
            let mut client = http_auth_client(&res, 0);
            assert_eq!(client.session(), alg.is_session());
            // http-auth 0.1 puts the raw body into A2 where RFC 7616 §3.4.3 wants
            // H(entity-body); handing it the body's hash makes its A2 the RFC's.
            let body_hash = hash(alg, body.as_bytes());
            let params = PasswordParams {
                username: "Mufasa",
                password: "Circle of Life",
                uri,
                method,
                body: (qop == Qop::AuthInt).then_some(body_hash.as_bytes()),
            };
            let auth = client.respond(&params).unwrap();
            assert_eq!(param(&auth, "qop").as_deref(), Some(qop.name()), "{auth}");
            let res = send(&app, method, uri, Some(&auth), body).await;
            assert_eq!(res.status(), StatusCode::OK, "{alg} {qop}: {auth}");
            // Authentication-Info: rspauth, qop, nc, cnonce (item 42), checked independently.
            let cnonce = param(&auth, "cnonce").unwrap();
            let nonce = param(&auth, "nonce").unwrap();
            let want = client_response(
                alg,
                "Mufasa",
                REALM,
                "Circle of Life",
                &nonce,
                "00000001",
                &cnonce,
                Some(qop),
                "",
                uri,
                (qop == Qop::AuthInt).then_some(body.as_bytes()),
            );
            assert_eq!(
                info_param(&res, "rspauth").as_deref(),
                Some(want.as_str()),
                "{alg} {qop}"
            );
            assert_eq!(info_param(&res, "qop").as_deref(), Some(qop.name()));
            assert_eq!(info_param(&res, "nc").as_deref(), Some("00000001"));
            assert_eq!(info_param(&res, "cnonce"), Some(cnonce));
            assert_eq!(
                text(res).await,
                "user=Mufasa body=payload",
                "the inner service got the same body"
            );

            // The same client reuses the nonce with nc=00000002: accepted.
            let auth2 = client.respond(&params).unwrap();
            assert_eq!(param(&auth2, "nc").as_deref(), Some("00000002"));
            assert_eq!(
                send(&app, method, uri, Some(&auth2), body).await.status(),
                StatusCode::OK
            );
            // Replaying the first request: refused, stale.
            assert_401_with_challenge(&send(&app, method, uri, Some(&auth), body).await, true);
        }
    }
}

#[tokio::test]
async fn http_auth_client_username_star_and_userhash() {
    // A non-ASCII name goes out as username*=UTF-8''… (RFC 5987).
    let app1 = app(digest());
    let res = send(&app1, "GET", "/x", None, "").await;
    let mut client = http_auth_client(&res, 0);
    let p = PasswordParams {
        username: "Jäsøn Doe",
        password: "Secret, or not?",
        uri: "/x",
        method: "GET",
        body: None,
    };
    let auth = client.respond(&p).unwrap();
    assert!(auth.contains("username*=UTF-8''J%C3%A4s%C3%B8n%20Doe"), "{auth}");
    let res = send(&app1, "GET", "/x", Some(&auth), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "user=Jäsøn Doe body=");

    // userhash=true: the client sends H(user ":" realm).
    for alg in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Sha512_256] {
        let app2 = app(digest().algorithms([alg]).userhash(true));
        let res = send(&app2, "GET", "/x", None, "").await;
        let mut client = http_auth_client(&res, 0);
        let auth = client
            .respond(&PasswordParams {
                username: "Mufasa",
                password: "Circle of Life",
                ..p
            })
            .unwrap();
        assert_eq!(param(&auth, "userhash").as_deref(), Some("true"));
        assert_eq!(
            param(&auth, "username").unwrap(),
            alg.userhash("Mufasa", REALM).as_str()
        );
        let res = send(&app2, "GET", "/x", Some(&auth), "").await;
        assert_eq!(res.status(), StatusCode::OK, "{alg} {auth} {:?}", challenges(&res));
        assert_eq!(text(res).await, "user=Mufasa body=");
    }
}

// ---------------------------------------------------------------- acceptance details

#[tokio::test]
async fn plain_name_accepted_after_userhash_challenge_and_quoted_params() {
    let app = app(digest().userhash(true));
    let (nonce, opaque) = fresh(&app).await;
    let c = Creds::new(&nonce, &opaque);
    // requests-style: quoted algorithm, qop and nc.
    let h = c
        .header()
        .replace("qop=auth", r#"qop="auth""#)
        .replace("nc=00000001", r#"nc="00000001""#)
        .replace("algorithm=SHA-256", r#"algorithm="SHA-256""#)
        .replace("Digest ", "dIgEsT ")
        .replace(", ", " ,  , ");
    let res = send(&app, "GET", "/dir/index.html", Some(&h), "").await;
    assert_eq!(res.status(), StatusCode::OK, "{h}");
}

#[tokio::test]
async fn uri_matching() {
    let app = app(digest());
    let ok = [
        ("/p?a=1&b=%20c", "/p?a=1&b=%20c"),
        ("/dir/index.html", "http://example.org/dir/index.html"),
        ("http://example.org/abs?q", "http://example.org/abs?q"),
    ];
    for (target, uri) in ok {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.uri = uri.into();
        let res = send(&app, "GET", target, Some(&c.header()), "").await;
        assert_eq!(res.status(), StatusCode::OK, "{target} vs {uri}");
    }
    let bad = [
        ("/p?a=1&b=%20c", "/p?a=1&b= c"),
        ("/p?a=1", "/p"),
        ("/dir/index.html", "/dir/other.html"),
        ("/dir/index.html", "http://evil.example/dir/index.html"),
        ("/dir/index.html", "*"),
    ];
    for (target, uri) in bad {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.uri = uri.into();
        let res = send(&app, "GET", target, Some(&c.header()), "").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{target} vs {uri}");
    }
}

#[tokio::test]
async fn nextnonce_near_the_end() {
    let app1 = app(digest());
    let (nonce, opaque) = fresh(&app1).await;
    let res = send(
        &app1,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(info_param(&res, "nextnonce"), None, "a fresh nonce needs no successor");

    let app2 = app(digest().nextnonce_within(Duration::from_secs(3600)));
    let (nonce, opaque) = fresh(&app2).await;
    let res = send(
        &app2,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let next = info_param(&res, "nextnonce").expect("nextnonce");
    assert_ne!(next, nonce);
    // The nextnonce is a valid nonce.
    let mut c = Creds::new(&next, &opaque);
    c.nc = "00000001".into();
    assert_eq!(
        send(&app2, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn authentication_info_quoting() {
    // Item 42: rspauth, cnonce and nextnonce quoted; qop and nc not.
    let app = app(digest().nextnonce_within(Duration::from_secs(3600)));
    let (nonce, opaque) = fresh(&app).await;
    let res = send(
        &app,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    let v = res.headers()[AUTHENTICATION_INFO].to_str().unwrap().to_owned();
    let p = AuthParams::parse(v.as_bytes()).unwrap();
    for (name, quoted) in [
        ("rspauth", true),
        ("cnonce", true),
        ("nextnonce", true),
        ("qop", false),
        ("nc", false),
    ] {
        assert_eq!(p.was_quoted(name), Some(quoted), "{name} in {v}");
    }
}

#[test]
#[should_panic(expected = "at least one qop")]
fn no_qop_is_a_configuration_error() {
    // RFC 7616 requires qop in every challenge, and -sess cannot work without it.
    let _ = digest().qops([]);
}

#[test]
#[should_panic(expected = "at least 16 bytes")]
fn short_secret_is_a_configuration_error() {
    let _ = digest().secret(b"short");
}

#[test]
fn debug_hides_the_secret() {
    let s = format!("{:?}", digest().secret(SECRET));
    assert!(s.contains("<redacted>") && !s.contains("fleet"), "{s}");
}

#[tokio::test]
async fn unknown_user_answer_looks_like_a_wrong_password() {
    let app = app(digest());
    let mut shapes = vec![];
    for user in ["Mufasa", "Scar"] {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.user = user.into();
        c.pw = "wrong".into();
        let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
        let names: Vec<String> = res.headers().keys().map(|k| k.to_string()).collect();
        let cs: Vec<Vec<String>> = challenges(&res)
            .iter()
            .map(|c| {
                let (_, rest) = split_scheme(c.as_bytes()).unwrap();
                AuthParams::parse(rest)
                    .unwrap()
                    .iter()
                    .map(|(k, _)| k.to_owned())
                    .collect()
            })
            .collect();
        shapes.push((res.status(), names, cs, text(res).await));
    }
    assert_eq!(shapes[0], shapes[1]);
}

#[tokio::test]
async fn authentication_info_can_be_turned_off() {
    let app = app(digest().authentication_info(false));
    let (nonce, opaque) = fresh(&app).await;
    let res = send(
        &app,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(AUTHENTICATION_INFO).is_none());
}

#[tokio::test]
async fn fleet_shares_the_secret() {
    let a = app(digest().secret(SECRET));
    let b = app(digest().secret(SECRET));
    let other = app(digest().secret(b"another secret, another fleet"));
    let (nonce, opaque) = fresh(&a).await;
    let h = Creds::new(&nonce, &opaque).header();
    assert_eq!(
        send(&b, "GET", "/dir/index.html", Some(&h), "").await.status(),
        StatusCode::OK
    );
    assert_401_with_challenge(&send(&other, "GET", "/dir/index.html", Some(&h), "").await, false);
}

// ---------------------------------------------------------------- refusals

#[tokio::test]
async fn wrong_password_and_unknown_user_are_plain_401() {
    let app = app(digest());
    for (user, pw) in [("Mufasa", "circle of life"), ("Scar", "Circle of Life"), ("", "")] {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.user = user.into();
        c.pw = pw.into();
        let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
        assert_401_with_challenge(&res, false);
        assert!(res.headers().get(AUTHENTICATION_INFO).is_none());
    }
}

#[tokio::test]
async fn stale_nonce_only_when_the_response_is_right() {
    let app = app(digest().nonce_lifetime(Duration::ZERO));
    let (nonce, opaque) = fresh(&app).await;
    let c = Creds::new(&nonce, &opaque);
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_401_with_challenge(&res, true); // item 27: expired + right digest → stale=true
    let mut wrong = c.clone();
    wrong.pw = "nope".into();
    let res = send(&app, "GET", "/dir/index.html", Some(&wrong.header()), "").await;
    assert_401_with_challenge(&res, false); // wrong password → no stale
}

#[tokio::test]
async fn forged_or_tampered_nonce_is_plain_401() {
    let app = app(digest());
    let (nonce, opaque) = fresh(&app).await;
    let mut tampered = nonce.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    for n in [
        String::from_utf8(tampered).unwrap(),
        "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
        "x".into(),
    ] {
        let c = Creds::new(&n, &opaque);
        let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
        assert_401_with_challenge(&res, false);
    }
}

#[tokio::test]
async fn replay_and_nc_rules() {
    let app = app(digest());
    let (nonce, opaque) = fresh(&app).await;
    let mut c = Creds::new(&nonce, &opaque);
    let first = c.header();
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&first), "").await.status(),
        StatusCode::OK
    );
    // Same (nonce, nc) again: replay → stale.
    assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&first), "").await, true);
    // nc=2 on the still-valid nonce: accepted (requests, httpx, Chromium do this).
    c.nc = "00000002".into();
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
    // Skipping ahead is fine, going back is not.
    c.nc = "0000000a".into();
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
    c.nc = "00000005".into();
    assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await, true);
    // nc must be exactly 8 hex digits.
    for nc in ["1", "000000001", "0000000g", ""] {
        c.nc = nc.into();
        let h = c.header().replace("nc=,", "nc=\"\",");
        let res = send(&app, "GET", "/dir/index.html", Some(&h), "").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "nc={nc}");
        assert!(!challenges(&res).is_empty());
    }
}

#[tokio::test]
async fn fail_closed_when_the_replay_store_forgets() {
    let app = app(digest().nonce_store(MemoryNonceStore::with_limits(1, 1 << 20)));
    let (n1, opaque) = fresh(&app).await;
    let (n2, _) = fresh(&app).await;
    let c1 = Creds::new(&n1, &opaque);
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&c1.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
    let c2 = Creds::new(&n2, &opaque);
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&c2.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
    // n1 was forgotten to make room for n2: its replay is refused, never accepted.
    let mut again = c1.clone();
    again.nc = "00000002".into();
    assert_401_with_challenge(
        &send(&app, "GET", "/dir/index.html", Some(&again.header()), "").await,
        true,
    );
    assert_401_with_challenge(
        &send(&app, "GET", "/dir/index.html", Some(&c1.header()), "").await,
        true,
    );
}

#[tokio::test]
async fn offer_mismatches_are_401() {
    // wget: SHA-256-only challenge answered with MD5 and no algorithm (absent = MD5).
    let app1 = app(digest().algorithms([Algorithm::Sha256]));
    let (nonce, opaque) = fresh(&app1).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.alg = Algorithm::Md5;
    c.send_alg = false;
    assert_401_with_challenge(
        &send(&app1, "GET", "/dir/index.html", Some(&c.header()), "").await,
        false,
    );
    // The same with MD5 offered too is a legitimate MD5 response.
    let app2 = app(digest());
    let (nonce, opaque) = fresh(&app2).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.alg = Algorithm::Md5;
    c.send_alg = false;
    assert_eq!(
        send(&app2, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::OK
    );

    let app = app(digest());
    let (nonce, opaque) = fresh(&app).await;
    let base = Creds::new(&nonce, &opaque);
    let mut cases: Vec<(&str, Creds)> = vec![];
    let mut c = base.clone();
    c.realm = "other@example.org".into();
    cases.push(("realm", c));
    let mut c = base.clone();
    c.opaque = "not-ours".into();
    cases.push(("opaque", c));
    let mut c = base.clone();
    c.alg = Algorithm::Sha512_256;
    cases.push(("algorithm not offered", c));
    let mut c = base.clone();
    c.qop = Some(Qop::AuthInt);
    cases.push(("qop not offered", c));
    let mut c = base.clone();
    c.qop = None;
    cases.push(("RFC 2069 form refused by default", c));
    for (what, c) in cases {
        let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
        assert_401_with_challenge(&res, false);
        let _ = what;
    }
    // Unknown algorithm, unknown qop: 401 too. (A missing opaque is accepted: see
    // `a_response_without_opaque_is_accepted_and_a_wrong_opaque_refused`.)
    for h in [
        base.header().replace("algorithm=SHA-256", "algorithm=SHA-1"),
        base.header().replace("qop=auth", "qop=auth-conf"),
    ] {
        assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&h), "").await, false);
    }
}

/// axios-digest-auth never returns `opaque`: our `opaque` is a constant and the nonce is
/// signed, so its absence costs nothing and is accepted, while an `opaque` that is not ours
/// is still refused.
#[tokio::test]
async fn a_response_without_opaque_is_accepted_and_a_wrong_opaque_refused() {
    let app = app(digest());
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.alg = alg;
        let without = c.header().replace(&format!(r#", opaque="{opaque}""#), "");
        assert!(!without.contains("opaque"), "{without}");
        let res = send(&app, "GET", "/dir/index.html", Some(&without), "").await;
        assert_eq!(res.status(), StatusCode::OK, "{alg}");
        assert_eq!(text(res).await, "user=Mufasa body=");

        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.alg = alg;
        for wrong in ["not-ours", "", &opaque[1..]] {
            c.opaque = wrong.into();
            let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
            assert_401_with_challenge(&res, false);
        }
    }
}

#[tokio::test]
async fn malformed_credentials_are_400() {
    let app = app(digest());
    let (nonce, opaque) = fresh(&app).await;
    let base = Creds::new(&nonce, &opaque).header();
    let cases = [
        base.replace(r#"username="Mufasa""#, r#"username="Mufasa", username*=UTF-8''Mufasa"#),
        base.replace("qop=auth", "qop=auth, qop=auth"),
        base.replace("qop=auth", "qop=auth, QOP=auth"),
        base.replace(r#", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ""#, ""),
        base.replace("nc=00000001, ", ""),
        base.replace(r#"uri="/dir/index.html", "#, ""),
        base.replace(r#"realm="http-auth@example.org", "#, ""),
        base.replace(r#"nonce=""#, r#"x=""#),
        base.replace("response=", "resp="),
        base.replace(r#"username="Mufasa""#, "username*=UTF-8''%zz"),
        base.replace(r#"username="Mufasa""#, r#"userx="Mufasa""#),
        base.replace("Digest ", "Digest ="),
        base.replace(r#"username="Mufasa""#, r#"username="Mufasa"#),
        base.replace(r#"username="Mufasa""#, r#"username="Muf\"#),
        base.replace(r#"username="Mufasa""#, r#"username=Mu fasa"#),
        base.replace(r#"username="Mufasa""#, r#"username="Mufasa";"#),
        base.replace(r#"username="Mufasa""#, &format!(r#"username="{}""#, "M".repeat(2000))),
        "Digest".into(),
        "Digest ,,,".into(),
    ];
    for h in cases {
        let res = send(&app, "GET", "/dir/index.html", Some(&h), "").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{h}");
        assert!(!challenges(&res).is_empty());
    }
    // -sess without qop cannot be verified: malformed.
    let app2 = app_sess();
    let (nonce, opaque) = fresh(&app2).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.alg = Algorithm::Md5Sess;
    c.qop = None;
    assert_eq!(
        send(&app2, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // Two Authorization fields: 400; an oversized one: 431.
    let req = Request::builder()
        .uri("/")
        .header("authorization", base.as_str())
        .header("authorization", base.as_str())
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(req).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let huge = format!("{base}, x=\"{}\"", "y".repeat(5000));
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&huge), "").await.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}

fn app_sess() -> Router {
    app(digest().algorithms([Algorithm::Md5Sess]).allow_rfc2069(true))
}

#[tokio::test]
async fn hostile_headers_never_panic() {
    let app = app(digest());
    let (nonce, opaque) = fresh(&app).await;
    let base = Creds::new(&nonce, &opaque).header();
    let mut inputs: Vec<String> = vec![
        "Digest \"".into(),
        "Digest a=\"\\".into(),
        "Digest a=\"\\\\\\\"".into(),
        "Digest ,=,".into(),
        "Digest username=\"\u{00e4}\u{0000}\"".replace('\u{0000}', ""),
        "Digest username=\"x\", nonce=\"\", realm=\"\", uri=\"\", response=\"\", qop=auth, nc=\"\", cnonce=\"\"".into(),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".into(),
        "Negotiate".into(),
        " Digest username=\"x\"".into(),
    ];
    for cut in (0..base.len()).step_by(7) {
        if base.is_char_boundary(cut) {
            inputs.push(base[..cut].to_owned());
        }
    }
    for h in inputs {
        let res = send(&app, "GET", "/dir/index.html", Some(&h), "").await;
        let s = res.status().as_u16();
        assert!(matches!(s, 400 | 401), "{s} for {h:?}");
        assert!(!challenges(&res).is_empty(), "{h:?}");
    }
}

// ---------------------------------------------------------------- RFC 2069

#[tokio::test]
async fn rfc2069_only_when_allowed_and_once_per_nonce() {
    let app = app(digest().algorithms([Algorithm::Md5]).allow_rfc2069(true));
    let (nonce, opaque) = fresh(&app).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.alg = Algorithm::Md5;
    c.qop = None;
    c.send_alg = false;
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let want = client_response(
        Algorithm::Md5,
        "Mufasa",
        REALM,
        "Circle of Life",
        &nonce,
        "",
        "",
        None,
        "",
        "/dir/index.html",
        None,
    );
    assert_eq!(info_param(&res, "rspauth").as_deref(), Some(want.as_str()));
    assert_eq!(info_param(&res, "qop"), None);
    assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await, true);
}

// ---------------------------------------------------------------- auth-int

#[tokio::test]
async fn auth_int_body_rules() {
    let app1 = app(digest().qops([Qop::Auth, Qop::AuthInt]));
    let (nonce, opaque) = fresh(&app1).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.method = "POST".into();
    c.qop = Some(Qop::AuthInt);
    let h = |c: &Creds, body: &str| {
        let r = client_response(
            c.alg,
            &c.user,
            &c.realm,
            &c.pw,
            &c.nonce,
            &c.nc,
            &c.cnonce,
            c.qop,
            &c.method,
            &c.uri,
            Some(body.as_bytes()),
        );
        c.header().replace(&c.response(), r.as_str())
    };
    // Right body: 200 and the handler sees it.
    let res = send(&app1, "POST", "/dir/index.html", Some(&h(&c, "hello")), "hello").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "user=Mufasa body=hello");
    // Body changed in transit: 401.
    c.nc = "00000002".into();
    assert_401_with_challenge(
        &send(&app1, "POST", "/dir/index.html", Some(&h(&c, "hello")), "HELLO").await,
        false,
    );
    // Over the 64-byte limit: 413 (declared or streamed).
    c.nc = "00000003".into();
    let big = "x".repeat(65);
    let res = send(&app1, "POST", "/dir/index.html", Some(&h(&c, &big)), &big).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let req = Request::builder()
        .method("POST")
        .uri("/dir/index.html")
        .header("authorization", h(&c, &big))
        .body(chunked(big.clone()))
        .unwrap();
    assert_eq!(
        app1.clone().oneshot(req).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // auth-int configured but DigestBodyLayer missing: 500, not a pass and not a 401.
    let bare = Router::new()
        .route("/{*rest}", any(who))
        .layer(AuthLayer::new(digest().qops([Qop::AuthInt])));
    let (nonce, opaque) = fresh(&bare).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.method = "POST".into();
    c.qop = Some(Qop::AuthInt);
    let res = send(&bare, "POST", "/dir/index.html", Some(&h(&c, "x")), "x").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// A body in two frames with no declared length.
struct Chunked(Vec<Bytes>);

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.0.pop().map(|b| Ok(http_body::Frame::data(b))))
    }
}

fn chunked(s: String) -> Body {
    let (a, b) = s.split_at(s.len() / 2);
    Body::new(Chunked(vec![Bytes::from(b.to_owned()), Bytes::from(a.to_owned())]))
}

// ---------------------------------------------------------------- stores

#[tokio::test]
async fn store_errors_and_bad_ha1_are_500() {
    let failing = Digest::new(|_l: DigestLookup| async move {
        Err::<Option<DigestUser<String>>, _>(std::io::Error::other("db down"))
    })
    .realm(REALM);
    let app1 = app(failing);
    let (nonce, opaque) = fresh(&app1).await;
    let res = send(
        &app1,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let bad_ha1 =
        Digest::new(|_l: DigestLookup| async move { Some(DigestUser::with_ha1("x".to_string(), "abc")) }).realm(REALM);
    let app2 = app(bad_ha1);
    let (nonce, opaque) = fresh(&app2).await;
    let res = send(
        &app2,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn plaintext_password_store_and_the_lookup_it_gets() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let d = Digest::new(move |l: DigestLookup| {
        s2.lock().unwrap().push((
            l.username().to_owned(),
            l.realm().to_owned(),
            l.algorithm(),
            l.userhash(),
        ));
        async move { (l.username() == "john").then(|| DigestUser::with_password("john".to_string(), "hello")) }
    })
    .realm(REALM);
    let app = app(d);
    let (nonce, opaque) = fresh(&app).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.user = "john".into();
    c.pw = "hello".into();
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "user=john body=");
    assert_eq!(
        seen.lock().unwrap()[0],
        ("john".to_owned(), REALM.to_owned(), Algorithm::Sha256, false)
    );
}

/// A store is any verifier of `DigestLookup`, so `with_request` gives it the request head:
/// here per-tenant users, chosen by the `Host` header.
#[tokio::test]
async fn a_store_may_read_the_request_head() {
    let d = Digest::new(with_request(|l: DigestLookup, parts: &http::request::Parts| {
        let host = parts
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned();
        async move {
            (host == "example.org" && l.username() == "Mufasa")
                .then(|| DigestUser::with_password(format!("Mufasa@{host}"), "Circle of Life"))
        }
    }))
    .realm(REALM);
    let app = app(d);
    let (nonce, opaque) = fresh(&app).await;
    let c = Creds::new(&nonce, &opaque);
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "user=Mufasa@example.org body=");
    // The same credentials for another tenant: no such user there.
    let mut c = Creds::new(&nonce, &opaque);
    c.nc = "00000002".into();
    let req = Request::get("/dir/index.html")
        .header("host", "other.example")
        .header("authorization", c.header())
        .body(Body::empty())
        .unwrap();
    assert_401_with_challenge(&app.clone().oneshot(req).await.unwrap(), false);
}

// ---------------------------------------------------------------- layer features with Digest

#[tokio::test]
async fn roles_optional_and_failure_hook_with_digest() {
    // Roles: john is not an admin → 403; Mufasa is → 200.
    let layer = AuthLayer::new(digest())
        .roles_from(|u: &String| if u == "Mufasa" { vec!["admin"] } else { vec![] })
        .require_role("admin");
    let app = Router::new().route("/{*rest}", any(who)).layer(layer);
    for (user, pw, status) in [("Mufasa", "Circle of Life", 200), ("john", "hello", 403)] {
        let (nonce, opaque) = fresh(&app).await;
        let mut c = Creds::new(&nonce, &opaque);
        c.user = user.into();
        c.pw = pw.into();
        assert_eq!(
            send(&app, "GET", "/dir/index.html", Some(&c.header()), "")
                .await
                .status(),
            status
        );
    }

    // Optional: no credentials pass without a user; wrong ones are still 401.
    let app = Router::new()
        .route(
            "/{*rest}",
            any(|u: Option<Extension<AuthUser<String>>>| async move {
                u.map_or("anonymous".to_string(), |Extension(AuthUser(u))| u)
            }),
        )
        .layer(AuthLayer::new(digest()).optional());
    let res = send(&app, "GET", "/dir/index.html", None, "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(text(res).await, "anonymous");
    let h = Creds::new("bogus", "bogus").header();
    assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&h), "").await, false);

    // Failure hook: sees StaleNonce, and the layer keeps the challenges on its 401.
    let hooked = Router::new().route("/{*rest}", any(who)).layer(
        AuthLayer::new(digest().nonce_lifetime(Duration::ZERO)).on_failure(
            |f: &AuthFailure, _: &http::request::Parts| {
                Response::builder()
                    .status(f.status())
                    .body(Body::from(f.kind().code()))
                    .unwrap()
            },
        ),
    );
    let (nonce, opaque) = fresh(&hooked).await;
    let res = send(
        &hooked,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_401_with_challenge(&res, true);
    assert_eq!(text(res).await, FailureKind::StaleNonce.code());
}

#[tokio::test]
async fn digest_works_as_a_plain_tower_service() {
    use tower::ServiceBuilder;
    let svc = ServiceBuilder::new()
        .layer(AuthLayer::new(digest()))
        .service_fn(|req: Request<String>| async move {
            let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
            Ok::<_, Infallible>(Response::new(user))
        });
    let res = svc.clone().oneshot(Request::new(String::new())).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let c = &res
        .headers()
        .get_all("www-authenticate")
        .iter()
        .next()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let (nonce, opaque) = (param(c, "nonce").unwrap(), param(c, "opaque").unwrap());
    let req = Request::builder()
        .uri("/dir/index.html")
        .header("authorization", Creds::new(&nonce, &opaque).header())
        .body(String::new())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    assert_eq!(res.into_body(), "Mufasa");
}

/// A replay store that answers only after yielding to the runtime once.
struct SlowNonces(MemoryNonceStore);

impl NonceStore for SlowNonces {
    fn check_and_record(
        &self,
        u: &NonceUse<'_>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<NonceCheck, tower_httpauth::BoxError>> + Send>> {
        let answer = self.0.check_and_record(u);
        Box::pin(async move {
            tokio::task::yield_now().await;
            answer.await
        })
    }
}

#[tokio::test]
async fn stores_that_wait_before_answering() {
    // Both stores return Pending first: the scheme's future must resume at each step.
    let store = |l: DigestLookup| async move {
        tokio::task::yield_now().await;
        let ha1 = Algorithm::Sha256.ha1("Mufasa", REALM, "Circle of Life");
        (l.username() == "Mufasa").then(|| DigestUser::with_ha1("Mufasa".to_string(), ha1.as_str()))
    };
    let app = app(Digest::new(store)
        .realm(REALM)
        .nonce_store(SlowNonces(MemoryNonceStore::new())));
    let (nonce, opaque) = fresh(&app).await;
    let c = Creds::new(&nonce, &opaque);
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(info_param(&res, "rspauth").is_some_and(|r| r.len() == 64));
    assert_eq!(text(res).await, "user=Mufasa body=");
    // The replay store was consulted: the same (nonce, nc) again is stale.
    assert_401_with_challenge(&send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await, true);
    let mut wrong = Creds::new(&nonce, &opaque);
    wrong.nc = "00000002".into();
    wrong.pw = "nope".into();
    assert_401_with_challenge(
        &send(&app, "GET", "/dir/index.html", Some(&wrong.header()), "").await,
        false,
    );
    let mut stranger = Creds::new(&nonce, &opaque);
    stranger.nc = "00000003".into();
    stranger.user = "Scar".into();
    assert_401_with_challenge(
        &send(&app, "GET", "/dir/index.html", Some(&stranger.header()), "").await,
        false,
    );
}

#[tokio::test]
async fn limited_use_nonces() {
    // RFC 7616 §5.5 (STANDARDS.md item 48): two uses, then stale with a fresh nonce.
    let app = app(digest().max_nonce_uses(2));
    let (nonce, opaque) = fresh(&app).await;
    let mut c = Creds::new(&nonce, &opaque);
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(info_param(&res, "nextnonce"), None, "one use left");
    c.nc = "00000002".into();
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let next = info_param(&res, "nextnonce").expect("the last use announces the next nonce");
    c.nc = "00000003".into();
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let cs = challenges(&res);
    assert!(
        cs.iter().all(|c| param(c, "stale").as_deref() == Some("true")),
        "{cs:?}"
    );
    // A wrong password on a used-up nonce is not stale: the client must ask the user.
    c.pw = "wrong".into();
    let res = send(&app, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&res).iter().all(|c| param(c, "stale").is_none()));
    // The announced nonce works.
    let mut c = Creds::new(&next, &opaque);
    c.nc = "00000001".into();
    assert_eq!(
        send(&app, "GET", "/dir/index.html", Some(&c.header()), "")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_cloned_digest_shares_its_replay_store_across_routes() {
    let d = digest();
    let app = Router::new()
        .route("/read", any(who).layer(AuthLayer::new(d.clone())))
        .route("/", any(who).layer(AuthLayer::new(d.clone())))
        .route("/write", any(who).layer(AuthLayer::new(d.max_nonce_uses(1))));
    let (nonce, opaque) = fresh(&app).await;
    let mut c = Creds::new(&nonce, &opaque);
    c.uri = "/read".into();
    let res = send(&app, "GET", "/read", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    // The same (nonce, nc) on the other route is a replay.
    c.uri = "/write".into();
    let res = send(
        &app,
        "POST",
        "/write",
        Some(&{
            c.method = "POST".into();
            c.header()
        }),
        "",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenges(&res)
            .iter()
            .all(|h| param(h, "stale").as_deref() == Some("true"))
    );
    // The next count is accepted once on the write route (its limit is one use, and this is the
    // nonce's second): stale again, with a fresh nonce for the client.
    c.nc = "00000002".into();
    let res = send(&app, "POST", "/write", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let fresh_nonce = param(&challenges(&res)[0], "nonce").unwrap();
    let mut c2 = Creds::new(&fresh_nonce, &opaque);
    (c2.uri, c2.method) = ("/write".into(), "POST".into());
    assert_eq!(
        send(&app, "POST", "/write", Some(&c2.header()), "").await.status(),
        StatusCode::OK
    );
}

/// A shared replay store whose clock runs `ahead_ms` in front of the scheme's: the time that
/// passes between two requests, without sleeping. It forgets a (nonce, nc) record at the
/// expiry it was told, as `MemoryNonceStore` and the Redis store (its key's TTL) do.
#[derive(Clone, Default)]
struct StoreAhead {
    store: MemoryNonceStore,
    ahead_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl StoreAhead {
    fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap();
        self.ahead_ms.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl NonceStore for StoreAhead {
    fn check_and_record(
        &self,
        u: &NonceUse<'_>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<NonceCheck, tower_httpauth::BoxError>> + Send>> {
        let ahead = self.ahead_ms.load(std::sync::atomic::Ordering::SeqCst);
        self.store.check_and_record(&NonceUse {
            now_ms: u.now_ms + ahead,
            ..*u
        })
    }
}

/// Two layers built from clones of one `Digest` (one secret, one replay store) whose nonce
/// lifetimes differ, as two routers or two instances of a fleet may be.
fn short_and_long_lived() -> (StoreAhead, Router, Router) {
    let store = StoreAhead::default();
    let base = digest().secret(SECRET).nonce_store(store.clone());
    let short = app(base.clone().nonce_lifetime(Duration::from_secs(60)));
    let long = app(base.nonce_lifetime(Duration::from_secs(3600)));
    (store, short, long)
}

/// A (nonce, nc) accepted by the short-lived layer is refused by the long-lived one, also
/// after the store forgot its record at the short expiry it was told (it was accepted twice).
/// The refusal of a right response is `stale=true`: clients retry with the fresh nonce.
#[tokio::test]
async fn a_nonce_used_on_a_short_lived_layer_is_not_accepted_again_on_a_long_lived_one() {
    let (store, short, long) = short_and_long_lived();
    let (nonce, opaque) = fresh(&short).await;
    let header = Creds::new(&nonce, &opaque).header();
    let first = send(&short, "GET", "/dir/index.html", Some(&header), "").await;
    assert_eq!(first.status(), StatusCode::OK);
    store.advance(Duration::from_secs(120));
    let again = send(&long, "GET", "/dir/index.html", Some(&header), "").await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "accepted twice");
    assert_401_with_challenge(&again, true);
}

/// The other direction: a nonce of the long-lived layer, sent first to the short-lived one
/// and then, after the short lifetime, to the long-lived one, is accepted at most once. The
/// short-lived layer answers it `stale=true` (it does not honour a nonce meant to live longer
/// than its own), and the client carries on with the fresh nonce, which the long-lived layer
/// accepts within its lifetime (a client moving between the two routes is not refused).
#[tokio::test]
async fn a_long_lived_layers_nonce_is_stale_on_a_short_lived_one() {
    let (store, short, long) = short_and_long_lived();
    let (nonce, opaque) = fresh(&long).await;
    let header = Creds::new(&nonce, &opaque).header();
    let on_short = send(&short, "GET", "/dir/index.html", Some(&header), "").await;
    store.advance(Duration::from_secs(120));
    let on_long = send(&long, "GET", "/dir/index.html", Some(&header), "").await;
    let accepted = [on_short.status(), on_long.status()]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(accepted, 1, "{} then {}", on_short.status(), on_long.status());
    assert_401_with_challenge(&on_short, true);

    // The client carries on (a new pair of layers, so that no time has passed).
    let (_, short, long) = short_and_long_lived();
    let (nonce, opaque) = fresh(&long).await;
    let on_short = send(
        &short,
        "GET",
        "/dir/index.html",
        Some(&Creds::new(&nonce, &opaque).header()),
        "",
    )
    .await;
    assert_401_with_challenge(&on_short, true);
    let (fresh_nonce, _) = nonce_opaque(&on_short);
    let mut c = Creds::new(&fresh_nonce, &opaque);
    let res = send(&short, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    c.nc = "00000002".into();
    let res = send(&long, "GET", "/dir/index.html", Some(&c.header()), "").await;
    assert_eq!(res.status(), StatusCode::OK);
}
