//! Proxy authentication (`AuthLayer::proxy`, RFC 9110 §11.7, RFC 7616 §3.8): `407`,
//! `Proxy-Authenticate`, `Proxy-Authorization`, `Proxy-Authentication-Info`, through a tower
//! stack. Over TCP with curl `--proxy-basic` / `--proxy-digest`: `tests/interop/proxy.rs`.

use crate::fixtures::proxy::{REALM, app, basic, digest, upstream};

use axum::Router;
use axum::body::Body;
use axum::routing::any;
use http::request::Parts;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_auth::PasswordParams;
use http_auth::digest::DigestClient;
use tower::ServiceExt;
use tower_httpauth::bearer::TokenCookie;
use tower_httpauth::digest::{Algorithm, Digest, DigestUsers};
use tower_httpauth::scheme::AuthRequest;
use tower_httpauth::scheme::Authenticated;
use tower_httpauth::{AuthFailure, AuthLayer, Bearer, Multi, Scheme, Token, Verifier, sync_fn};

// alice:s3cret and bob:hunter2
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";
const BOB: &str = "Basic Ym9iOmh1bnRlcjI=";

/// The next hop, reporting what it sees, behind `$layer` (any refinement of a layer).
macro_rules! app_with {
    ($layer:expr $(,)?) => {
        Router::new()
            .route("/", any(seen))
            .route("/{*rest}", any(seen))
            .layer($layer)
    };
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
        .require_role("admin")
        .exempt_methods([Method::OPTIONS]);
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

// ------------------------------------------------------------------ what a proxy exempts

#[tokio::test]
async fn proxy_mode_exempts_no_method_unless_asked() {
    let preflight = [
        ("origin", "https://app.example"),
        ("access-control-request-method", "GET"),
    ];
    // By default nothing passes without proxy credentials: not OPTIONS, not a CORS preflight.
    let app = app(AuthLayer::new(basic()));
    for headers in [&[][..], &preflight[..]] {
        let (res, body) = send(&app, "OPTIONS", "http://internal.example/", headers).await;
        assert_eq!(
            res.status(),
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "{headers:?}: {body}"
        );
        assert_eq!(values(&res, "proxy-authenticate").len(), 1);
    }
    // An explicit choice applies, made before `proxy()` or after it.
    let before = app_with!(AuthLayer::new(basic()).exempt_methods([Method::OPTIONS]).proxy());
    let after = app_with!(AuthLayer::new(basic()).proxy().exempt_methods([Method::OPTIONS]));
    for app in [before, after] {
        let (res, body) = send(&app, "OPTIONS", "http://internal.example/", &[]).await;
        assert_eq!((res.status(), body.as_str()), (StatusCode::OK, SEEN_NOTHING));
        let (res, _) = send(&app, "GET", "http://internal.example/", &[]).await;
        assert_eq!(res.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    }
}

// ------------------------------------------- no credential source travels past the proxy

const KEY: &str = "pk-secret-key";

/// What the next hop sees of every place a credential could be: a line that names no
/// secret when the proxy did its job.
async fn seen(uri: Uri, headers: HeaderMap) -> String {
    describe(&uri, &headers)
}

fn describe(uri: &Uri, headers: &HeaderMap) -> String {
    let field = |name: &str| {
        let all: Vec<&str> = headers.get_all(name).iter().map(|v| v.to_str().unwrap()).collect();
        if all.is_empty() {
            "-".to_owned()
        } else {
            all.join(" | ")
        }
    };
    format!(
        "uri={uri} authorization={} proxy-authorization={} x-proxy-key={} cookie={}",
        field("authorization"),
        field("proxy-authorization"),
        field("x-proxy-key"),
        field("cookie"),
    )
}

const SEEN_NOTHING: &str = "uri=http://internal.example/ authorization=- proxy-authorization=- x-proxy-key=- cookie=-";

/// A failure handler that answers with what it was shown of the request.
fn show_parts(f: &AuthFailure, parts: &Parts) -> Response<Body> {
    let mut res = Response::new(Body::from(describe(&parts.uri, &parts.headers)));
    *res.status_mut() = f.status();
    res
}

/// Bearer reading every source: `Proxy-Authorization: Bearer`, `X-Proxy-Key`, the
/// `access_token` parameter and the `sid` cookie; `KEY` is alice's token. One verifier
/// answers at once, the other through a future.
fn every_source_sync() -> Bearer<impl Verifier<Token, User = String>> {
    with_every_source(Bearer::new(sync_fn(|t: &Token| {
        (t.as_str() == KEY).then(|| "alice".to_owned())
    })))
}

fn every_source_async() -> Bearer<impl Verifier<Token, User = String>> {
    with_every_source(Bearer::new(|t: Token| async move {
        (t.as_str() == KEY).then(|| "alice".to_owned())
    }))
}

fn with_every_source<V: Verifier<Token>>(b: Bearer<V>) -> Bearer<V> {
    b.realm(REALM)
        .header("x-proxy-key")
        .query("access_token")
        .cookie(TokenCookie::new("sid"))
}

/// A request (target, header fields) and what the next hop must see of it.
type Case = (String, Vec<(&'static str, String)>, &'static str);

/// The same requests, with the token in each place in turn, and what the next hop must see.
fn token_in_each_place(token: &str) -> Vec<Case> {
    vec![
        (
            "http://origin.example/p?a=1".into(),
            vec![
                ("proxy-authorization", format!("Bearer {token}")),
                ("authorization", "Basic b3JpZ2lu".into()),
            ],
            "uri=http://origin.example/p?a=1 authorization=Basic b3JpZ2lu proxy-authorization=- x-proxy-key=- cookie=-",
        ),
        (
            "http://origin.example/p".into(),
            vec![("x-proxy-key", token.into()), ("cookie", "theme=dark".into())],
            "uri=http://origin.example/p authorization=- proxy-authorization=- x-proxy-key=- cookie=theme=dark",
        ),
        (
            format!("http://origin.example/p?a=1&access_token={token}&b=%20c&&d"),
            vec![],
            "uri=http://origin.example/p?a=1&b=%20c&&d authorization=- proxy-authorization=- x-proxy-key=- cookie=-",
        ),
        (
            format!("http://origin.example/p?access_token={token}"),
            vec![],
            "uri=http://origin.example/p authorization=- proxy-authorization=- x-proxy-key=- cookie=-",
        ),
        (
            "http://origin.example/p".into(),
            vec![
                ("cookie", format!("theme=dark; sid={token};lang=en")),
                ("cookie", "x=y".into()),
            ],
            "uri=http://origin.example/p authorization=- proxy-authorization=- x-proxy-key=- cookie=theme=dark; lang=en | x=y",
        ),
        (
            "http://origin.example/p".into(),
            vec![("cookie", "x=y".into()), ("cookie", format!("sid=\"{token}\""))],
            "uri=http://origin.example/p authorization=- proxy-authorization=- x-proxy-key=- cookie=x=y",
        ),
    ]
}

async fn send_owned(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(&'static str, String)],
) -> (Response<Body>, String) {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    send(app, method, uri, &headers).await
}

#[tokio::test]
async fn proxy_mode_forwards_no_credential_source_of_an_authenticated_request() {
    let apps = [
        app_with!(AuthLayer::new(every_source_sync()).proxy()),
        app_with!(AuthLayer::new(every_source_async()).proxy()),
        // Through the roles hook.
        app_with!(
            AuthLayer::new(every_source_async())
                .roles_from(|_: &String| ["admin"])
                .require_role("admin")
                .proxy(),
        ),
        // Behind Multi.
        app_with!(AuthLayer::new(Multi::new(basic()).or(every_source_sync())).proxy()),
    ];
    for (i, app) in apps.iter().enumerate() {
        for (uri, headers, expected) in token_in_each_place(KEY) {
            let (res, body) = send_owned(app, "GET", &uri, &headers).await;
            assert_eq!(
                (res.status(), body.as_str()),
                (StatusCode::OK, expected),
                "app {i}: {uri} {headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn proxy_mode_shows_no_credential_source_of_a_refused_request_to_the_failure_handler() {
    let apps = [
        app_with!(AuthLayer::new(every_source_sync()).on_failure(show_parts).proxy()),
        app_with!(AuthLayer::new(every_source_async()).on_failure(show_parts).proxy()),
        // Refused by the roles hook: 403.
        app_with!(
            AuthLayer::new(every_source_async())
                .roles_from(|_: &String| Vec::<String>::new())
                .require_role("admin")
                .on_failure(show_parts)
                .proxy(),
        ),
    ];
    for (i, app) in apps.iter().enumerate() {
        let token = if i == 2 { KEY } else { "pk-secret-wrong" };
        for (uri, headers, expected) in token_in_each_place(token) {
            let (res, body) = send_owned(app, "GET", &uri, &headers).await;
            let status = if i == 2 {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::PROXY_AUTHENTICATION_REQUIRED
            };
            assert_eq!(
                (res.status(), body.as_str()),
                (status, expected),
                "app {i}: {uri} {headers:?}"
            );
        }
    }
    // Malformed: the token in two places, two token cookies, two schemes at once (400).
    let multi = app_with!(
        AuthLayer::new(Multi::new(basic()).or(every_source_sync()))
            .on_failure(show_parts)
            .proxy(),
    );
    let cases: [(&str, &[(&str, &str)]); 3] = [
        (
            "http://origin.example/p?access_token=pk-secret-1",
            &[("x-proxy-key", "pk-secret-2")],
        ),
        (
            "http://origin.example/p",
            &[("cookie", "sid=pk-secret-1"), ("cookie", "a=b; sid=pk-secret-2")],
        ),
        (
            "http://origin.example/p",
            &[("proxy-authorization", ALICE), ("x-proxy-key", "pk-secret-1")],
        ),
    ];
    for (uri, headers) in cases {
        let (res, body) = send(&multi, "GET", uri, headers).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{uri} {headers:?}");
        assert!(!body.contains("secret") && !body.contains(ALICE), "{body}");
        assert!(body.contains("proxy-authorization=- x-proxy-key=-"), "{body}");
    }
}

#[tokio::test]
async fn proxy_mode_forwards_no_credential_source_of_an_exempt_request() {
    let by_method = app_with!(
        AuthLayer::new(every_source_sync())
            .exempt_methods([Method::OPTIONS])
            .proxy()
    );
    let by_predicate = app_with!(
        AuthLayer::new(every_source_sync())
            .proxy()
            .exempt_if(|p| p.uri.path() == "/health")
    );
    for (app, method) in [(by_method, "OPTIONS"), (by_predicate, "GET")] {
        for (uri, headers, expected) in token_in_each_place(KEY) {
            let uri = uri.replace("/p", "/health");
            let (res, body) = send_owned(&app, method, &uri, &headers).await;
            assert_eq!(
                (res.status(), body.as_str()),
                (StatusCode::OK, expected.replace("/p", "/health").as_str()),
                "{method} {uri} {headers:?}"
            );
        }
    }
}

#[tokio::test]
async fn proxy_mode_forwards_no_proxy_credentials_of_an_anonymous_request_on_an_optional_route() {
    for app in [
        app_with!(AuthLayer::new(every_source_sync()).optional().proxy()),
        app_with!(AuthLayer::new(every_source_async()).optional().proxy()),
    ] {
        // Credentials of a scheme the proxy does not read: anonymous, and not forwarded.
        let (res, body) = send(
            &app,
            "GET",
            "http://origin.example/p?a=1&access_tokens=x",
            &[("proxy-authorization", "Negotiate c2VjcmV0"), ("cookie", "sids=1; s=2")],
        )
        .await;
        assert_eq!(
            (res.status(), body.as_str()),
            (
                StatusCode::OK,
                "uri=http://origin.example/p?a=1&access_tokens=x authorization=- proxy-authorization=- x-proxy-key=- cookie=sids=1; s=2"
            )
        );
        // A token still authenticates and goes no further.
        for (uri, headers, expected) in token_in_each_place(KEY) {
            let (res, body) = send_owned(&app, "GET", &uri, &headers).await;
            assert_eq!(
                (res.status(), body.as_str()),
                (StatusCode::OK, expected),
                "{uri} {headers:?}"
            );
        }
    }
}

/// A scheme of someone else's that reads `X-Proxy-Key` and says nothing about removing it.
struct Ticket {
    removes: bool,
}

impl Scheme for Ticket {
    type User = String;
    type Future = std::future::Ready<Result<Authenticated<String>, AuthFailure>>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        request.parts().headers.contains_key("x-proxy-key")
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        std::future::ready(match request.parts().headers.get("x-proxy-key") {
            Some(v) if v == "t1" => Ok(Authenticated::new("ticket".to_owned())),
            Some(_) => Err(AuthFailure::invalid()),
            None => Err(AuthFailure::missing()),
        })
    }

    fn challenge(&self, _: &AuthFailure, headers: &mut HeaderMap) {
        headers.append("www-authenticate", "Ticket".parse().unwrap());
    }

    fn can_remove_credentials(&self) -> bool {
        self.removes
    }

    fn remove_credentials(&self, parts: &mut Parts) {
        parts.headers.remove("x-proxy-key");
    }
}

#[tokio::test]
#[should_panic(expected = "cannot remove the credentials it reads")]
async fn proxy_mode_refuses_a_scheme_that_cannot_remove_its_credentials() {
    let _ = AuthLayer::new(Ticket { removes: false }).proxy();
}

#[tokio::test]
#[should_panic(expected = "cannot remove the credentials it reads")]
async fn proxy_mode_refuses_a_multi_with_one_scheme_that_cannot_remove_its_credentials() {
    let _ = AuthLayer::new(Multi::new(basic()).or(Ticket { removes: false })).proxy();
}

#[tokio::test]
async fn proxy_mode_uses_a_schemes_own_removal() {
    let app = app_with!(AuthLayer::new(Ticket { removes: true }).proxy());
    let (res, body) = send(&app, "GET", "http://internal.example/", &[("x-proxy-key", "t1")]).await;
    assert_eq!((res.status(), body.as_str()), (StatusCode::OK, SEEN_NOTHING));
}
