//! Several schemes on one route: selection, conflicts, fallback challenges, and the layer's
//! features (roles, optional mode, exempt methods, failure hook) through `Multi`.

use crate::fixtures::tokens::*;
use http::StatusCode;
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::{AuthFailure, AuthLayer, Basic, BasicCredentials, Bearer, Multi, Scheme, Token};

fn schemes() -> impl Scheme<User = String> {
    let basic = Basic::new(|c: BasicCredentials| async move {
        (c.username() == "john" && c.password() == "hello").then(|| "john".to_string())
    })
    .realm("api");
    let bearer = Bearer::new(|t: Token| async move {
        match t.as_str() {
            "t0k3n" => Ok("susan".to_string()),
            "old" => Err(AuthFailure::invalid().with_description("The access token expired")),
            _ => Err(AuthFailure::invalid()),
        }
    })
    .realm("api");
    let api_key = Bearer::api_key("x-api-key", StaticTokens::new().with("demo-key-123", "robot")).realm("api");
    Multi::new(basic).or(bearer).or(api_key)
}

const BASIC_CHALLENGE: &str = r#"Basic realm="api", charset="UTF-8""#;
const BEARER_CHALLENGE: &str = r#"Bearer realm="api""#;
const API_KEY_CHALLENGE: &str = r#"ApiKey realm="api", header="x-api-key""#;
// john:hello
const JOHN: &str = "Basic am9objpoZWxsbw==";

fn echo() -> Echo {
    Echo(string_user)
}

#[tokio::test]
async fn every_401_carries_every_challenge_in_order_one_field_each() {
    let layer = AuthLayer::new(schemes());
    let cases: [(&str, &[(&str, &str)]); 3] = [
        ("no credentials", &[]),
        // An unsupported scheme: every challenge, without an error.
        ("unsupported scheme", &[("authorization", "Negotiate abc")]),
        // john:wrong: plain challenges.
        ("wrong password", &[("authorization", "Basic am9objp3cm9uZw==")]),
    ];
    for (case, headers) in cases {
        let a = send(&layer, echo(), get("/", headers)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(
            a.challenges(),
            [BASIC_CHALLENGE, BEARER_CHALLENGE, API_KEY_CHALLENGE],
            "{case}"
        );
    }
}

#[tokio::test]
async fn picks_the_scheme_the_request_uses() {
    let layer = AuthLayer::new(schemes());
    let cases: [(&[(&str, &str)], &str); 6] = [
        (&[("authorization", JOHN)], "john"),
        (&[("authorization", "basic am9objpoZWxsbw==")], "john"),
        (&[("authorization", "BASIC am9objpoZWxsbw==")], "john"),
        (&[("authorization", "Bearer t0k3n")], "susan"),
        (&[("authorization", "bEARER t0k3n")], "susan"),
        (&[("x-api-key", "demo-key-123")], "robot"),
    ];
    for (headers, user) in cases {
        let a = send(&layer, echo(), get("/", headers)).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, user), "{headers:?}");
    }
}

#[tokio::test]
async fn credentials_for_two_schemes_are_400() {
    let layer = AuthLayer::new(schemes());
    for headers in [
        &[("authorization", JOHN), ("x-api-key", "demo-key-123")][..],
        &[("authorization", "Bearer t0k3n"), ("x-api-key", "demo-key-123")][..],
    ] {
        let a = send(&layer, echo(), get("/", headers)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{headers:?}");
        assert_eq!(
            a.body,
            "400 Bad Request: the credentials or the request are malformed\n"
        );
    }
}

#[tokio::test]
async fn wrong_bearer_token_marks_only_the_bearer_challenge() {
    let layer = AuthLayer::new(schemes());
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer nope")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenges(),
        [
            BASIC_CHALLENGE,
            r#"Bearer realm="api", error="invalid_token""#,
            API_KEY_CHALLENGE
        ]
    );
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer old")])).await;
    assert_eq!(
        a.challenges()[1],
        r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#
    );
}

#[tokio::test]
async fn wrong_api_key_marks_only_the_api_key_challenge() {
    let layer = AuthLayer::new(schemes());
    let a = send(&layer, echo(), get("/", &[("x-api-key", "nope")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenges(),
        [
            BASIC_CHALLENGE,
            BEARER_CHALLENGE,
            r#"ApiKey realm="api", header="x-api-key", error="invalid_token""#
        ]
    );
}

#[tokio::test]
async fn malformed_credentials_of_the_chosen_scheme_are_400() {
    let layer = AuthLayer::new(schemes());
    let a = send(&layer, echo(), get("/", &[("authorization", "Basic not-base64!")])).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer a b")])).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.challenges()
            .iter()
            .any(|c| c == r#"Bearer realm="api", error="invalid_request", error_description="the access token is not a b64token""#),
        "{:?}",
        a.challenges()
    );
}

#[tokio::test]
async fn roles_work_through_multi() {
    let layer = AuthLayer::new(schemes())
        .roles_from(|u: &String| if u == "john" { vec!["admin"] } else { vec!["reader"] })
        .require_role("admin");
    let a = send(&layer, echo(), get("/", &[("authorization", JOHN)])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "john"));
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer t0k3n")])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.challenges()
            .contains(&r#"Bearer realm="api", error="insufficient_scope", scope="admin""#.to_string()),
        "{:?}",
        a.challenges()
    );
    let a = send(&layer, echo(), get("/", &[("x-api-key", "demo-key-123")])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // With a requirement, no credentials is still 401 with every challenge.
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenges().len(), 3);
}

#[tokio::test]
async fn a_403_names_only_the_scheme_that_authenticated() {
    let layer = AuthLayer::new(schemes())
        .roles_from(|_: &String| vec!["reader"])
        .require_role("superuser");
    // Logged in with Basic: no Bearer challenge claims an insufficient token scope.
    let a = send(&layer, echo(), get("/", &[("authorization", JOHN)])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.challenges().is_empty());
    assert!(
        a.challenges().iter().all(|c| !c.contains("error=")),
        "{:?}",
        a.challenges()
    );
    // Logged in with the Bearer token: its challenge says insufficient_scope.
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer t0k3n")])).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.challenges()
            .contains(&r#"Bearer realm="api", error="insufficient_scope", scope="superuser""#.to_string()),
        "{:?}",
        a.challenges()
    );
}

#[tokio::test]
async fn optional_mode_through_multi() {
    let layer = AuthLayer::new(schemes()).optional();
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "anonymous"));
    let a = send(&layer, echo(), get("/", &[("x-api-key", "demo-key-123")])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "robot"));
    let a = send(&layer, echo(), get("/", &[("authorization", "Bearer nope")])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn exempt_methods_through_multi() {
    let layer = AuthLayer::new(schemes()).exempt_methods([http::Method::GET]);
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "anonymous"));
    let req = http::Request::builder()
        .method("POST")
        .uri("/")
        .body(String::new())
        .unwrap();
    let a = send(&layer, echo(), req).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // OPTIONS is no longer exempt once the list is replaced.
    let req = http::Request::builder()
        .method("OPTIONS")
        .uri("/")
        .body(String::new())
        .unwrap();
    assert_eq!(send(&layer, echo(), req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failure_hook_through_multi_keeps_every_challenge() {
    let layer = AuthLayer::new(schemes()).on_failure(|f: &AuthFailure, _: &http::request::Parts| {
        let mut res = http::Response::new(format!(
            r#"{{"error":"{}","scheme":"{}"}}"#,
            f.kind().code(),
            f.scheme().unwrap_or("")
        ));
        *res.status_mut() = f.status();
        res
    });
    let a = send(&layer, echo(), get("/", &[])).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body, r#"{"error":"missing_credentials","scheme":""}"#);
    assert_eq!(a.challenges().len(), 3);
    let a = send(&layer, echo(), get("/", &[("x-api-key", "nope")])).await;
    assert_eq!(a.body, r#"{"error":"invalid_credentials","scheme":"ApiKey"}"#);
    assert_eq!(a.challenges().len(), 3);
}

#[tokio::test]
async fn two_schemes_detect_independently() {
    let s = schemes();
    let detect = |h: &[(&str, &str)]| s.detect(&tower_httpauth::scheme::AuthRequest::new(&get("/", h).into_parts().0));
    assert!(detect(&[("authorization", "basic x")]));
    assert!(detect(&[("X-Api-Key", "k")]));
    assert!(!detect(&[("authorization", "Digest x=1")]));
    assert!(!detect(&[]));
}
