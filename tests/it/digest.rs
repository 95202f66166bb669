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

    /// `client_response` for these credentials with `method` (empty: the `rspauth` the server
    /// answers with) and, for auth-int, the entity-body.
    fn compute(&self, method: &str, body: Option<&[u8]>) -> String {
        client_response(
            self.alg,
            &self.user,
            &self.realm,
            &self.pw,
            &self.nonce,
            &self.nc,
            &self.cnonce,
            self.qop,
            method,
            &self.uri,
            body,
        )
    }

    fn response(&self) -> String {
        self.compute(&self.method, None)
    }

    /// The `rspauth` a server that accepted these credentials sends back (item 42).
    fn rspauth(&self, body: Option<&[u8]>) -> String {
        self.compute("", body)
    }

    /// The header of an auth-int request whose entity-body is `body`.
    fn header_with_body(&self, body: &str) -> String {
        let response = self.compute(&self.method, Some(body.as_bytes()));
        self.header().replace(&self.response(), &response)
    }

    fn with_nc(mut self, nc: &str) -> Self {
        self.nc = nc.into();
        self
    }

    fn with_user(mut self, user: &str) -> Self {
        self.user = user.into();
        self
    }

    fn with_password(mut self, pw: &str) -> Self {
        self.pw = pw.into();
        self
    }

    fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// For a request other than `GET /dir/index.html`.
    fn for_request(mut self, method: &str, uri: &str) -> Self {
        (self.method, self.uri) = (method.into(), uri.into());
        self
    }

    /// A POST with qop=auth-int.
    fn auth_int_post(mut self) -> Self {
        self.method = "POST".into();
        self.qop = Some(Qop::AuthInt);
        self
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

/// `GET /` without credentials: the challenges.
async fn unauthenticated(app: &Router) -> Response<Body> {
    send(app, "GET", "/", None, "").await
}

/// A fresh challenge from `app`: (nonce, opaque).
async fn fresh(app: &Router) -> (String, String) {
    let res = unauthenticated(app).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    nonce_opaque(&res)
}

/// Mufasa's credentials for a fresh challenge from `app` (SHA-256, qop=auth, nc=00000001,
/// `GET /dir/index.html`).
async fn creds(app: &Router) -> Creds {
    let (nonce, opaque) = fresh(app).await;
    Creds::new(&nonce, &opaque)
}

/// `c` sent as the request it was computed for (its method and uri), without a body.
async fn answer(app: &Router, c: &Creds) -> Response<Body> {
    send(app, &c.method, &c.uri, Some(&c.header()), "").await
}

/// `GET /dir/index.html` with `authorization` as the Authorization value.
async fn get(app: &Router, authorization: &str) -> Response<Body> {
    send(app, "GET", "/dir/index.html", Some(authorization), "").await
}

fn assert_401_with_challenge(res: &Response<Body>, stale: bool) {
    assert_401_with_challenge_for(res, stale, "");
}

fn assert_401_with_challenge_for(res: &Response<Body>, stale: bool, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let cs = challenges(res);
    assert!(
        !cs.is_empty(),
        "{what}: every 401 carries a challenge (RFC 9110 §15.5.2)"
    );
    for c in cs {
        assert_eq!(param(&c, "stale").as_deref() == Some("true"), stale, "{what}: {c}");
    }
}

/// What a request with credentials gets.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Outcome {
    /// 200.
    Accepted,
    /// 401 with challenges, none of them `stale=true`.
    Refused,
    /// 401 with challenges, all of them `stale=true`.
    Stale,
}

fn check(res: &Response<Body>, want: Outcome, what: &str) {
    match want {
        Outcome::Accepted => assert_eq!(res.status(), StatusCode::OK, "{what}"),
        Outcome::Refused => assert_401_with_challenge_for(res, false, what),
        Outcome::Stale => assert_401_with_challenge_for(res, true, what),
    }
}

/// Sends `c` (see [`answer`]) and checks that it gets `want`; `what` names the case.
async fn expect(app: &Router, c: &Creds, want: Outcome, what: &str) -> Response<Body> {
    let res = answer(app, c).await;
    check(&res, want, what);
    res
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
    let (n2, _) = nonce_opaque(&unauthenticated(&app).await);
    assert_ne!(nonces[0], n2);
}

#[tokio::test]
async fn configured_offer_order_userhash_and_qops() {
    let d = digest()
        .algorithms([Algorithm::Sha512_256, Algorithm::Sha256Sess, Algorithm::Md5])
        .qops([Qop::Auth, Qop::AuthInt])
        .userhash(true);
    let cs = challenges(&unauthenticated(&app(d)).await);
    let algs: Vec<_> = cs.iter().map(|c| param(c, "algorithm").unwrap()).collect();
    assert_eq!(algs, ["SHA-512-256", "SHA-256-sess", "MD5"]);
    for c in &cs {
        assert_eq!(param(c, "qop").as_deref(), Some("auth, auth-int"));
        assert_eq!(param(c, "userhash").as_deref(), Some("true"));
    }
}

#[tokio::test]
async fn domain_is_sent_quoted_in_every_challenge_when_configured() {
    let d = digest().domain(["/api", "/admin/", "https://mirror.example.org/x?y=1"]);
    let app = app(d);
    let res = unauthenticated(&app).await;
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
    let good = Creds::new(&nonce, &opaque);
    expect(&app, &good, Outcome::Accepted, "first use").await;
    let replay = expect(&app, &good, Outcome::Stale, "replay").await;
    for c in challenges(&replay) {
        assert_eq!(
            param(&c, "domain").as_deref(),
            Some("/api /admin/ https://mirror.example.org/x?y=1")
        );
    }
    // (what, the configuration, the domain expected in every challenge)
    type Case = (&'static str, Digest<DigestUsers>, Option<&'static str>);
    let cases: [Case; 3] = [
        ("not sent by default", digest(), None),
        ("one URI", digest().domain(["/"]), Some("/")),
        (
            "an empty list removes it",
            digest().domain(["/"]).domain(Vec::<String>::new()),
            None,
        ),
    ];
    for (what, d, want) in cases {
        for c in challenges(&unauthenticated(&self::app(d)).await) {
            assert_eq!(param(&c, "domain").as_deref(), want, "{what}: {c}");
        }
    }
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
            let sent = Creds {
                alg,
                qop: Some(qop),
                cnonce: cnonce.clone(),
                ..Creds::new(&nonce, "").for_request(method, uri)
            };
            let want = sent.rspauth((qop == Qop::AuthInt).then_some(body.as_bytes()));
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
    // requests-style: quoted algorithm, qop and nc.
    let h = creds(&app)
        .await
        .header()
        .replace("qop=auth", r#"qop="auth""#)
        .replace("nc=00000001", r#"nc="00000001""#)
        .replace("algorithm=SHA-256", r#"algorithm="SHA-256""#)
        .replace("Digest ", "dIgEsT ")
        .replace(", ", " ,  , ");
    check(&get(&app, &h).await, Outcome::Accepted, &h);
}

#[tokio::test]
async fn uri_matching() {
    let app = app(digest());
    // (the request target, the `uri` parameter, the status expected)
    let cases = [
        ("/p?a=1&b=%20c", "/p?a=1&b=%20c", StatusCode::OK),
        ("/dir/index.html", "http://example.org/dir/index.html", StatusCode::OK),
        ("http://example.org/abs?q", "http://example.org/abs?q", StatusCode::OK),
        ("/p?a=1&b=%20c", "/p?a=1&b= c", StatusCode::BAD_REQUEST),
        ("/p?a=1", "/p", StatusCode::BAD_REQUEST),
        ("/dir/index.html", "/dir/other.html", StatusCode::BAD_REQUEST),
        (
            "/dir/index.html",
            "http://evil.example/dir/index.html",
            StatusCode::BAD_REQUEST,
        ),
        ("/dir/index.html", "*", StatusCode::BAD_REQUEST),
    ];
    for (target, uri, status) in cases {
        let c = creds(&app).await.for_request("GET", uri);
        let res = send(&app, "GET", target, Some(&c.header()), "").await;
        assert_eq!(res.status(), status, "{target} vs {uri}");
    }
}

#[tokio::test]
async fn nextnonce_near_the_end() {
    let app1 = app(digest());
    let res = expect(&app1, &creds(&app1).await, Outcome::Accepted, "default").await;
    assert_eq!(info_param(&res, "nextnonce"), None, "a fresh nonce needs no successor");

    let app2 = app(digest().nextnonce_within(Duration::from_secs(3600)));
    let c = creds(&app2).await;
    let res = expect(&app2, &c, Outcome::Accepted, "nextnonce_within").await;
    let next = info_param(&res, "nextnonce").expect("nextnonce");
    assert_ne!(next, c.nonce);
    // The nextnonce is a valid nonce.
    let c = Creds::new(&next, &c.opaque);
    expect(&app2, &c, Outcome::Accepted, "the nextnonce").await;
}

#[tokio::test]
async fn authentication_info_quoting() {
    // Item 42: rspauth, cnonce and nextnonce quoted; qop and nc not.
    let app = app(digest().nextnonce_within(Duration::from_secs(3600)));
    let res = answer(&app, &creds(&app).await).await;
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
        let c = creds(&app).await.with_user(user).with_password("wrong");
        let res = answer(&app, &c).await;
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
    let res = expect(&app, &creds(&app).await, Outcome::Accepted, "").await;
    assert!(res.headers().get(AUTHENTICATION_INFO).is_none());
}

#[tokio::test]
async fn fleet_shares_the_secret() {
    let a = app(digest().secret(SECRET));
    let b = app(digest().secret(SECRET));
    let other = app(digest().secret(b"another secret, another fleet"));
    let c = creds(&a).await;
    expect(&b, &c, Outcome::Accepted, "the same secret").await;
    expect(&other, &c, Outcome::Refused, "another secret").await;
}

// ---------------------------------------------------------------- refusals

#[tokio::test]
async fn wrong_password_and_unknown_user_are_plain_401() {
    let app = app(digest());
    for (user, pw) in [("Mufasa", "circle of life"), ("Scar", "Circle of Life"), ("", "")] {
        let c = creds(&app).await.with_user(user).with_password(pw);
        let res = expect(&app, &c, Outcome::Refused, &format!("{user:?} {pw:?}")).await;
        assert!(res.headers().get(AUTHENTICATION_INFO).is_none(), "{user:?}");
    }
}

#[tokio::test]
async fn stale_nonce_only_when_the_response_is_right() {
    let app = app(digest().nonce_lifetime(Duration::ZERO));
    let c = creds(&app).await;
    // Item 27: expired + right digest → stale=true.
    expect(&app, &c, Outcome::Stale, "expired, right password").await;
    let wrong = c.with_password("nope");
    expect(&app, &wrong, Outcome::Refused, "expired, wrong password").await;
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
        expect(&app, &Creds::new(&n, &opaque), Outcome::Refused, &n).await;
    }
}

#[tokio::test]
async fn replay_and_nc_rules() {
    let app = app(digest());
    let c = creds(&app).await;
    // One nonce, requests in this order: (what, nc, outcome).
    let steps = [
        ("first use", "00000001", Outcome::Accepted),
        ("same (nonce, nc) again: replay", "00000001", Outcome::Stale),
        // requests, httpx, Chromium do this.
        ("nc=2 on the still-valid nonce", "00000002", Outcome::Accepted),
        ("skipping ahead is fine", "0000000a", Outcome::Accepted),
        ("going back is not", "00000005", Outcome::Stale),
    ];
    for (what, nc, want) in steps {
        expect(&app, &c.clone().with_nc(nc), want, what).await;
    }
    // nc must be exactly 8 hex digits.
    for nc in ["1", "000000001", "0000000g", ""] {
        let h = c.clone().with_nc(nc).header().replace("nc=,", "nc=\"\",");
        let res = get(&app, &h).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "nc={nc}");
        assert!(!challenges(&res).is_empty());
    }
}

#[tokio::test]
async fn fail_closed_when_the_replay_store_forgets() {
    let app = app(digest().nonce_store(MemoryNonceStore::with_limits(1, 1 << 20)));
    let c1 = creds(&app).await;
    let c2 = creds(&app).await;
    // n1 was forgotten to make room for n2: its replay is refused, never accepted.
    let steps = [
        ("n1", c1.clone(), Outcome::Accepted),
        ("n2", c2, Outcome::Accepted),
        ("n1 with the next nc", c1.clone().with_nc("00000002"), Outcome::Stale),
        ("n1 replayed", c1, Outcome::Stale),
    ];
    for (what, c, want) in steps {
        expect(&app, &c, want, what).await;
    }
}

#[tokio::test]
async fn offer_mismatches_are_401() {
    // An MD5 response without `algorithm` (absent = MD5), as wget sends.
    let cases = [
        (
            "wget: SHA-256-only challenge answered with MD5",
            app(digest().algorithms([Algorithm::Sha256])),
            Outcome::Refused,
        ),
        (
            "MD5 offered too: a legitimate MD5 response",
            app(digest()),
            Outcome::Accepted,
        ),
    ];
    for (what, app, want) in cases {
        let mut c = creds(&app).await.with_alg(Algorithm::Md5);
        c.send_alg = false;
        expect(&app, &c, want, what).await;
    }

    let app = app(digest());
    let base = creds(&app).await;
    // (what, how the credentials differ from the right ones)
    type Case = (&'static str, fn(&mut Creds));
    let cases: [Case; 5] = [
        ("realm", |c| c.realm = "other@example.org".into()),
        ("opaque", |c| c.opaque = "not-ours".into()),
        ("algorithm not offered", |c| c.alg = Algorithm::Sha512_256),
        ("qop not offered", |c| c.qop = Some(Qop::AuthInt)),
        ("RFC 2069 form refused by default", |c| c.qop = None),
    ];
    for (what, change) in cases {
        let mut c = base.clone();
        change(&mut c);
        expect(&app, &c, Outcome::Refused, what).await;
    }
    // Unknown algorithm, unknown qop: 401 too. (A missing opaque is accepted: see
    // `a_response_without_opaque_is_accepted_and_a_wrong_opaque_refused`.)
    for (what, h) in [
        (
            "unknown algorithm",
            base.header().replace("algorithm=SHA-256", "algorithm=SHA-1"),
        ),
        ("unknown qop", base.header().replace("qop=auth", "qop=auth-conf")),
    ] {
        check(&get(&app, &h).await, Outcome::Refused, what);
    }
}

/// axios-digest-auth never returns `opaque`: our `opaque` is a constant and the nonce is
/// signed, so its absence costs nothing and is accepted, while an `opaque` that is not ours
/// is still refused.
#[tokio::test]
async fn a_response_without_opaque_is_accepted_and_a_wrong_opaque_refused() {
    let app = app(digest());
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let c = creds(&app).await.with_alg(alg);
        let without = c.header().replace(&format!(r#", opaque="{}""#, c.opaque), "");
        assert!(!without.contains("opaque"), "{without}");
        let res = get(&app, &without).await;
        assert_eq!(res.status(), StatusCode::OK, "{alg}");
        assert_eq!(text(res).await, "user=Mufasa body=");

        let c = creds(&app).await.with_alg(alg);
        for wrong in ["not-ours", "", &c.opaque[1..]] {
            let c = Creds {
                opaque: wrong.into(),
                ..c.clone()
            };
            expect(&app, &c, Outcome::Refused, &format!("{alg} opaque={wrong:?}")).await;
        }
    }
}

#[tokio::test]
async fn malformed_credentials_are_400() {
    let app = app(digest());
    let base = creds(&app).await.header();
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
        let res = get(&app, &h).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{h}");
        assert!(!challenges(&res).is_empty(), "{h}");
    }
    // -sess without qop cannot be verified: malformed.
    let app2 = app_sess();
    let mut c = creds(&app2).await.with_alg(Algorithm::Md5Sess);
    c.qop = None;
    assert_eq!(answer(&app2, &c).await.status(), StatusCode::BAD_REQUEST);
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
        get(&app, &huge).await.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
}

fn app_sess() -> Router {
    app(digest().algorithms([Algorithm::Md5Sess]).allow_rfc2069(true))
}

#[tokio::test]
async fn hostile_headers_never_panic() {
    let app = app(digest());
    let base = creds(&app).await.header();
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
        let res = get(&app, &h).await;
        let s = res.status().as_u16();
        assert!(matches!(s, 400 | 401), "{s} for {h:?}");
        assert!(!challenges(&res).is_empty(), "{h:?}");
    }
}

// ---------------------------------------------------------------- RFC 2069

#[tokio::test]
async fn rfc2069_only_when_allowed_and_once_per_nonce() {
    let app = app(digest().algorithms([Algorithm::Md5]).allow_rfc2069(true));
    let mut c = creds(&app).await.with_alg(Algorithm::Md5);
    c.qop = None;
    c.send_alg = false;
    let res = expect(&app, &c, Outcome::Accepted, "RFC 2069 form").await;
    // Without qop, nc and cnonce take no part in it.
    let want = c.rspauth(None);
    assert_eq!(info_param(&res, "rspauth").as_deref(), Some(want.as_str()));
    assert_eq!(info_param(&res, "qop"), None);
    expect(&app, &c, Outcome::Stale, "the nonce again").await;
}

// ---------------------------------------------------------------- auth-int

#[tokio::test]
async fn auth_int_body_rules() {
    /// POSTs `sent` with credentials computed for the body `signed`.
    async fn post(app: &Router, c: &Creds, signed: &str, sent: &str) -> Response<Body> {
        send(app, "POST", "/dir/index.html", Some(&c.header_with_body(signed)), sent).await
    }
    let app1 = app(digest().qops([Qop::Auth, Qop::AuthInt]));
    let c = creds(&app1).await.auth_int_post();
    // Right body: 200 and the handler sees it.
    let res = post(&app1, &c, "hello", "hello").await;
    check(&res, Outcome::Accepted, "the body signed");
    assert_eq!(text(res).await, "user=Mufasa body=hello");
    // Body changed in transit: 401.
    let c = c.with_nc("00000002");
    check(
        &post(&app1, &c, "hello", "HELLO").await,
        Outcome::Refused,
        "the body changed",
    );
    // Over the 64-byte limit: 413 (declared or streamed).
    let c = c.with_nc("00000003");
    let big = "x".repeat(65);
    assert_eq!(
        post(&app1, &c, &big, &big).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let req = Request::builder()
        .method("POST")
        .uri("/dir/index.html")
        .header("authorization", c.header_with_body(&big))
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
    let c = creds(&bare).await.auth_int_post();
    let res = post(&bare, &c, "x", "x").await;
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
    let bad_ha1 =
        Digest::new(|_l: DigestLookup| async move { Some(DigestUser::with_ha1("x".to_string(), "abc")) }).realm(REALM);
    for (what, app) in [
        ("a store error", app(failing)),
        ("an HA1 that is not one", app(bad_ha1)),
    ] {
        let res = answer(&app, &creds(&app).await).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{what}");
    }
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
    let c = creds(&app).await.with_user("john").with_password("hello");
    let res = expect(&app, &c, Outcome::Accepted, "john").await;
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
    let c = creds(&app).await;
    let res = expect(&app, &c, Outcome::Accepted, "example.org").await;
    assert_eq!(text(res).await, "user=Mufasa@example.org body=");
    // The same credentials for another tenant: no such user there.
    let c = c.with_nc("00000002");
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
        let c = creds(&app).await.with_user(user).with_password(pw);
        assert_eq!(answer(&app, &c).await.status(), status, "{user}");
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
    expect(
        &app,
        &Creds::new("bogus", "bogus"),
        Outcome::Refused,
        "wrong credentials",
    )
    .await;

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
    let res = expect(&hooked, &creds(&hooked).await, Outcome::Stale, "the hook's 401").await;
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
    let c = creds(&app).await;
    let res = expect(&app, &c, Outcome::Accepted, "first use").await;
    assert!(info_param(&res, "rspauth").is_some_and(|r| r.len() == 64));
    assert_eq!(text(res).await, "user=Mufasa body=");
    // The replay store was consulted: the same (nonce, nc) again is stale.
    let steps = [
        ("the same (nonce, nc) again", c.clone(), Outcome::Stale),
        (
            "a wrong password",
            c.clone().with_nc("00000002").with_password("nope"),
            Outcome::Refused,
        ),
        (
            "an unknown user",
            c.with_nc("00000003").with_user("Scar"),
            Outcome::Refused,
        ),
    ];
    for (what, c, want) in steps {
        expect(&app, &c, want, what).await;
    }
}

#[tokio::test]
async fn limited_use_nonces() {
    // RFC 7616 §5.5 (STANDARDS.md item 48): two uses, then stale with a fresh nonce.
    let app = app(digest().max_nonce_uses(2));
    let c = creds(&app).await;
    let res = expect(&app, &c, Outcome::Accepted, "first use").await;
    assert_eq!(info_param(&res, "nextnonce"), None, "one use left");
    let c = c.with_nc("00000002");
    let res = expect(&app, &c, Outcome::Accepted, "second use").await;
    let next = info_param(&res, "nextnonce").expect("the last use announces the next nonce");
    let c = c.with_nc("00000003");
    expect(&app, &c, Outcome::Stale, "third use").await;
    // A wrong password on a used-up nonce is not stale: the client must ask the user.
    let res = answer(&app, &c.clone().with_password("wrong")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(challenges(&res).iter().all(|c| param(c, "stale").is_none()));
    // The announced nonce works.
    expect(
        &app,
        &Creds::new(&next, &c.opaque),
        Outcome::Accepted,
        "the announced nonce",
    )
    .await;
}

#[tokio::test]
async fn a_cloned_digest_shares_its_replay_store_across_routes() {
    let d = digest();
    let app = Router::new()
        .route("/read", any(who).layer(AuthLayer::new(d.clone())))
        .route("/", any(who).layer(AuthLayer::new(d.clone())))
        .route("/write", any(who).layer(AuthLayer::new(d.max_nonce_uses(1))));
    let c = creds(&app).await.for_request("GET", "/read");
    expect(&app, &c, Outcome::Accepted, "GET /read").await;
    // The same (nonce, nc) on the other route is a replay.
    let c = c.for_request("POST", "/write");
    expect(&app, &c, Outcome::Stale, "the same (nonce, nc) on POST /write").await;
    // The next count is accepted once on the write route (its limit is one use, and this is the
    // nonce's second): stale again, with a fresh nonce for the client.
    let c = c.with_nc("00000002");
    let res = answer(&app, &c).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let fresh_nonce = param(&challenges(&res)[0], "nonce").unwrap();
    let c2 = Creds::new(&fresh_nonce, &c.opaque).for_request("POST", "/write");
    expect(&app, &c2, Outcome::Accepted, "the fresh nonce on POST /write").await;
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
    let c = creds(&short).await;
    expect(&short, &c, Outcome::Accepted, "on the short-lived layer").await;
    store.advance(Duration::from_secs(120));
    let again = answer(&long, &c).await;
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
    let c = creds(&long).await;
    let on_short = answer(&short, &c).await;
    store.advance(Duration::from_secs(120));
    let on_long = answer(&long, &c).await;
    let accepted = [on_short.status(), on_long.status()]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(accepted, 1, "{} then {}", on_short.status(), on_long.status());
    assert_401_with_challenge(&on_short, true);

    // The client carries on (a new pair of layers, so that no time has passed).
    let (_, short, long) = short_and_long_lived();
    let c = creds(&long).await;
    let on_short = expect(&short, &c, Outcome::Stale, "the long-lived nonce on the short layer").await;
    let (fresh_nonce, _) = nonce_opaque(&on_short);
    let c = Creds::new(&fresh_nonce, &c.opaque);
    expect(&short, &c, Outcome::Accepted, "the fresh nonce on the short layer").await;
    let c = c.with_nc("00000002");
    expect(&long, &c, Outcome::Accepted, "the fresh nonce on the long layer").await;
}
