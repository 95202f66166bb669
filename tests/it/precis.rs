//! RFC 8265 (PRECIS) user-ids and passwords through Basic and Digest: what the verifier
//! and the credential store see, which spellings log in, what is refused (`401`, the
//! verifier or store not called), the ISO-8859-1 fallback and the opt-out. Real clients
//! sending non-ASCII credentials: `tests/interop/precis.rs`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use crate::fixtures::digest::client_response;
use crate::fixtures::precis::{NFC, NFD, REALM, password_store_app, who};
use axum::Router;
use axum::body::Body;
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower::{ServiceBuilder, ServiceExt};
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers, Qop};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::precis::Precis;
use tower_httpauth::scheme::AuthRequest;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, Scheme, Verifier};

/// "john" in fullwidth forms.
const FULLWIDTH_JOHN: &str = "\u{ff4a}\u{ff4f}\u{ff48}\u{ff4e}";

// ---------------------------------------------------------------- Basic

/// What a Basic verifier saw: (user-id, password) per call.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// Basic accepting `john` / [`NFC`] byte for byte, recording what it was given.
fn recording(seen: Seen) -> Basic<impl Verifier<BasicCredentials, User = String>> {
    Basic::new(move |c: BasicCredentials| {
        seen.lock()
            .unwrap()
            .push((c.username().to_owned(), c.password().to_owned()));
        let ok = c.username() == "john" && c.password() == NFC;
        async move { ok.then(|| "john".to_owned()) }
    })
    .realm("test")
}

async fn call_basic<S>(scheme: S, authorization: &[u8]) -> (StatusCode, String)
where
    S: Scheme,
    S::User: std::fmt::Debug,
{
    let svc = ServiceBuilder::new()
        .layer(AuthLayer::new(scheme))
        .service_fn(|req: Request<String>| async move {
            // The user's Debug form, unquoted: `john` for a String, `()` for StaticCredentials.
            let user = AuthUser::<S::User>::from_request(&req).map(|u| format!("{u:?}").trim_matches('"').to_owned());
            Ok::<_, Infallible>(Response::new(user.unwrap_or_default()))
        });
    let req = Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, http::HeaderValue::from_bytes(authorization).unwrap())
        .body(String::new())
        .unwrap();
    let res = svc.oneshot(req).await.unwrap();
    if res.status() == StatusCode::UNAUTHORIZED {
        assert!(
            res.headers().contains_key(WWW_AUTHENTICATE),
            "a 401 carries the challenge"
        );
    }
    (res.status(), res.into_body())
}

/// `Authorization: Basic base64(raw)`, for raw bytes (UTF-8 or ISO-8859-1).
fn basic_raw(raw: &[u8]) -> Vec<u8> {
    format!("Basic {}", STANDARD.encode(raw)).into_bytes()
}

fn basic_utf8(user: &str, password: &str) -> Vec<u8> {
    basic_raw(format!("{user}:{password}").as_bytes())
}

#[tokio::test]
async fn basic_password_precomposed_or_decomposed_logs_in_both_ways() {
    let seen = Seen::default();
    for pw in [NFC, NFD] {
        let (status, body) = call_basic(recording(seen.clone()), &basic_utf8("john", pw)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "john"), "{pw:?}");
    }
    // The verifier got the NFC form both times.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("john".into(), NFC.into()), ("john".into(), NFC.into())]
    );

    // Built-in verifiers: stored either way, sent either way.
    for stored in [NFC, NFD] {
        for sent in [NFC, NFD] {
            let basic = Basic::new(StaticCredentials::new("john", stored));
            let (status, _) = call_basic(basic, &basic_utf8("john", sent)).await;
            assert_eq!(status, StatusCode::OK, "stored {stored:?}, sent {sent:?}");
        }
        let basic = Basic::new(StaticCredentials::new("john", stored));
        assert_eq!(
            call_basic(basic, &basic_utf8("john", "cafe")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn basic_fullwidth_user_id_maps_to_ascii_and_spaces_to_u0020() {
    let seen = Seen::default();
    let (status, body) = call_basic(recording(seen.clone()), &basic_utf8(FULLWIDTH_JOHN, NFD)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "john"));
    // A no-break space and an ideographic space in a password are U+0020.
    let _ = call_basic(recording(seen.clone()), &basic_utf8("Jäsøn Doe", "a\u{a0}b\u{3000}c")).await;
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("john".into(), NFC.into()), ("Jäsøn Doe".into(), "a b c".into())]
    );
    // `Scheme::username` (what the throttle counts) is the enforced name too.
    let req = Request::builder()
        .header(
            AUTHORIZATION,
            http::HeaderValue::from_bytes(&basic_utf8(FULLWIDTH_JOHN, "x")).unwrap(),
        )
        .body(())
        .unwrap();
    let (parts, ()) = req.into_parts();
    assert_eq!(
        recording(seen).username(&AuthRequest::new(&parts)).as_deref(),
        Some("john")
    );
}

#[tokio::test]
async fn basic_refused_by_precis_is_401_without_calling_the_verifier() {
    let cases: &[(&str, &[u8])] = &[
        ("empty password", b"john:"),
        ("empty user-id", b":hello"),
        ("leading space in the user-id", b" john:hello"),
        ("two spaces in the user-id", b"J\xc3\xa4s\xc3\xb8n  Doe:hello"),
        ("C1 control (U+0085) in the password", b"john:hel\xc2\x85lo"),
        ("C1 control (U+0085) in the user-id", b"jo\xc2\x85hn:hello"),
        ("U+FFFD in the user-id", b"jo\xef\xbf\xbdhn:hello"),
        ("unassigned U+0378 in the password", b"john:\xcd\xb8"),
        ("emoji in the user-id", "john🦀:hello".as_bytes()),
        (
            "fullwidth colon (U+FF1A) in the user-id",
            "jo\u{ff1a}hn:hello".as_bytes(),
        ),
        ("zero-width space in the password", "john:hel\u{200b}lo".as_bytes()),
        ("ISO-8859-1 C1 control (0x85) in the password", b"john:hel\x85lo\xff"),
    ];
    for (what, raw) in cases {
        let seen = Seen::default();
        let (status, _) = call_basic(recording(seen.clone()), &basic_raw(raw)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(seen.lock().unwrap().is_empty(), "{what}: the verifier ran");
    }
    // C0 controls are still malformed (400), as before.
    let (status, _) = call_basic(recording(Seen::default()), &basic_raw(b"john:hel\x07lo")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn basic_rfc7617_vectors_and_the_iso_8859_1_fallback() {
    let seen = Seen::default();
    let verifier = {
        let seen = seen.clone();
        move |c: BasicCredentials| {
            seen.lock()
                .unwrap()
                .push((c.username().to_owned(), c.password().to_owned()));
            let ok = matches!(
                (c.username(), c.password()),
                ("Aladdin", "open sesame") | ("test", "123£")
            );
            async move { ok.then(|| c.username().to_owned()) }
        }
    };
    let basic = || Basic::new(verifier.clone());
    // RFC 7617 §2 and §2.1.
    for (header, user) in [
        (&b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="[..], "Aladdin"),
        (b"Basic dGVzdDoxMjPCow==", "test"),
        // python requests: test / 123£ in ISO-8859-1 (A3).
        (b"Basic dGVzdDoxMjOj", "test"),
    ] {
        let (status, body) = call_basic(basic(), header).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, user));
    }
    // ISO-8859-1 text is enforced like UTF-8: a no-break space (A0) becomes U+0020.
    let _ = call_basic(basic(), &basic_raw(b"J\xe4s\xf8n Doe:Secret,\xa0or not?")).await;
    assert_eq!(
        seen.lock().unwrap().last().unwrap(),
        &("Jäsøn Doe".to_owned(), "Secret, or not?".to_owned())
    );
}

#[tokio::test]
async fn basic_opt_out_hands_over_the_bytes_as_sent() {
    let seen = Seen::default();
    let (status, _) = call_basic(
        recording(seen.clone()).precis(Precis::Off),
        &basic_utf8(FULLWIDTH_JOHN, NFD),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "john / NFC only, byte for byte");
    let (status, _) = call_basic(recording(seen.clone()).precis(Precis::Off), b"Basic am9objo=").await; // "john:"
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An empty password is refused before the verifier, with PRECIS off too.
    assert_eq!(*seen.lock().unwrap(), vec![(FULLWIDTH_JOHN.into(), NFD.into())]);
    let (status, _) = call_basic(recording(seen.clone()).precis(Precis::Off), &basic_utf8("john", NFC)).await;
    assert_eq!(status, StatusCode::OK);
}

// ---------------------------------------------------------------- Digest

async fn get(app: &Router, auth: Option<&str>) -> Response<Body> {
    let mut b = Request::builder().uri("/r");
    if let Some(a) = auth {
        // Raw UTF-8 in a quoted-string is obs-text: allowed in a field value.
        b = b.header(AUTHORIZATION, http::HeaderValue::from_bytes(a.as_bytes()).unwrap());
    }
    app.clone().oneshot(b.body(Body::empty()).unwrap()).await.unwrap()
}

/// `Digest` credentials answering `app`'s challenge: `name_param` is the username
/// parameter as sent (`username="…"` or `username*=…`); the response is computed over
/// `a1_user` and `password`.
async fn answer(app: &Router, name_param: &str, a1_user: &str, password: &str) -> String {
    let res = get(app, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    let (_, rest) = split_scheme(challenge.as_bytes()).unwrap();
    let p = AuthParams::parse(rest).unwrap();
    let (nonce, opaque) = (p.get("nonce").unwrap(), p.get("opaque").unwrap());
    let response = client_response(
        Algorithm::Sha256,
        a1_user,
        REALM,
        password,
        nonce,
        "00000001",
        "0a4f113b",
        Some(Qop::Auth),
        "GET",
        "/r",
        None,
    );
    format!(
        r#"Digest {name_param}, realm="{REALM}", uri="/r", algorithm=SHA-256, nonce="{nonce}", nc=00000001, cnonce="0a4f113b", qop=auth, response="{}", opaque="{opaque}""#,
        response.as_str()
    )
}

/// RFC 5987 `username*` for `name`.
fn username_star(name: &str) -> String {
    let enc: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    format!("username*=UTF-8''{enc}")
}

#[tokio::test]
async fn digest_a1_is_over_the_nfc_password_whichever_form_the_store_holds() {
    for stored in [NFC, NFD] {
        let app = password_store_app(stored, Precis::Enforce, Arc::default());
        // The client hashes the NFC form, as RFC 7616 §4 asks.
        let auth = answer(&app, r#"username="john""#, "john", NFC).await;
        let res = get(&app, Some(&auth)).await;
        assert_eq!(res.status(), StatusCode::OK, "stored {stored:?}");
        // A client that hashes the NFD octets cannot be helped: they are another password.
        let auth = answer(&app, r#"username="john""#, "john", NFD).await;
        assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn digest_username_is_enforced_before_the_lookup() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let app = password_store_app(NFC, Precis::Enforce, asked.clone());
    // Fullwidth in `username*` and in the quoted `username`: the store is asked for "john",
    // and A1 is over the enforced name.
    for param in [username_star(FULLWIDTH_JOHN), format!(r#"username="{FULLWIDTH_JOHN}""#)] {
        let auth = answer(&app, &param, "john", NFC).await;
        let res = get(&app, Some(&auth)).await;
        assert_eq!(res.status(), StatusCode::OK, "{param}");
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"john");
    }
    assert_eq!(*asked.lock().unwrap(), vec!["john".to_owned(), "john".to_owned()]);

    // Refused names: 401, and the store is not asked.
    asked.lock().unwrap().clear();
    for name in ["jo\u{85}hn", "jo\u{fffd}hn", "jo:hn", " john", "john🦀"] {
        let auth = answer(&app, &username_star(name), name, NFC).await;
        let res = get(&app, Some(&auth)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name:?}");
        assert!(res.headers().contains_key(WWW_AUTHENTICATE));
    }
    assert!(asked.lock().unwrap().is_empty(), "{:?}", asked.lock().unwrap());
}

#[tokio::test]
async fn digest_stored_empty_password_never_matches() {
    let app = password_store_app("", Precis::Enforce, Arc::default());
    let auth = answer(&app, r#"username="john""#, "john", "").await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::UNAUTHORIZED);
    // Without PRECIS the empty password is a password like any other.
    let app = password_store_app("", Precis::Off, Arc::default());
    let auth = answer(&app, r#"username="john""#, "john", "").await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn digest_users_store_the_enforced_forms_and_userhash_finds_them() {
    // Registered fullwidth and decomposed; the client uses the enforced forms.
    let users = DigestUsers::new(REALM).with_password(FULLWIDTH_JOHN, NFD);
    let digest = Digest::new(users)
        .realm(REALM)
        .algorithms([Algorithm::Sha256])
        .userhash(true);
    let app = Router::new().route("/r", any(who)).layer(AuthLayer::new(digest));
    let auth = answer(&app, r#"username="john""#, "john", NFC).await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::OK);
    let hash = Algorithm::Sha256.userhash("john", REALM);
    let auth = answer(
        &app,
        &format!(r#"username="{}", userhash=true"#, hash.as_str()),
        "john",
        NFC,
    )
    .await;
    let res = get(&app, Some(&auth)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert_eq!(&body[..], b"john");
}

#[tokio::test]
async fn digest_opt_out_uses_the_octets_as_sent() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let app = password_store_app(NFD, Precis::Off, asked.clone());
    let auth = answer(&app, r#"username="john""#, "john", NFD).await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::OK);
    let auth = answer(&app, r#"username="john""#, "john", NFC).await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::UNAUTHORIZED);
    let auth = answer(&app, &username_star(FULLWIDTH_JOHN), FULLWIDTH_JOHN, NFD).await;
    assert_eq!(get(&app, Some(&auth)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        *asked.lock().unwrap(),
        vec!["john".to_owned(), "john".to_owned(), FULLWIDTH_JOHN.to_owned()]
    );
}

// ---------------------------------------------------------------- properties

mod properties {
    use std::borrow::Cow;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use http::request::Parts;
    use proptest::prelude::*;
    use tower_httpauth::basic::StaticCredentials;
    use tower_httpauth::scheme::AuthRequest;
    use tower_httpauth::{AuthFailure, Basic, BasicCredentials, Scheme, Verifier, precis, sync_fn};

    /// Strings over characters PRECIS treats specially, and anything else.
    fn tricky() -> impl Strategy<Value = String> {
        let interesting = prop::sample::select(vec![
            'a',
            'Z',
            'e',
            ' ',
            ':',
            '\u{301}',
            '\u{308}',
            '\u{e9}',
            '\u{a0}',
            '\u{3000}',
            '\u{2003}',
            '\u{ff4a}',
            '\u{ff1a}',
            '\u{ff8a}',
            '\u{ff9f}',
            '\u{5d0}',
            '\u{627}',
            '1',
            '\u{200b}',
            '\u{200d}',
            '\u{94d}',
            '\u{85}',
            '\u{fffd}',
            '\u{212b}',
            '\u{1100}',
            '\u{1161}',
            'ß',
            'İ',
            '\u{1f600}',
            '\u{1f980}',
        ]);
        prop_oneof![
            prop::collection::vec(interesting, 0..12).prop_map(|v| v.into_iter().collect()),
            "(?s).{0,12}",
        ]
    }

    fn verify(v: &StaticCredentials, c: BasicCredentials, parts: &Parts) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        match pin!(v.verify(c, parts)).poll(&mut cx) {
            Poll::Ready(found) => found.is_ok(),
            Poll::Pending => unreachable!("StaticCredentials answers at once"),
        }
    }

    /// The credentials Basic hands its verifier for the request `parts`, or its refusal.
    fn credentials(parts: &Parts) -> Result<BasicCredentials, AuthFailure> {
        let basic = Basic::new(sync_fn(|c: &BasicCredentials| Some(c.clone())));
        let mut cx = Context::from_waker(Waker::noop());
        match pin!(basic.authenticate(&AuthRequest::new(parts))).poll(&mut cx) {
            Poll::Ready(outcome) => outcome.map(|auth| auth.user),
            Poll::Pending => unreachable!("a `sync_fn` verifier answers at once"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Enforcement never panics, is idempotent (an enforced form is borrowed back as is),
        /// and never leaves a colon in a user-id nor an empty result.
        #[test]
        fn enforcement_is_stable(s in tricky()) {
            if let Ok(u) = precis::username(&s) {
                prop_assert!(!u.is_empty() && !u.contains(':'));
                prop_assert!(matches!(precis::username(&u), Ok(Cow::Borrowed(x)) if x == u), "{s:?} -> {u:?}");
            }
            if let Ok(p) = precis::password(&s) {
                prop_assert!(!p.is_empty());
                prop_assert!(matches!(precis::password(&p), Ok(Cow::Borrowed(x)) if x == p), "{s:?} -> {p:?}");
            }
        }

        /// Whatever a user registers with `StaticCredentials`, typing it again the same way,
        /// or in its enforced form, logs in through Basic when PRECIS accepts it; otherwise
        /// Basic refuses it before the verifier.
        #[test]
        fn registered_credentials_log_in_as_typed(user in tricky(), password in tricky()) {
            // What Basic can carry at all: no colon in the user-id, no C0 control (400).
            let sendable = |c: &char| *c >= ' ' && *c != '\u{7f}';
            let user: String = user.chars().filter(|c| sendable(c) && *c != ':').collect();
            let password: String = password.chars().filter(sendable).collect();
            // Empty ones refuse to build (`tests/it/basic.rs`).
            prop_assume!(!user.is_empty() && !password.is_empty());
            let verifier = StaticCredentials::new(&user, &password);
            let value = BasicCredentials::new(&user, &password).to_header_value();
            let req = http::Request::builder().header(http::header::AUTHORIZATION, value).body(()).unwrap();
            let (parts, ()) = req.into_parts();
            match (precis::username(&user), precis::password(&password)) {
                (Ok(u), Ok(p)) => {
                    let c = credentials(&parts).unwrap();
                    prop_assert_eq!((c.username(), c.password()), (&*u, &*p));
                    prop_assert!(verify(&verifier, c, &parts));
                    prop_assert!(verify(&verifier, BasicCredentials::new(&u, &p), &parts));
                }
                _ => {
                    let refused = credentials(&parts).unwrap_err();
                    prop_assert_eq!(refused.kind(), tower_httpauth::FailureKind::InvalidCredentials);
                }
            }
        }
    }
}
