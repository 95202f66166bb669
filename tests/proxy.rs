//! Proxy authentication (`AuthLayer::proxy`, RFC 9110 §11.7, RFC 7616 §3.8): `407`,
//! `Proxy-Authenticate`, `Proxy-Authorization`, `Proxy-Authentication-Info`, through a tower
//! stack and over TCP with curl `--proxy-basic` / `--proxy-digest`.

mod common;

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::routing::any;
use http::{HeaderMap, Request, Response, StatusCode};
use http_auth::PasswordParams;
use http_auth::digest::DigestClient;
use tower::ServiceExt;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers};
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Basic, BasicCredentials, Multi, Scheme};

const REALM: &str = "proxy@example.org";
// alice:s3cret and bob:hunter2
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";
const BOB: &str = "Basic Ym9iOmh1bnRlcjI=";

/// What the inner service (the upstream hop) sees: the user, and the credential fields.
async fn upstream(user: Option<Extension<AuthUser<String>>>, headers: HeaderMap) -> String {
    let field = |name: &str| {
        let all: Vec<&str> = headers.get_all(name).iter().map(|v| v.to_str().unwrap()).collect();
        if all.is_empty() {
            "-".to_owned()
        } else {
            all.join(" | ")
        }
    };
    format!(
        "user={} authorization={} proxy-authorization={}",
        user.map_or("-".to_owned(), |Extension(AuthUser(u))| u),
        field("authorization"),
        field("proxy-authorization"),
    )
}

fn basic() -> Basic<impl tower_httpauth::BasicVerifier<User = String>> {
    Basic::new(|c: BasicCredentials| async move {
        let ok = (c.username() == "alice" && c.password() == "s3cret")
            || (c.username() == "bob" && c.password() == "hunter2");
        ok.then(|| c.username().to_owned())
    })
    .realm(REALM)
}

fn app<S: Scheme<User = String>>(layer: AuthLayer<S>) -> Router {
    Router::new().route("/{*rest}", any(upstream)).layer(layer.proxy())
}

async fn send(app: &Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> (Response<Body>, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

fn values(res: &Response<Body>, name: &str) -> Vec<String> {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn missing_proxy_credentials_get_407_with_proxy_authenticate() {
    let app = app(AuthLayer::new(basic()));
    let (res, _) = send(&app, "GET", "http://origin.example/a", &[]).await;
    assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert_eq!(
        values(&res, "proxy-authenticate"),
        [format!(r#"Basic realm="{REALM}", charset="UTF-8""#)]
    );
    assert!(values(&res, "www-authenticate").is_empty());
}

#[tokio::test]
async fn proxy_credentials_are_consumed_and_the_origin_authorization_passes_untouched() {
    let app = app(AuthLayer::new(basic()));
    let (res, body) = send(
        &app,
        "GET",
        "http://origin.example/a?b=1",
        &[("proxy-authorization", ALICE), ("authorization", "Bearer origin-token")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body,
        "user=alice authorization=Bearer origin-token proxy-authorization=-"
    );

    // No origin credentials: none appear.
    let (res, body) = send(&app, "GET", "/a", &[("proxy-authorization", BOB)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body, "user=bob authorization=- proxy-authorization=-");
}

#[tokio::test]
async fn origin_credentials_are_not_proxy_credentials() {
    let app = app(AuthLayer::new(basic()));
    let (res, _) = send(&app, "GET", "/a", &[("authorization", ALICE)]).await;
    assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert_eq!(values(&res, "proxy-authenticate").len(), 1);
}

#[tokio::test]
async fn wrong_or_malformed_proxy_credentials() {
    let app = app(AuthLayer::new(basic()));
    let (res, _) = send(&app, "GET", "/a", &[("proxy-authorization", "Basic YWxpY2U6d3Jvbmc=")]).await;
    assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert_eq!(values(&res, "proxy-authenticate").len(), 1);
    let (res, _) = send(&app, "GET", "/a", &[("proxy-authorization", "Basic !!!")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(values(&res, "www-authenticate").is_empty());
    // Two Proxy-Authorization fields are as malformed as two Authorization fields.
    let (res, _) = send(
        &app,
        "GET",
        "/a",
        &[("proxy-authorization", ALICE), ("proxy-authorization", BOB)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_missing_role_is_403_and_exempt_requests_lose_the_proxy_credentials() {
    let layer = AuthLayer::new(basic())
        .roles_from(|u: &String| if u == "alice" { vec!["admin"] } else { vec![] })
        .require_role("admin");
    let app = Router::new().route("/{*rest}", any(upstream)).layer(layer.proxy());
    let (res, body) = send(&app, "GET", "/a", &[("proxy-authorization", ALICE)]).await;
    assert_eq!(
        (res.status(), body.as_str()),
        (StatusCode::OK, "user=alice authorization=- proxy-authorization=-")
    );
    let (res, _) = send(&app, "GET", "/a", &[("proxy-authorization", BOB)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (res, body) = send(&app, "OPTIONS", "/a", &[("proxy-authorization", BOB)]).await;
    assert_eq!(
        (res.status(), body.as_str()),
        (StatusCode::OK, "user=- authorization=- proxy-authorization=-")
    );
}

#[tokio::test]
async fn a_custom_401_becomes_407() {
    let layer = AuthLayer::new(basic()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
        let mut res = Response::new(Body::from(format!("{{\"error\":\"{}\"}}", f.kind().code())));
        *res.status_mut() = f.status();
        res
    });
    let app = Router::new().route("/{*rest}", any(upstream)).layer(layer.proxy());
    let (res, body) = send(&app, "GET", "/a", &[]).await;
    assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert_eq!(values(&res, "proxy-authenticate").len(), 1);
    assert!(body.contains("error"), "{body}");
}

#[tokio::test]
async fn the_inner_services_own_401_is_left_alone() {
    let layer = AuthLayer::new(basic()).proxy();
    let app = Router::new()
        .route(
            "/{*rest}",
            any(|| async {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = StatusCode::UNAUTHORIZED;
                res.headers_mut()
                    .insert("www-authenticate", "Bearer realm=\"origin\"".parse().unwrap());
                res
            }),
        )
        .layer(layer);
    let (res, _) = send(&app, "GET", "/a", &[("proxy-authorization", ALICE)]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(values(&res, "www-authenticate"), [r#"Bearer realm="origin""#]);
    assert!(values(&res, "proxy-authenticate").is_empty());
}

fn digest() -> Digest<DigestUsers> {
    Digest::new(DigestUsers::new(REALM).with_password("Mufasa", "Circle of Life")).realm(REALM)
}

fn digest_client(res: &Response<Body>) -> DigestClient {
    let c = &values(res, "proxy-authenticate")[0];
    let parsed = http_auth::parse_challenges(c).unwrap();
    DigestClient::try_from(&parsed[0]).unwrap()
}

#[tokio::test]
async fn digest_through_a_proxy_answers_with_proxy_authentication_info() {
    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let app = app(AuthLayer::new(digest().algorithms([alg])));
        let uri = "http://origin.example/dir/index.html?x=1";
        let (res, _) = send(&app, "GET", uri, &[]).await;
        assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        let mut client = digest_client(&res);
        for round in 0..2 {
            let auth = client
                .respond(&PasswordParams {
                    username: "Mufasa",
                    password: "Circle of Life",
                    uri,
                    method: "GET",
                    body: None,
                })
                .unwrap();
            let (res, body) = send(&app, "GET", uri, &[("proxy-authorization", &auth)]).await;
            assert_eq!(res.status(), StatusCode::OK, "{alg} round {round}");
            assert_eq!(body, "user=Mufasa authorization=- proxy-authorization=-");
            let info = values(&res, "proxy-authentication-info");
            assert_eq!(info.len(), 1, "{alg}");
            assert!(info[0].contains("rspauth="), "{}", info[0]);
            assert!(values(&res, "authentication-info").is_empty());
            // A replay of the same nc is refused, with a proxy challenge.
            let (res, _) = send(&app, "GET", uri, &[("proxy-authorization", &auth)]).await;
            assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        }
    }
}

#[tokio::test]
async fn multi_scheme_proxy_sends_every_challenge_as_proxy_authenticate() {
    let multi = Multi::new(basic()).or(Digest::new(DigestUsers::new(REALM).with_password("svc", "key")).realm(REALM));
    let layer = AuthLayer::new(multi);
    let app = Router::new()
        .route("/{*rest}", any(|| async { "ok" }))
        .layer(layer.proxy());
    let (res, _) = send(&app, "GET", "/a", &[]).await;
    assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    let challenges = values(&res, "proxy-authenticate");
    assert_eq!(challenges.len(), 3, "{challenges:?}"); // Basic, Digest SHA-256, Digest MD5
    assert!(challenges[0].starts_with("Basic ") && challenges[1].starts_with("Digest "));
    let (res, body) = send(&app, "GET", "/a", &[("proxy-authorization", ALICE)]).await;
    assert_eq!((res.status(), body.as_str()), (StatusCode::OK, "ok"));
}

// ------------------------------------------------------------------------- over TCP with curl

#[tokio::test]
async fn curl_proxy_basic_and_digest() {
    if !common::have_program("curl") {
        return;
    }
    let basic_proxy = format!("http://{}", common::serve(app(AuthLayer::new(basic()))).await);
    let digest_proxy = format!("http://{}", common::serve(app(AuthLayer::new(digest()))).await);
    let target = "http://origin.invalid/dir/index.html?q=1";

    let (code, body) = common::curl(&[
        "-x",
        &basic_proxy,
        "--proxy-basic",
        "-U",
        "alice:s3cret",
        "-u",
        "o:p",
        target,
    ])
    .await;
    assert_eq!(code, "200", "{body}");
    assert_eq!(body, "user=alice authorization=Basic bzpw proxy-authorization=-");
    let (code, _) = common::curl(&["-x", &basic_proxy, "--proxy-basic", "-U", "alice:wrong", target]).await;
    assert_eq!(code, "407");

    for alg in [Algorithm::Sha256, Algorithm::Md5] {
        let proxy = format!(
            "http://{}",
            common::serve(app(AuthLayer::new(digest().algorithms([alg])))).await
        );
        let (code, body) = common::curl(&["-x", &proxy, "--proxy-digest", "-U", "Mufasa:Circle of Life", target]).await;
        assert_eq!(code, "200", "{alg}: {body}");
        assert_eq!(body, "user=Mufasa authorization=- proxy-authorization=-");
    }
    let (code, _) = common::curl(&["-x", &digest_proxy, "--proxy-digest", "-U", "Mufasa:wrong", target]).await;
    assert_eq!(code, "407");
}
