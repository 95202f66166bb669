//! Bearer (RFC 6750) behaviour: STANDARDS.md section D, items 49–56.

use std::time::Duration;

use crate::fixtures::tokens::*;
use http::StatusCode;
use http::header::{CACHE_CONTROL, WWW_AUTHENTICATE};
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::bearer::{TokenCookie, TokenSource};
use tower_httpauth::{AuthFailure, AuthLayer, Bearer, FailureKind, Token, Verifier};

const TOKEN: &str = "mF_9.B5f-4.1JqM";

/// Accepts `mF_9.B5f-4.1JqM` (john) and `abc==` (padded, eve); `expired.*` is refused with
/// a description, `quote.*` with one holding forbidden characters, `fail` fails the store.
async fn verifier(t: Token) -> Result<String, AuthFailure> {
    match t.as_str() {
        TOKEN => Ok("john".to_owned()),
        "abc==" => Ok("eve".to_owned()),
        "fail" => Err(AuthFailure::internal("token store is down")),
        s if s.starts_with("expired.") => Err(AuthFailure::invalid().with_description("The access token expired")),
        s if s.starts_with("quote.") => Err(AuthFailure::invalid().with_description("bad \"token\"\\ é")),
        _ => Err(AuthFailure::invalid()),
    }
}

fn bearer() -> Bearer<impl Verifier<Token, User = String>> {
    Bearer::new(verifier).realm("example")
}

fn echo() -> Echo {
    Echo(string_user)
}

#[tokio::test]
async fn refusals_are_401_with_the_rfc6750_challenge() {
    let layer = AuthLayer::new(bearer());
    // (what the case is, the request's headers, the challenge expected)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        ("no credentials: no error", &[], r#"Bearer realm="example""#),
        // RFC 6750 §3.1: an unsupported scheme is "no authentication information": no `error`.
        (
            "another scheme: no error",
            &[("authorization", "Basic dTpw")],
            r#"Bearer realm="example""#,
        ),
        (
            "a rejected token",
            &[("authorization", "Bearer wrong")],
            r#"Bearer realm="example", error="invalid_token""#,
        ),
        (
            "a rejection with a description",
            &[("authorization", "Bearer expired.1")],
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        ),
    ];
    for (case, headers, challenge) in cases {
        let a = send(&layer, echo(), get("/", headers)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(a.challenge(), challenge, "{case}");
    }
}

#[tokio::test]
async fn valid_token_reaches_the_handler() {
    let layer = AuthLayer::new(bearer());
    for header in [
        "Bearer mF_9.B5f-4.1JqM",
        "bearer mF_9.B5f-4.1JqM",
        "BEARER mF_9.B5f-4.1JqM",
        "bEaReR    mF_9.B5f-4.1JqM",
    ] {
        let a = send(&layer, echo(), get("/", &[("authorization", header)])).await;
        assert_eq!(a.status, StatusCode::OK, "{header}");
        assert_eq!(a.body, "john");
        assert!(a.headers.get(WWW_AUTHENTICATE).is_none());
        assert!(
            a.headers.get(CACHE_CONTROL).is_none(),
            "a token in Authorization does not make the answer private"
        );
    }
}

#[tokio::test]
async fn token_ending_in_equals_signs() {
    let layer = AuthLayer::new(bearer());
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer abc==")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "eve"));
}

#[tokio::test]
async fn error_description_is_restricted_to_the_rfc_charset() {
    let layer = AuthLayer::new(bearer());
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer quote.1")])).await;
    let c = a.challenge();
    let d = param(&c, "error_description").unwrap();
    assert_eq!(d, "bad ?token?? ?");
    assert!(d.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    let layer = AuthLayer::new(bearer());
    for header in [
        "Bearer",
        "Bearer a b",
        "Bearer a=b",
        "Bearer \"quoted\"",
        "Bearer ä",
        "Bearer\ttab",
    ] {
        let a = send(&layer, echo(), get("/", &[("authorization", header)])).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{header}");
        let c = a.challenge();
        assert_eq!(param(&c, "error").as_deref(), Some("invalid_request"), "{header}");
        assert_eq!(param(&c, "realm").as_deref(), Some("example"));
        assert!(param(&c, "error_description").is_some());
    }
}

#[tokio::test]
async fn two_authorization_fields_are_400() {
    let layer = AuthLayer::new(bearer());
    let a = send(
        &layer,
        echo(),
        get(
            "/",
            &[
                ("authorization", "Bearer mF_9.B5f-4.1JqM"),
                ("authorization", "Bearer x"),
            ],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(param(&a.challenge(), "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn lacking_role_is_403_insufficient_scope() {
    let layer = AuthLayer::new(bearer())
        .roles_from(|u: &String| if u == "john" { vec!["read"] } else { vec![] })
        .require_any_role(["write", "admin"]);
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.challenge(),
        r#"Bearer realm="example", error="insufficient_scope", scope="write admin""#
    );
    let layer = AuthLayer::new(bearer())
        .roles_from(|_: &String| vec!["admin"])
        .require_role("admin");
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

#[tokio::test]
async fn scope_omits_roles_outside_the_rfc_charset() {
    let layer = AuthLayer::new(bearer()).require_all_roles(["ok", "not\"ok"]);
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(param(&a.challenge(), "scope").as_deref(), Some("ok"));
}

#[tokio::test]
async fn verifier_failure_is_500_never_401_never_a_pass() {
    let layer = AuthLayer::new(bearer());
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer fail")])).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        a.body,
        "500 Internal Server Error: authentication could not be completed\n"
    );
    assert!(a.headers.get(WWW_AUTHENTICATE).is_none());
}

#[tokio::test]
async fn custom_scheme_name() {
    let layer = AuthLayer::new(bearer().scheme_name("Token"));
    let a = send(&layer, echo(), get("/", &[("authorization", "token mF_9.B5f-4.1JqM")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge(), r#"Token realm="example""#);
}

#[tokio::test]
async fn oversized_header_is_431() {
    let layer = AuthLayer::new(bearer()).max_header_len(64);
    let long = format!("Bearer {}", "a".repeat(100));
    let a = send(&layer, echo(), get("/", &[("authorization", &long)])).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let layer = AuthLayer::new(Bearer::api_key("x-api-key", StaticTokens::new())).max_header_len(8);
    let a = send(&layer, echo(), get("/", &[("x-api-key", "0123456789")])).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    // A long Cookie field is fine (other cookies of the site); only our cookie's value is bounded.
    let layer = AuthLayer::new(bearer().cookie(TokenCookie::new("session"))).max_header_len(64);
    let other = format!("big={}; session=mF_9.B5f-4.1JqM", "x".repeat(5000));
    let a = send(&layer, echo(), get("/", &[("cookie", &other)])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    let long = format!("session={}", "x".repeat(65));
    let a = send(&layer, echo(), get("/", &[("cookie", &long)])).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
}

fn api_key() -> Bearer<StaticTokens> {
    Bearer::api_key("X-API-Key", StaticTokens::new().with("demo-key-123", "demo")).realm("api")
}

#[tokio::test]
async fn api_key_header() {
    let layer = AuthLayer::new(api_key());
    let a = send(&layer, echo(), get("/", &[("x-api-key", "demo-key-123")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "demo"));
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge(), r#"ApiKey realm="api", header="x-api-key""#);
    let a = send(&layer, echo(), get("/", &[("x-api-key", "demo-key-124")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(param(&a.challenge(), "error").as_deref(), Some("invalid_token"));
    // An API-key scheme does not read Authorization.
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer demo-key-123")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(param(&a.challenge(), "error"), None);
    // Empty or repeated headers are malformed.
    let a = send(&layer, echo(), get("/", &[("x-api-key", "")])).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = send(
        &layer,
        echo(),
        get("/", &[("x-api-key", "demo-key-123"), ("x-api-key", "demo-key-123")]),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

fn all_sources() -> Bearer<impl Verifier<Token, User = String>> {
    bearer()
        .header("x-api-key")
        .query("access_token")
        .cookie(TokenCookie::new("session"))
}

#[tokio::test]
async fn every_source_alone_works() {
    let layer = AuthLayer::new(all_sources());
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")]),
        ("/", &[("x-api-key", TOKEN)]),
        ("/?access_token=mF_9.B5f-4.1JqM", &[]),
        ("/", &[("cookie", "theme=dark; session=mF_9.B5f-4.1JqM")]),
    ];
    for (uri, headers) in cases {
        let a = send(&layer, echo(), get(uri, headers)).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::OK, "john"),
            "{uri} {headers:?}"
        );
    }
}

#[tokio::test]
async fn query_token_responses_are_private() {
    let layer = AuthLayer::new(all_sources());
    let a = send(&layer, echo(), get("/p?x=1&access_token=mF_9.B5f-4.1JqM", &[])).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[CACHE_CONTROL], "private");
    // Percent-encoded `=`: the padded token arrives intact.
    let a = send(&layer, echo(), get("/p?access_token=abc%3D%3D", &[])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "eve"));
}

#[tokio::test]
async fn query_and_cookie_are_opt_in() {
    let layer = AuthLayer::new(bearer());
    let a = send(&layer, echo(), get("/?access_token=mF_9.B5f-4.1JqM", &[])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(param(&a.challenge(), "error"), None);
    let a = send(&layer, echo(), get("/", &[("cookie", "session=mF_9.B5f-4.1JqM")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A disabled source does not count as a second method either.
    let a = send(
        &layer,
        echo(),
        get("/?access_token=x", &[("authorization", "Bearer mF_9.B5f-4.1JqM")]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn two_sources_in_one_request_are_400() {
    let layer = AuthLayer::new(all_sources());
    let cases: [(&str, &[(&str, &str)]); 4] = [
        (
            "/",
            &[("authorization", "Bearer mF_9.B5f-4.1JqM"), ("x-api-key", TOKEN)],
        ),
        (
            "/?access_token=mF_9.B5f-4.1JqM",
            &[("authorization", "Bearer mF_9.B5f-4.1JqM")],
        ),
        (
            "/",
            &[("authorization", "Bearer mF_9.B5f-4.1JqM"), ("cookie", "session=x")],
        ),
        ("/?access_token=x", &[("cookie", "session=y")]),
    ];
    for (uri, headers) in cases {
        let a = send(&layer, echo(), get(uri, headers)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri} {headers:?}");
        let c = a.challenge();
        assert_eq!(param(&c, "error").as_deref(), Some("invalid_request"));
        assert_eq!(
            param(&c, "error_description").as_deref(),
            Some("more than one access token in the request")
        );
    }
}

#[tokio::test]
async fn two_token_cookies_are_400_invalid_request() {
    // A sibling subdomain can plant a second `session` cookie for the parent domain ("cookie
    // tossing"): two cookies of the token's name are two tokens, whichever comes first.
    let layer = AuthLayer::new(all_sources());
    let cases: [&[(&str, &str)]; 4] = [
        &[("cookie", "session=mF_9.B5f-4.1JqM; session=evil")],
        &[("cookie", "session=evil; theme=dark; session=mF_9.B5f-4.1JqM")],
        // The same token twice is refused as well: the rule does not depend on the values.
        &[
            ("cookie", "session=mF_9.B5f-4.1JqM"),
            ("cookie", "a=b; session=\"mF_9.B5f-4.1JqM\""),
        ],
        &[("cookie", "session=mF_9.B5f-4.1JqM"), ("cookie", "session=evil")],
    ];
    for headers in cases {
        let a = send(&layer, echo(), get("/", headers)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{headers:?}");
        let c = a.challenge();
        assert_eq!(param(&c, "error").as_deref(), Some("invalid_request"), "{headers:?}");
        assert_eq!(
            param(&c, "error_description").as_deref(),
            Some("the token cookie occurs more than once")
        );
    }
    // One token cookie among others with similar names still works.
    let a = send(
        &layer,
        echo(),
        get("/", &[("cookie", "sessions=x; session=mF_9.B5f-4.1JqM; my_session=y")]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

#[tokio::test]
async fn header_and_cookie_token_responses_are_private_too() {
    // A shared cache keeps no answer to a request with `Authorization` (RFC 9111 §3.5), but
    // nothing keeps it from storing the answer to a token in a header, cookie or URL.
    let layer = AuthLayer::new(all_sources());
    let cases: [(&str, &[(&str, &str)]); 3] = [
        ("/", &[("x-api-key", TOKEN)]),
        ("/", &[("cookie", "theme=dark; session=mF_9.B5f-4.1JqM")]),
        ("/?access_token=mF_9.B5f-4.1JqM", &[]),
    ];
    for (uri, headers) in cases {
        let a = send(&layer, echo(), get(uri, headers)).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::OK, "john"),
            "{uri} {headers:?}"
        );
        let cache: Vec<_> = a.headers.get_all(CACHE_CONTROL).iter().collect();
        assert_eq!(cache, ["private"], "{uri} {headers:?}");
    }
    // The API-key scheme, and a synchronous verifier, alike.
    for layer in [
        AuthLayer::new(Bearer::api_key("x-api-key", StaticTokens::new().with(TOKEN, "john"))),
        AuthLayer::new(
            Bearer::new(StaticTokens::new().with(TOKEN, "john"))
                .authorization(false)
                .cookie(TokenCookie::new("session")),
        ),
    ] {
        let a = send(
            &layer,
            echo(),
            get("/", &[("x-api-key", TOKEN), ("cookie", "session=mF_9.B5f-4.1JqM")]),
        )
        .await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
        assert_eq!(a.headers[CACHE_CONTROL], "private");
    }
    // `Authorization` alone: no Cache-Control from the layer.
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers.get(CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn another_scheme_in_authorization_does_not_conflict() {
    // Authorization carries Basic (for something else); the API key is the only token.
    let layer = AuthLayer::new(all_sources());
    let a = send(
        &layer,
        echo(),
        get("/", &[("authorization", "Basic dTpw"), ("x-api-key", TOKEN)]),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
}

#[tokio::test]
async fn cookie_helpers_for_login_and_logout() {
    let cookie = TokenCookie::new("session").secure(false);
    let set = cookie.set(TOKEN, Duration::from_secs(600)).unwrap();
    // The attributes in any order: `cookie` writes its own.
    assert_eq!(
        attributes(&set),
        attributes("session=mF_9.B5f-4.1JqM; Path=/; Max-Age=600; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        attributes(cookie.clear()),
        attributes("session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    );
    assert!(cookie.set("has space", Duration::from_secs(1)).is_none());
    assert!(cookie.set("semi;colon", Duration::from_secs(1)).is_none());
    // What the browser sends back after login authenticates.
    let layer = AuthLayer::new(bearer().authorization(false).cookie(cookie.clone()));
    let sent = set.to_str().unwrap().split(';').next().unwrap().to_owned();
    let a = send(&layer, echo(), get("/", &[("cookie", &sent)])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    // After logout the browser sends an empty value: malformed, not a user.
    let a = send(&layer, echo(), get("/", &[("cookie", "session=")])).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = send(&layer, echo(), get("/", &[("cookie", "session=wrong")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn optional_mode_and_exempt_methods() {
    let layer = AuthLayer::new(bearer()).optional();
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "anonymous"));
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer wrong")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let layer = AuthLayer::new(bearer());
    let req = http::Request::builder()
        .method("OPTIONS")
        .uri("/")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .body(String::new())
        .unwrap();
    let a = send(&layer, echo(), req).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "anonymous"));
}

#[tokio::test]
async fn failure_hook_sees_the_kind_and_the_layer_keeps_the_challenge() {
    let layer = AuthLayer::new(bearer()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
        let mut res = http::Response::new(format!("{}|{}", f.kind().code(), f.description().unwrap_or("")));
        *res.status_mut() = f.status();
        res
    });
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer expired.1")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body, "invalid_credentials|The access token expired");
    assert_eq!(param(&a.challenge(), "error").as_deref(), Some("invalid_token"));
    assert_eq!(FailureKind::InvalidCredentials.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn token_debug_never_shows_the_value() {
    let t = Token::new(TOKEN, TokenSource::Authorization);
    let d = format!("{t:?}");
    assert!(!d.contains(TOKEN), "{d}");
}

#[tokio::test]
async fn form_body_tokens_are_not_read() {
    // RFC 6750 §2.2 is optional and not supported: the body is never read, so a token there
    // is no credential at all.
    let layer = AuthLayer::new(all_sources());
    let req = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={TOKEN}"))
        .unwrap();
    let a = send(&layer, echo(), req).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge(), r#"Bearer realm="example""#);
}

#[tokio::test]
async fn every_challenge_has_unique_params_in_the_rfc_charsets() {
    // RFC 6750 §3: realm, scope, error, error_description at most once each; error and
    // error_description in %x20-21 / %x23-5B / %x5D-7E; scope tokens in %x21 / %x23-5B / %x5D-7E.
    let layer = AuthLayer::new(all_sources())
        .roles_from(|_: &String| Vec::<String>::new())
        .require_all_roles(["read:all", "write"]);
    let cases: [(&str, &[(&str, &str)]); 7] = [
        ("/", &[]),
        ("/", &[("authorization", "Bearer wrong")]),
        ("/", &[("authorization", "Bearer expired.x")]),
        ("/", &[("authorization", "Bearer quote.x")]),
        ("/", &[("authorization", "Bearer a b")]),
        ("/?access_token=x", &[("x-api-key", "y")]),
        ("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")]),
    ];
    for (uri, headers) in cases {
        let a = send(&layer, echo(), get(uri, headers)).await;
        let c = a.challenge();
        let (scheme, params) = parse_challenge(&c);
        assert_eq!(scheme, "Bearer");
        assert!(!params.is_empty(), "at least one auth-param: {c}");
        let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), params.len(), "{c}");
        for (k, v) in &params {
            match k.as_str() {
                "error" => assert!(["invalid_request", "invalid_token", "insufficient_scope"].contains(&v.as_str())),
                "error_description" => {
                    assert!(
                        v.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
                        "{c}"
                    )
                }
                "scope" => assert!(
                    v.split(' ')
                        .all(|t| !t.is_empty() && t.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))),
                    "{c}"
                ),
                "realm" => assert_eq!(v, "example"),
                other => panic!("unexpected parameter {other} in {c}"),
            }
        }
    }
}

#[tokio::test]
async fn sync_fn_verifiers_for_tokens_behave_like_async_ones() {
    // The same verifier as a synchronous closure; query tokens still get Cache-Control: private.
    let sync = Bearer::new(tower_httpauth::sync_fn(|t: &Token| match t.as_str() {
        TOKEN => Ok("john".to_owned()),
        "fail" => Err(AuthFailure::internal("token store is down")),
        s if s.starts_with("expired.") => Err(AuthFailure::invalid().with_description("The access token expired")),
        _ => Err(AuthFailure::invalid()),
    }))
    .realm("example")
    .query("access_token");
    let layer = AuthLayer::new(sync);
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    assert!(a.headers.get(CACHE_CONTROL).is_none());
    let a = send(&layer, echo(), get("/?access_token=mF_9.B5f-4.1JqM", &[])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    assert_eq!(a.headers[CACHE_CONTROL], "private");
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer expired.1")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenge(),
        r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#
    );
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer fail")])).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer nope")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

/// `StaticTokens<U>` takes any user type; with `()` and `insert_user(false)` it is a gate.
#[tokio::test]
async fn static_tokens_with_a_unit_user_as_a_gate() {
    let gate = AuthLayer::new(Bearer::new(StaticTokens::<()>::default().with(TOKEN, ()))).insert_user(false);
    let a = send(&gate, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqM")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "anonymous"));
    let a = send(&gate, echo(), get("/", &[("authorization", "Bearer mF_9.B5f-4.1JqN")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenge(), r#"Bearer realm="Restricted", error="invalid_token""#);
    assert_eq!(
        format!("{:?}", StaticTokens::new().with(TOKEN, "john")),
        r#"StaticTokens { users: ["john"], .. }"#
    );
}

/// A `Set-Cookie` value's `name=value` first, then its attributes sorted.
fn attributes(set: impl AsRef<[u8]>) -> Vec<String> {
    let text = std::str::from_utf8(set.as_ref()).unwrap();
    let mut parts: Vec<String> = text.split(';').map(|p| p.trim().to_owned()).collect();
    parts[1..].sort();
    parts
}

/// `with_request`: a token verifier that sees the request (here, keys valid for one path
/// prefix each: `/reports` takes `rk-1`, `/billing` takes `bk-1`).
#[tokio::test]
async fn a_verifier_with_the_request_checks_keys_per_path() {
    use http::request::Parts;
    let bearer = Bearer::new(tower_httpauth::with_request(|t: Token, request: &Parts| {
        let path = request.uri.path().to_owned();
        async move {
            let prefix = match t.as_str() {
                "rk-1" => "/reports",
                "bk-1" => "/billing",
                _ => return None,
            };
            path.starts_with(prefix).then(|| format!("{} on {prefix}", t.as_str()))
        }
    }));
    let layer = AuthLayer::new(bearer);
    let cases = [
        ("/reports/q3", "rk-1", StatusCode::OK, "rk-1 on /reports"),
        ("/billing", "bk-1", StatusCode::OK, "bk-1 on /billing"),
        ("/billing", "rk-1", StatusCode::UNAUTHORIZED, ""),
        ("/reports", "bk-1", StatusCode::UNAUTHORIZED, ""),
        ("/reports", "nope", StatusCode::UNAUTHORIZED, ""),
    ];
    for (path, token, status, user) in cases {
        let auth = format!("Bearer {token}");
        let a = send(&layer, echo(), get(path, &[("authorization", &auth)])).await;
        assert_eq!(a.status, status, "{path} {token}");
        if status == StatusCode::OK {
            assert_eq!(a.body, user, "{path} {token}");
        } else {
            assert_eq!(
                a.challenge(),
                r#"Bearer realm="Restricted", error="invalid_token""#,
                "{path} {token}"
            );
        }
    }
}
