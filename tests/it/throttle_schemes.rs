//! Throttling per user-id for the schemes other than Basic: Digest (`username`,
//! `username*`, `userhash`) and `Multi` / `Or` (the scheme that matches), and none for tokens.

use crate::support;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::time::Duration;

use crate::fixtures::digest::client_response;
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, Request, Response, StatusCode};
use support::ManualClock;
use tower::ServiceExt;
use tower::util::BoxCloneService;
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers, Qop};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::scheme::AuthRequest;
use tower_httpauth::scheme::Authenticated;
use tower_httpauth::throttle::{Limits, Throttle};
use tower_httpauth::{
    AuthFailure, AuthLayer, AuthUser, Basic, BasicCredentials, Bearer, Multi, Scheme, Verifier, constant_time_eq,
};

const REALM: &str = "throttle@example.org";

type Svc = BoxCloneService<Request<String>, Response<String>, Infallible>;

/// 2 free failures per user-id; 100 per address (so only the user-id locks here).
fn throttle() -> Throttle {
    Throttle::new()
        .clock(ManualClock::new().source())
        .per_username(Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)))
        .per_address(Limits::new(100, Duration::from_secs(1), Duration::from_secs(8)))
}

fn service<S>(scheme: S) -> Svc
where
    S: Scheme<User = String> + Send + Sync + 'static,
    S::Future: Send,
{
    service_with(scheme, throttle())
}

fn service_with<S>(scheme: S, throttle: Throttle) -> Svc
where
    S: Scheme<User = String> + Send + Sync + 'static,
    S::Future: Send,
{
    let layer = AuthLayer::new(scheme).throttle(throttle);
    let inner = tower::service_fn(|req: Request<String>| async move {
        let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
        Ok::<_, Infallible>(Response::new(user))
    });
    BoxCloneService::new(tower::Layer::layer(&layer, inner))
}

fn request(auth: Option<&str>, from: u8) -> Request<String> {
    let mut b = Request::builder().uri("/").header("host", "example.org");
    if let Some(a) = auth {
        b = b.header(AUTHORIZATION, a);
    }
    let mut req = b.body(String::new()).unwrap();
    req.extensions_mut().insert(SocketAddr::from(([10, 0, 0, from], 40000)));
    req
}

async fn send(svc: &Svc, auth: Option<&str>, from: u8) -> Response<String> {
    svc.clone().oneshot(request(auth, from)).await.unwrap()
}

/// A token scheme of one's own (`Authorization: Token <token>`): like every token scheme it
/// names no user-id before verifying (the `Scheme::username` default).
struct Tokens;

impl Scheme for Tokens {
    type User = String;
    type Future = Ready<Result<Authenticated<String>, AuthFailure>>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        request.carries("Token")
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        ready(match request.credentials("Token") {
            Ok(Some(token)) if constant_time_eq(token, b"t0ken-for-mufasa") => Ok(Authenticated::new("Mufasa".into())),
            Ok(Some(_)) => Err(AuthFailure::invalid()),
            Ok(None) => Err(AuthFailure::missing()),
            Err(failure) => Err(failure),
        })
    }

    fn challenge(&self, _failure: &AuthFailure, challenges: &mut HeaderMap) {
        challenges.append(WWW_AUTHENTICATE, format!("Token realm=\"{REALM}\"").parse().unwrap());
    }
}

/// A scheme that reads no user-id before verifying is counted per client address only: wrong
/// tokens spread over addresses lock nothing, while one address guessing past its limit is
/// locked, with `429` and `Retry-After`, for every token including the right one.
#[tokio::test]
async fn schemes_naming_no_user_id_are_counted_per_address_only() {
    let svc = service(Tokens);
    for from in 1..=6 {
        for _ in 0..3 {
            assert_eq!(
                send(&svc, Some("Token wrong"), from).await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
    }
    let res = send(&svc, Some("Token t0ken-for-mufasa"), 7).await;
    assert_eq!((res.status(), res.body().as_str()), (StatusCode::OK, "Mufasa"));

    let per_address = throttle().per_address(Limits::new(2, Duration::from_secs(1), Duration::from_secs(8)));
    let svc = service_with(Tokens, per_address);
    for _ in 0..3 {
        assert_eq!(
            send(&svc, Some("Token wrong"), 1).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let res = send(&svc, Some("Token t0ken-for-mufasa"), 1).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()[RETRY_AFTER], "1");
    let res = send(&svc, Some("Token t0ken-for-mufasa"), 2).await;
    assert_eq!(res.status(), StatusCode::OK);
}

fn basic() -> Basic<impl Verifier<BasicCredentials, User = String> + Clone> {
    Basic::new(|c: BasicCredentials| async move {
        (c.username() == "Mufasa" && c.password() == "Circle of Life").then(|| c.username().to_owned())
    })
    .realm(REALM)
}

fn digest() -> Digest<DigestUsers> {
    Digest::new(
        DigestUsers::new(REALM)
            .with_password("Mufasa", "Circle of Life")
            .with_password("john", "hello"),
    )
    .realm(REALM)
    .algorithms([Algorithm::Sha256])
}

/// (nonce, opaque) of a fresh Digest challenge.
async fn challenge(svc: &Svc) -> (String, String) {
    let res = send(svc, None, 200).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let v = res
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("Digest"))
        .expect("a Digest challenge");
    let (_, rest) = split_scheme(v.as_bytes()).unwrap();
    let params = AuthParams::parse(rest).unwrap();
    let get = |n: &str| params.get(n).unwrap().to_string();
    (get("nonce"), get("opaque"))
}

/// `name_param` is the whole username parameter (`username="…"`, `username*=…`, or a
/// userhash with `, userhash=true`); `user` is the name the response is computed with.
async fn digest_header(svc: &Svc, name_param: &str, user: &str, password: &str, nc: &str) -> String {
    let (nonce, opaque) = challenge(svc).await;
    let cnonce = "0a4f113b";
    let response = client_response(
        Algorithm::Sha256,
        user,
        REALM,
        password,
        &nonce,
        nc,
        cnonce,
        Some(Qop::Auth),
        "GET",
        "/",
        None,
    );
    format!(
        r#"Digest {name_param}, realm="{REALM}", nonce="{nonce}", uri="/", response="{}", opaque="{opaque}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=SHA-256"#,
        response.as_str()
    )
}

async fn digest_status(svc: &Svc, name_param: &str, user: &str, password: &str, from: u8) -> StatusCode {
    let h = digest_header(svc, name_param, user, password, "00000001").await;
    send(svc, Some(&h), from).await.status()
}

#[tokio::test]
async fn digest_failures_lock_the_username_from_every_address() {
    let svc = service(digest());
    for from in 1..=3 {
        assert_eq!(
            digest_status(&svc, r#"username="Mufasa""#, "Mufasa", "wrong", from).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right response, from a fresh address, is refused before verification.
    let h = digest_header(&svc, r#"username="Mufasa""#, "Mufasa", "Circle of Life", "00000001").await;
    let res = send(&svc, Some(&h), 4).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()[RETRY_AFTER], "1");
    // Another user from the same addresses is not locked.
    assert_eq!(
        digest_status(&svc, r#"username="john""#, "john", "hello", 1).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn digest_username_star_counts_as_the_same_user() {
    let svc = service(digest());
    for from in 1..=3 {
        assert_eq!(
            digest_status(&svc, "username*=UTF-8''Mufasa", "Mufasa", "wrong", from).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        digest_status(&svc, r#"username="Mufasa""#, "Mufasa", "Circle of Life", 4).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn digest_userhash_failures_lock_that_userhash() {
    let svc = service(digest().userhash(true));
    let hash = Algorithm::Sha256.userhash("Mufasa", REALM);
    let upper = hash.as_str().to_ascii_uppercase();
    for (i, h) in [hash.as_str(), &upper, hash.as_str()].into_iter().enumerate() {
        let param = format!(r#"username="{h}", userhash=true"#);
        let status = digest_status(&svc, &param, "Mufasa", "wrong", i as u8 + 1).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let param = format!(r#"username="{}", userhash=true"#, hash.as_str());
    assert_eq!(
        digest_status(&svc, &param, "Mufasa", "Circle of Life", 9).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another user is not locked.
    let param = format!(
        r#"username="{}", userhash=true"#,
        Algorithm::Sha256.userhash("john", REALM).as_str()
    );
    assert_eq!(digest_status(&svc, &param, "john", "hello", 9).await, StatusCode::OK);
}

#[tokio::test]
async fn multi_counts_per_user_id_across_its_schemes() {
    let svc = service(Multi::new(basic()).or(digest()));
    // Digest failures for Mufasa…
    for from in 1..=3 {
        assert_eq!(
            digest_status(&svc, r#"username="Mufasa""#, "Mufasa", "wrong", from).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // …lock Mufasa for both schemes.
    let basic_ok = BasicCredentials::new("Mufasa", "Circle of Life").to_header_value();
    let res = send(&svc, Some(basic_ok.to_str().unwrap()), 5).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        digest_status(&svc, r#"username="Mufasa""#, "Mufasa", "Circle of Life", 6).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn multi_basic_failures_lock_by_user_id() {
    let svc = service(Multi::new(digest()).or(basic()));
    let wrong = BasicCredentials::new("Mufasa", "wrong").to_header_value();
    for from in 1..=3 {
        let res = send(&svc, Some(wrong.to_str().unwrap()), from).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let right = BasicCredentials::new("Mufasa", "Circle of Life").to_header_value();
    assert_eq!(
        send(&svc, Some(right.to_str().unwrap()), 4).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn tokens_name_no_user_id_so_only_addresses_count() {
    let bearer = Bearer::new(StaticTokens::new().with("t0ken-for-mufasa", "Mufasa")).realm(REALM);
    let svc = service(Multi::new(basic()).or(bearer));
    // Many wrong tokens from many addresses lock no user: Mufasa still logs in with Basic.
    for from in 1..=6 {
        let res = send(&svc, Some("Bearer wrong-token"), from).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let right = BasicCredentials::new("Mufasa", "Circle of Life").to_header_value();
    let res = send(&svc, Some(right.to_str().unwrap()), 7).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body(), "Mufasa");
}
