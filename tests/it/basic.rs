//! Behaviour of the layer with the Basic scheme, driven through a real tower stack.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use tower::{Layer, Service, ServiceBuilder, ServiceExt};
use tower_httpauth::basic::Passwords;
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Basic, BasicCredentials, FailureKind, Requirement};

#[derive(Clone, Debug, PartialEq)]
struct User {
    name: String,
    roles: Vec<&'static str>,
}

const CHALLENGE: &str = r#"Basic realm="test", charset="UTF-8""#;

fn lookup(name: &str, password: &str) -> Option<User> {
    let (pw, roles): (&str, &[&'static str]) = match name {
        "john" => ("hello", &["user"]),
        "susan" => ("bye", &["user", "admin"]),
        "ed" => ("x", &["editor", "reviewer"]),
        "Aladdin" => ("open sesame", &[]),
        "test" => ("123£", &[]),
        "u" => ("p:a:b", &[]),
        "Jäsøn Doe" => ("Secret, or not?", &[]),
        _ => return None,
    };
    (password == pw).then(|| User {
        name: name.to_owned(),
        roles: roles.to_vec(),
    })
}

fn basic() -> Basic<impl tower_httpauth::Verifier<BasicCredentials, User = User>> {
    Basic::new(|c: BasicCredentials| async move { lookup(c.username(), c.password()) }).realm("test")
}

/// The inner service: answers with the name of the user it saw (or "anonymous"), and
/// counts its calls.
fn echo(
    calls: Arc<AtomicUsize>,
) -> impl Service<Request<String>, Response = Response<String>, Error = Infallible, Future: Send> + Clone {
    tower::service_fn(move |req: Request<String>| {
        calls.fetch_add(1, Ordering::SeqCst);
        let user = AuthUser::<User>::from_request(&req).map(|u| u.name.clone());
        async move { Ok::<_, Infallible>(Response::new(user.unwrap_or_else(|| "anonymous".into()))) }
    })
}

async fn send<L>(layer: L, req: Request<String>) -> (Response<String>, usize)
where
    L: tower::Layer<tower::util::BoxCloneService<Request<String>, Response<String>, Infallible>>,
    L::Service: Service<Request<String>, Response = Response<String>, Error = Infallible>,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = tower::util::BoxCloneService::new(echo(calls.clone()));
    let res = layer.layer(inner).oneshot(req).await.unwrap();
    (res, calls.load(Ordering::SeqCst))
}

fn req_with(auth: &str) -> Request<String> {
    Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, auth)
        .body(String::new())
        .unwrap()
}

fn creds(user: &str, pass: &str) -> Request<String> {
    Request::builder()
        .uri("/r")
        .header(AUTHORIZATION, BasicCredentials::new(user, pass).to_header_value())
        .body(String::new())
        .unwrap()
}

fn assert_challenge(res: &Response<String>) {
    let all: Vec<_> = res.headers().get_all(WWW_AUTHENTICATE).iter().collect();
    assert_eq!(all, vec![CHALLENGE], "challenge on {}", res.status());
}

#[tokio::test]
async fn missing_credentials_get_401_with_challenge_and_inner_not_called() {
    let (res, calls) = send(AuthLayer::new(basic()), Request::new(String::new())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_challenge(&res);
    assert_eq!(
        res.into_body(),
        "401 Unauthorized: this resource needs authentication\n"
    );
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn right_credentials_reach_the_handler_with_the_user() {
    let (res, calls) = send(AuthLayer::new(basic()), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(WWW_AUTHENTICATE).is_none());
    assert_eq!(res.into_body(), "john");
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_401_with_challenge() {
    for (u, p) in [("john", "nope"), ("nobody", "hello"), ("john", ""), ("", "")] {
        let (res, calls) = send(AuthLayer::new(basic()), creds(u, p)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{u}:{p}");
        assert_challenge(&res);
        assert_eq!(calls, 0);
    }
}

#[tokio::test]
async fn rfc7617_test_vectors() {
    let (res, _) = send(AuthLayer::new(basic()), req_with("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "Aladdin"));
    let (res, _) = send(AuthLayer::new(basic()), req_with("Basic dGVzdDoxMjPCow==")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "test"));
}

#[tokio::test]
async fn scheme_name_is_case_insensitive_and_spaces_may_repeat() {
    for prefix in ["basic ", "BASIC ", "bAsIc ", "Basic    "] {
        let (res, _) = send(
            AuthLayer::new(basic()),
            req_with(&format!("{prefix}QWxhZGRpbjpvcGVuIHNlc2FtZQ==")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{prefix:?}");
    }
}

#[tokio::test]
async fn password_is_split_at_the_first_colon() {
    let (res, _) = send(AuthLayer::new(basic()), req_with("Basic dTpwOmE6Yg==")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "u"));
}

#[tokio::test]
async fn latin1_credentials_fall_back_from_utf8() {
    // What python requests sends for "Jäsøn Doe:Secret, or not?"; and the UTF-8 form curl sends.
    for token in [
        "SuRz+G4gRG9lOlNlY3JldCwgb3Igbm90Pw==",
        "SsOkc8O4biBEb2U6U2VjcmV0LCBvciBub3Q/",
    ] {
        let (res, _) = send(AuthLayer::new(basic()), req_with(&format!("Basic {token}"))).await;
        assert_eq!(
            (res.status(), res.into_body().as_str()),
            (StatusCode::OK, "Jäsøn Doe"),
            "{token}"
        );
    }
}

#[tokio::test]
async fn malformed_credentials_get_400_never_reach_the_verifier() {
    let verified = Arc::new(AtomicUsize::new(0));
    let v = verified.clone();
    let counting = Basic::new(move |c: BasicCredentials| {
        v.fetch_add(1, Ordering::SeqCst);
        async move { lookup(c.username(), c.password()) }
    })
    .realm("test");
    let layer = AuthLayer::new(counting);
    for bad in [
        "Basic !!!!",                          // not token68
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",    // unpadded
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==x", // not token68 (data after padding)
        "Basic dXNlcg==",                      // "user": no colon
        "Basic dTpwAA==",                      // "u:p\0": control character
        "Basic dQk6cA==",                      // "u\t:p": control character
        "Basic _-8=",                          // base64url
        "Basic",                               // no token at all
        "Basic a b",                           // two tokens
        "Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", // tab is not a space
        "Basic =",
    ] {
        let (res, calls) = send(layer.clone(), req_with(bad)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(calls, 0);
    }
    assert_eq!(verified.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn non_utf8_header_bytes_get_400() {
    let mut req = Request::new(String::new());
    req.headers_mut()
        .insert(AUTHORIZATION, HeaderValue::from_bytes(b"Basic \xff\xfe==").unwrap());
    let (res, _) = send(AuthLayer::new(basic()), req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn two_authorization_headers_get_400() {
    let mut req = creds("john", "hello");
    req.headers_mut()
        .append(AUTHORIZATION, BasicCredentials::new("john", "hello").to_header_value());
    let (res, calls) = send(AuthLayer::new(basic()), req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn oversized_header_gets_431_and_the_bound_is_configurable() {
    let long = format!("Basic {}", "QUFB".repeat(2000));
    let (res, _) = send(AuthLayer::new(basic()), req_with(&long)).await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let (res, _) = send(AuthLayer::new(basic()).max_header_len(16), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let (res, _) = send(AuthLayer::new(basic()).max_header_len(64 * 1024), req_with(&long)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST); // decodes, has no colon
}

#[tokio::test]
async fn another_scheme_counts_as_missing_credentials() {
    for value in ["Bearer mF_9.B5f-4.1JqM", "Negotiate", "Digest username=\"x\""] {
        let (res, _) = send(AuthLayer::new(basic()), req_with(value)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{value}");
        assert_challenge(&res);
    }
}

#[tokio::test]
async fn realm_is_escaped_as_a_quoted_string() {
    let b = Basic::new(|_: BasicCredentials| async { None::<()> }).realm(r#"my "quoted" \ realm"#);
    let (res, _) = send(AuthLayer::new(b), Request::new(String::new())).await;
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        r#"Basic realm="my \"quoted\" \\ realm", charset="UTF-8""#
    );
}

#[tokio::test]
async fn custom_scheme_name_avoids_the_browser_dialog() {
    let layer = AuthLayer::new(basic().scheme_name("xBasic"));
    let (res, _) = send(layer.clone(), Request::new(String::new())).await;
    assert_eq!(
        res.headers()[WWW_AUTHENTICATE],
        r#"xBasic realm="test", charset="UTF-8""#
    );
    let (res, _) = send(layer.clone(), req_with("xbasic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = send(layer, req_with("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn with_roles() -> AuthLayer<Basic<impl tower_httpauth::Verifier<BasicCredentials, User = User>>> {
    AuthLayer::new(basic()).roles(|u: &User| {
        let roles = u.roles.clone();
        async move { Ok::<_, Infallible>(roles) }
    })
}

#[tokio::test]
async fn role_requirement_gives_403_with_challenge_to_users_without_it() {
    let admin = with_roles().require_role("admin");
    let (res, _) = send(admin.clone(), creds("susan", "bye")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "susan"));
    let (res, calls) = send(admin.clone(), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_challenge(&res);
    assert_eq!(calls, 0);
    // Wrong credentials stay 401, not 403; none stay 401.
    let (res, _) = send(admin.clone(), creds("susan", "nope")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, _) = send(admin, Request::new(String::new())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn any_of_all_of_and_nested_requirements() {
    let cases: Vec<(Requirement, &str, &str, StatusCode)> = vec![
        (Requirement::any_of(["admin", "editor"]), "ed", "x", StatusCode::OK),
        (
            Requirement::any_of(["admin", "editor"]),
            "john",
            "hello",
            StatusCode::FORBIDDEN,
        ),
        (Requirement::all_of(["editor", "reviewer"]), "ed", "x", StatusCode::OK),
        (
            Requirement::all_of(["user", "admin"]),
            "john",
            "hello",
            StatusCode::FORBIDDEN,
        ),
        (Requirement::all_of(["user", "admin"]), "susan", "bye", StatusCode::OK),
        (
            Requirement::role("admin") | (Requirement::role("editor") & Requirement::role("reviewer")),
            "ed",
            "x",
            StatusCode::OK,
        ),
        (
            Requirement::role("admin") | (Requirement::role("editor") & Requirement::role("user")),
            "ed",
            "x",
            StatusCode::FORBIDDEN,
        ),
    ];
    for (req, u, p, status) in cases {
        let label = req.to_string();
        let (res, _) = send(with_roles().require(req), creds(u, p)).await;
        assert_eq!(res.status(), status, "{label} for {u}");
    }
    let (res, _) = send(with_roles().require_any_role(["admin", "editor"]), creds("ed", "x")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = send(with_roles().require_all_roles(["admin", "editor"]), creds("ed", "x")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("must panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// An empty all-of would let every authenticated user in (and an empty any-of nobody): both
/// are refused when the requirement or the layer is built, also nested.
#[test]
fn empty_role_lists_are_refused_when_the_requirement_is_built() {
    let none = Vec::<&'static str>::new;
    type Build = Box<dyn FnOnce()>;
    let cases: Vec<(&str, Build)> = vec![
        ("all_of", Box::new(move || drop(with_roles().require_all_roles(none())))),
        ("any_of", Box::new(move || drop(with_roles().require_any_role(none())))),
        ("all_of", Box::new(move || drop(Requirement::all_of(none())))),
        ("any_of", Box::new(move || drop(Requirement::any_of(none())))),
        (
            "any_of",
            Box::new(move || {
                drop(Requirement::all_of([
                    Requirement::role("user"),
                    Requirement::any_of(none()),
                ]))
            }),
        ),
        (
            "all_of",
            Box::new(move || drop(Requirement::role("admin") | Requirement::all_of(none()))),
        ),
    ];
    for (which, build) in cases {
        let msg = panic_message(build);
        assert!(msg.contains(which) && msg.contains("at least one role"), "{msg}");
    }
}

/// An empty list built from the variants themselves (which the constructors refuse) admits
/// nobody, at any depth: the route answers 403, never 200.
#[tokio::test]
async fn an_empty_role_list_built_by_hand_admits_nobody() {
    for req in [
        Requirement::AllOf(Vec::new()),
        Requirement::AnyOf(Vec::new()),
        Requirement::AllOf(vec![Requirement::AllOf(Vec::new())]),
        Requirement::AnyOf(vec![Requirement::AllOf(Vec::new())]),
    ] {
        let label = format!("{req:?}");
        let (res, calls) = send(with_roles().require(req), creds("susan", "bye")).await;
        assert_eq!((res.status(), calls), (StatusCode::FORBIDDEN, 0), "{label}");
    }
    // A non-empty list joined to an empty one by `&` or `|` is the non-empty one.
    let req = Requirement::AllOf(Vec::new()) & Requirement::role("user");
    let (res, _) = send(with_roles().require(req), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn sync_roles_and_roles_only_asked_on_routes_with_a_requirement() {
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let layer = AuthLayer::new(basic()).roles_from(move |u: &User| {
        a.fetch_add(1, Ordering::SeqCst);
        u.roles.clone()
    });
    let (res, _) = send(layer.clone(), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(asked.load(Ordering::SeqCst), 0);
    let (res, _) = send(layer.require_role("user"), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn verifier_error_is_500_never_401_never_a_pass() {
    let failing = Basic::new(|_: BasicCredentials| async { Err::<Option<User>, _>(std::io::Error::other("db down")) });
    let (res, calls) = send(AuthLayer::new(failing), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers().get(WWW_AUTHENTICATE).is_none());
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn roles_hook_error_is_500() {
    let layer = AuthLayer::new(basic())
        .roles(|_: &User| async { Err::<Vec<String>, _>(std::io::Error::other("roles db down")) })
        .require_role("user");
    let (res, calls) = send(layer, creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(calls, 0);
}

#[tokio::test]
async fn optional_mode_lets_anonymous_through_but_not_wrong_credentials() {
    let layer = AuthLayer::new(basic()).optional();
    let (res, calls) = send(layer.clone(), Request::new(String::new())).await;
    assert_eq!(
        (res.status(), res.into_body().as_str(), calls),
        (StatusCode::OK, "anonymous", 1)
    );
    let (res, _) = send(layer.clone(), creds("john", "hello")).await;
    assert_eq!(res.into_body(), "john");
    let (res, calls) = send(layer.clone(), creds("john", "wrong")).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_challenge(&res);
    let (res, _) = send(layer, req_with("Basic !!")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn optional_mode_never_skips_a_role_requirement() {
    let layer = with_roles().optional().require_role("admin");
    let (res, calls) = send(layer.clone(), Request::new(String::new())).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_challenge(&res);
    let (res, _) = send(layer.clone(), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (res, _) = send(layer, creds("susan", "bye")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// An `OPTIONS` request with the given headers.
fn options(headers: &[(&str, &str)]) -> Request<String> {
    let mut req = Request::builder().method(Method::OPTIONS).uri("/r");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(String::new()).unwrap()
}

const PREFLIGHT: [(&str, &str); 2] = [
    ("origin", "https://app.example"),
    ("access-control-request-method", "PUT"),
];

#[tokio::test]
async fn only_cors_preflights_are_exempt_by_default() {
    // A real preflight (Origin + Access-Control-Request-Method) passes without credentials.
    let (res, calls) = send(AuthLayer::new(basic()), options(&PREFLIGHT)).await;
    assert_eq!((res.status(), calls), (StatusCode::OK, 1));
    // Any other OPTIONS request is authenticated like every other method.
    for headers in [&[][..], &PREFLIGHT[..1], &PREFLIGHT[1..]] {
        let (res, calls) = send(AuthLayer::new(basic()), options(headers)).await;
        assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0), "{headers:?}");
        assert_eq!(res.headers()[WWW_AUTHENTICATE], CHALLENGE);
    }
    // A preflight-looking request of another method is not a preflight.
    let mut get = Request::builder().uri("/r");
    for (name, value) in PREFLIGHT {
        get = get.header(name, value);
    }
    let (res, calls) = send(AuthLayer::new(basic()), get.body(String::new()).unwrap()).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    // Listing OPTIONS exempts every OPTIONS request, preflight or not.
    let all_options = AuthLayer::new(basic()).exempt_methods([Method::OPTIONS]);
    let (res, calls) = send(all_options, options(&[])).await;
    assert_eq!((res.status(), calls), (StatusCode::OK, 1));
    // An empty list exempts nothing, preflights included.
    let nothing = AuthLayer::new(basic()).exempt_methods([]);
    let (res, calls) = send(nothing, options(&PREFLIGHT)).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
}

#[tokio::test]
async fn exemptions_are_configurable() {
    let public_reads = AuthLayer::new(basic()).exempt_methods([Method::GET, Method::HEAD]);
    let get = Request::builder().method(Method::GET).body(String::new()).unwrap();
    let (res, _) = send(public_reads.clone(), get).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "anonymous"));
    let post = Request::builder().method(Method::POST).body(String::new()).unwrap();
    let (res, _) = send(public_reads.clone(), post).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Preflights are no longer exempt once the set is replaced.
    let (res, _) = send(public_reads, options(&PREFLIGHT)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let health = AuthLayer::new(basic()).exempt_if(|p| p.uri.path() == "/healthz");
    let (res, _) = send(
        health.clone(),
        Request::builder().uri("/healthz").body(String::new()).unwrap(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (res, _) = send(health, Request::builder().uri("/other").body(String::new()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn custom_failure_responses_keep_the_challenge_on_401() {
    let layer = with_roles()
        .require_role("admin")
        .on_failure(|f: &AuthFailure, parts: &http::request::Parts| {
            Response::builder()
                .status(f.status())
                .header(CONTENT_TYPE, "application/json")
                .body(format!(
                    r#"{{"error":"{}","path":"{}"}}"#,
                    f.kind().code(),
                    parts.uri.path()
                ))
                .unwrap()
        });
    let (res, _) = send(layer.clone(), Request::builder().uri("/x").body(String::new()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_challenge(&res);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(res.into_body(), r#"{"error":"missing_credentials","path":"/x"}"#);
    let (res, _) = send(layer, creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.into_body(), r#"{"error":"forbidden","path":"/r"}"#);
}

#[tokio::test]
async fn custom_failure_may_set_its_own_challenge_and_status() {
    let layer = AuthLayer::new(basic()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
        let mut res = Response::new(String::from("custom"));
        if f.kind() == FailureKind::MissingCredentials {
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            res.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(r#"Basic realm="other""#));
        } else {
            *res.status_mut() = StatusCode::NOT_FOUND; // hide the resource
        }
        res
    });
    let (res, _) = send(layer.clone(), Request::new(String::new())).await;
    let all: Vec<_> = res.headers().get_all(WWW_AUTHENTICATE).iter().collect();
    assert_eq!(all, vec![r#"Basic realm="other""#]);
    let (res, _) = send(layer, creds("john", "wrong")).await;
    assert_eq!(
        (res.status(), res.into_body().as_str()),
        (StatusCode::NOT_FOUND, "custom")
    );
}

#[tokio::test]
async fn failures_seen_by_the_hook_never_hold_the_password() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    let layer = AuthLayer::new(basic()).on_failure(move |f: &AuthFailure, _: &http::request::Parts| {
        s.lock().unwrap().push(format!("{f} {f:?}"));
        Response::new(String::new())
    });
    for req in [creds("john", "hunter2-secret"), req_with("Basic aHVudGVyMi1zZWNyZXQ=")] {
        let _ = send(layer.clone(), req).await;
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| !s.contains("hunter2")), "{seen:?}");
}

#[tokio::test]
async fn clones_share_one_verifier() {
    let verified = Arc::new(AtomicUsize::new(0));
    let v = verified.clone();
    let layer = AuthLayer::new(Basic::new(move |c: BasicCredentials| {
        v.fetch_add(1, Ordering::SeqCst);
        async move { lookup(c.username(), c.password()) }
    }));
    let a = layer.clone().require_role("nobody-has-this");
    let b = layer.clone().optional();
    let _ = send(layer, creds("john", "hello")).await;
    let _ = send(a, creds("john", "hello")).await;
    let _ = send(b, creds("john", "hello")).await;
    assert_eq!(verified.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn inner_errors_pass_through_untouched() {
    #[derive(Debug, PartialEq)]
    struct Boom;
    let svc = ServiceBuilder::new()
        .layer(AuthLayer::new(basic()))
        .service_fn(|_: Request<String>| async { Err::<Response<String>, _>(Boom) });
    assert_eq!(svc.clone().oneshot(creds("john", "hello")).await.unwrap_err(), Boom);
    // A refusal is Ok(response), not the inner error.
    assert_eq!(
        svc.oneshot(creds("john", "x")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn poll_ready_is_forwarded() {
    let mut svc = ServiceBuilder::new()
        .layer(AuthLayer::new(basic()))
        .layer(tower::limit::ConcurrencyLimitLayer::new(1))
        .service(echo(Arc::new(AtomicUsize::new(0))));
    // Take the only permit, then a second clone is not ready until the first call finishes.
    let fut = svc.ready().await.unwrap().call(creds("john", "hello"));
    let mut other = svc.clone();
    let pending = futures_poll_once(&mut other);
    assert!(pending, "second clone must not be ready while the permit is held");
    let res = fut.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!futures_poll_once(&mut other));
}

/// Polls `poll_ready` once; returns true if it was pending.
fn futures_poll_once<S: Service<Request<String>>>(svc: &mut S) -> bool {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    svc.poll_ready(&mut cx).is_pending()
}

#[tokio::test]
async fn static_credentials_and_password_lookup() {
    let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret")));
    let (res, _) = send(layer.clone(), creds("admin", "s3cret")).await;
    assert_eq!(res.status(), StatusCode::OK);
    for (u, p) in [("admin", "s3cre"), ("admin", "s3cret!"), ("Admin", "s3cret")] {
        let (res, _) = send(layer.clone(), creds(u, p)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    let looked_up = Arc::new(std::sync::Mutex::new(Vec::new()));
    let l = looked_up.clone();
    let store = Passwords::new(move |name: String| {
        l.lock().unwrap().push(name.clone());
        async move { (name == "john").then(|| (User { name, roles: vec![] }, "HELLO".to_string())) }
    })
    .hash_with(|p: &str| p.to_uppercase());
    let layer = AuthLayer::new(Basic::new(store));
    let (res, _) = send(layer.clone(), creds("john", "hello")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "john"));
    let (res, _) = send(layer.clone(), creds("john", "bye")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (res, _) = send(layer, creds("ghost", "hello")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(*looked_up.lock().unwrap(), vec!["john", "john", "ghost"]);
}

#[tokio::test]
async fn passwords_lookup_error_is_500() {
    let store = Passwords::new(|_: String| async { Err::<Option<(User, String)>, _>(std::io::Error::other("down")) });
    let (res, _) = send(AuthLayer::new(Basic::new(store)), creds("john", "hello")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

/// A verifier written by hand that answers at once.
struct SyncLookup;

impl tower_httpauth::Verifier<BasicCredentials> for SyncLookup {
    type User = User;
    type Future = std::future::Ready<Result<User, AuthFailure>>;

    fn verify(&self, c: BasicCredentials, _request: &http::request::Parts) -> Self::Future {
        std::future::ready(match c.username() {
            "broken" => Err(AuthFailure::internal(std::io::Error::other("store down"))),
            name => lookup(name, c.password()).ok_or_else(AuthFailure::invalid),
        })
    }
}

#[tokio::test]
async fn a_synchronous_verifier_behaves_like_an_asynchronous_one() {
    let layer = AuthLayer::new(Basic::new(SyncLookup).realm("test")).roles_from(|u: &User| u.roles.clone());
    let (res, calls) = send(layer.clone(), creds("john", "hello")).await;
    assert_eq!(
        (res.status(), res.into_body().as_str(), calls),
        (StatusCode::OK, "john", 1)
    );
    let (res, calls) = send(layer.clone(), creds("john", "nope")).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_challenge(&res);
    let (res, _) = send(layer.clone(), creds("broken", "x")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (res, _) = send(layer.clone(), Request::new(String::new())).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_challenge(&res);

    // Roles run after a synchronous success.
    let admin = layer.clone().require_role("admin");
    let (res, _) = send(admin.clone(), creds("susan", "bye")).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "susan"));
    let (res, calls) = send(admin, creds("john", "hello")).await;
    assert_eq!((res.status(), calls), (StatusCode::FORBIDDEN, 0));

    // Optional: no credentials pass with no user; wrong ones do not.
    let optional = layer.optional();
    let (res, _) = send(optional.clone(), Request::new(String::new())).await;
    assert_eq!((res.status(), res.into_body().as_str()), (StatusCode::OK, "anonymous"));
    let (res, _) = send(optional, creds("john", "nope")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sync_fn_verifiers_for_basic() {
    let layer = AuthLayer::new(
        Basic::new(tower_httpauth::sync_fn(|c: &BasicCredentials| {
            lookup(c.username(), c.password())
        }))
        .realm("test"),
    );
    let (res, calls) = send(layer.clone(), creds("susan", "bye")).await;
    assert_eq!(
        (res.status(), res.into_body().as_str(), calls),
        (StatusCode::OK, "susan", 1)
    );
    let (res, calls) = send(layer.clone(), creds("susan", "hello")).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_challenge(&res);

    // An `Err` from the closure is the store failing: 500, never 401.
    let failing = AuthLayer::new(Basic::new(tower_httpauth::sync_fn(|_: &BasicCredentials| {
        Err::<Option<User>, _>(std::io::Error::other("table unavailable"))
    })));
    let (res, calls) = send(failing, creds("susan", "bye")).await;
    assert_eq!((res.status(), calls), (StatusCode::INTERNAL_SERVER_ERROR, 0));
}

/// An inner service that must be driven to readiness before each call, and whose clones
/// start unready (as a concurrency limit's do): the layer must call the instance it polled.
struct MustBeReady {
    ready: bool,
    calls: Arc<AtomicUsize>,
}

impl Clone for MustBeReady {
    fn clone(&self) -> Self {
        MustBeReady {
            ready: false,
            calls: self.calls.clone(),
        }
    }
}

impl Service<Request<String>> for MustBeReady {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        self.ready = true;
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<String>) -> Self::Future {
        assert!(self.ready, "called without being driven to readiness");
        self.ready = false;
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Response::new("ok".into())))
    }
}

#[tokio::test]
async fn the_inner_service_called_is_the_one_driven_to_readiness() {
    use tower::Layer;
    let calls = Arc::new(AtomicUsize::new(0));
    let sync = AuthLayer::new(Basic::new(tower_httpauth::sync_fn(|c: &BasicCredentials| {
        lookup(c.username(), c.password())
    })));
    let asynchronous = AuthLayer::new(basic());
    let mut a = sync.layer(MustBeReady {
        ready: false,
        calls: calls.clone(),
    });
    let mut b = asynchronous.layer(MustBeReady {
        ready: false,
        calls: calls.clone(),
    });
    for _ in 0..3 {
        let res = a.ready().await.unwrap().call(creds("john", "hello")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = b.ready().await.unwrap().call(creds("john", "hello")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        // Refusals and exempt requests too.
        let res = a.ready().await.unwrap().call(creds("john", "nope")).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = b.ready().await.unwrap().call(options(&PREFLIGHT)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 9);
}

/// A fixed credential is refused whenever the request is odd: two fields, a field over the
/// size limit.
#[tokio::test]
async fn static_credentials_refuse_odd_requests() {
    let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret")));
    let good = BasicCredentials::new("admin", "s3cret").to_header_value();
    let mut two = creds("admin", "s3cret");
    two.headers_mut().append(AUTHORIZATION, good.clone());
    let (res, calls) = send(layer.clone(), two).await;
    assert_eq!((res.status(), calls), (StatusCode::BAD_REQUEST, 0));

    let small = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).max_header_len(10);
    let (res, calls) = send(small, creds("admin", "s3cret")).await;
    assert_eq!(calls, 0);
    assert_ne!(res.status(), StatusCode::OK);

    // One field: accepted.
    let (res, calls) = send(layer, creds("admin", "s3cret")).await;
    assert_eq!((res.status(), calls), (StatusCode::OK, 1));
}

/// `insert_user(false)`: a pure gate. Requests are authenticated and roles checked as
/// usual, but the handler finds no `AuthUser`.
#[tokio::test]
async fn insert_user_false_hands_nothing_on() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    let handler = tower::service_fn(move |req: Request<String>| {
        s.lock().unwrap().push(AuthUser::<User>::from_request(&req).is_some());
        async { Ok::<_, Infallible>(Response::new(String::new())) }
    });
    let gate = AuthLayer::new(basic())
        .roles_from(|u: &User| u.roles.clone())
        .insert_user(false);
    let svc = gate.clone().layer(handler.clone());
    let res = svc.clone().oneshot(creds("john", "hello")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = svc.oneshot(creds("john", "wrong")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()[WWW_AUTHENTICATE], CHALLENGE);

    let admin_only = gate.clone().require_role("admin").layer(handler.clone());
    let res = admin_only.clone().oneshot(creds("john", "hello")).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = admin_only.oneshot(creds("susan", "bye")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The default inserts the user.
    let res = AuthLayer::new(basic())
        .layer(handler)
        .oneshot(creds("john", "hello"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(*seen.lock().unwrap(), vec![false, false, true]);
    assert!(format!("{gate:?}").contains("insert_user: false"));
}

#[tokio::test]
async fn empty_password_is_refused_whatever_the_precis_setting() {
    use tower_httpauth::precis::Precis;
    for precis in [Precis::Enforce, Precis::Off] {
        // A verifier that would let anyone in: it must never be asked.
        let asked = Arc::new(AtomicUsize::new(0));
        let a = asked.clone();
        let basic = Basic::new(move |c: BasicCredentials| {
            a.fetch_add(1, Ordering::SeqCst);
            async move {
                Some(User {
                    name: c.username().to_owned(),
                    roles: vec![],
                })
            }
        })
        .realm("test")
        .precis(precis);
        let layer = AuthLayer::new(basic);
        // ":" and "user:", then "user:" in ISO-8859-1 clothing ("é:").
        for token in ["Og==", "dXNlcjo=", "6To="] {
            let (res, inner) = send(layer.clone(), req_with(&format!("Basic {token}"))).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{precis:?} {token}");
            assert_challenge(&res);
            assert_eq!(inner, 0, "{precis:?} {token}");
        }
        assert_eq!(asked.load(Ordering::SeqCst), 0, "{precis:?}: the verifier never ran");
        // A password of one space is a password.
        let (res, _) = send(layer.clone(), creds("john", " ")).await;
        assert_eq!(res.status(), StatusCode::OK, "{precis:?}");
    }
}

#[test]
fn static_credentials_refuse_to_build_with_an_empty_user_id_or_password() {
    for (user, password) in [("", ""), ("admin", ""), ("", "s3cret")] {
        let panic = std::panic::catch_unwind(|| StaticCredentials::new(user, password))
            .expect_err("an empty user-id or password must not build");
        let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
        assert!(message.contains("empty"), "{user:?} {password:?}: {message:?}");
    }
    let _ = StaticCredentials::new("admin", "s3cret");
}

#[tokio::test]
async fn passwords_never_accept_an_empty_password() {
    use tower_httpauth::Verifier;
    // A store where a user's password was never set: an empty stored value.
    let verifier = Passwords::new(|name: String| async move { Some((name, String::new())) });
    let request = Request::new(()).into_parts().0;
    let found = verifier.verify(BasicCredentials::new("john", ""), &request).await;
    assert_eq!(found.map_err(|f| f.kind()), Err(FailureKind::InvalidCredentials));
    let found = verifier.verify(BasicCredentials::new("john", "x"), &request).await;
    assert_eq!(found.map_err(|f| f.kind()), Err(FailureKind::InvalidCredentials));
}

/// A verifier cannot turn presented credentials into "no credentials": on an optional route
/// that would let the request through anonymously.
#[tokio::test]
async fn a_verifier_saying_missing_never_passes_an_optional_route() {
    let verifier = |_c: BasicCredentials| async { Err::<User, _>(AuthFailure::missing()) };
    let layer = AuthLayer::new(Basic::new(verifier).realm("test")).optional();
    let (res, calls) = send(layer, creds("john", "hello")).await;
    assert_eq!((res.status(), calls), (StatusCode::UNAUTHORIZED, 0));
    assert_challenge(&res);
}
