//! A handler asking for another user type than its layer hands on (issue 16 item 2): a
//! programming error that compiles, answered `500` with both type names (in the body of a debug
//! build), over real TCP through axum.
#![cfg(feature = "axum")]

use crate::support;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq, sync_fn};

/// The user type the layer hands on.
#[derive(Clone, Debug)]
struct Account {
    name: String,
}

/// `alice` / `wonderland`, handed on as an [`Account`].
fn layer() -> AuthLayer<Basic<impl tower_httpauth::Verifier<BasicCredentials, User = Account>>> {
    AuthLayer::new(Basic::new(sync_fn(|c: &BasicCredentials| {
        let ok = constant_time_eq(c.username().as_bytes(), b"alice")
            & constant_time_eq(c.password().as_bytes(), b"wonderland");
        ok.then(|| Account {
            name: c.username().to_owned(),
        })
    })))
}

fn app() -> Router {
    Router::new()
        // Asks for `AuthUser<String>` where the layer hands on `AuthUser<Account>`.
        .route(
            "/strict",
            get(|AuthUser(name): AuthUser<String>| async move { name }).route_layer(layer()),
        )
        .route(
            "/optional",
            get(|user: Option<AuthUser<String>>| async move {
                match user {
                    Some(AuthUser(name)) => name,
                    None => "anonymous".to_owned(),
                }
            })
            .route_layer(layer().optional()),
        )
        // The right type, for contrast.
        .route(
            "/right",
            get(|AuthUser(account): AuthUser<Account>| async move { account.name }).route_layer(layer()),
        )
        // No layer at all.
        .route(
            "/unguarded",
            get(|AuthUser(name): AuthUser<String>| async move { name }),
        )
}

/// GETs `path`, with alice's credentials if `login`: the status and the body.
async fn get_path(base: &str, path: &str, login: bool) -> (StatusCode, String) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut req = Request::get(format!("{base}{path}"));
    if login {
        req = req.header(
            "authorization",
            BasicCredentials::new("alice", "wonderland").to_header_value(),
        );
    }
    let res = client.request(req.body(Empty::new()).unwrap()).await.expect("request");
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// What the 500 body says: both type names in a debug build, neither in a release build.
fn assert_names_both_types_in_debug_builds(body: &str) {
    let wanted = std::any::type_name::<String>();
    let found = std::any::type_name::<Account>();
    if cfg!(debug_assertions) {
        assert!(body.contains(&format!("AuthUser<{wanted}>")), "{body}");
        assert!(body.contains(&format!("AuthUser<{found}>")), "{body}");
    } else {
        assert_eq!(body, "500 Internal Server Error");
    }
}

#[tokio::test]
async fn a_handler_asking_for_another_user_type_gets_500_naming_both_types() {
    let base = format!("http://{}", support::serve(app()).await);

    let (status, body) = get_path(&base, "/strict", true).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_names_both_types_in_debug_builds(&body);

    // The layer itself works: the right type gets the user, no credentials get 401.
    assert_eq!(
        get_path(&base, "/right", true).await,
        (StatusCode::OK, "alice".to_owned())
    );
    assert_eq!(get_path(&base, "/strict", false).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_optional_extractor_of_another_user_type_gets_500_not_none() {
    let base = format!("http://{}", support::serve(app()).await);

    // Authenticated: a user was handed on, of another type: the same 500, not a silent None.
    let (status, body) = get_path(&base, "/optional", true).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_names_both_types_in_debug_builds(&body);

    // Anonymous on the optional route: no user was handed on, so `None`.
    assert_eq!(
        get_path(&base, "/optional", false).await,
        (StatusCode::OK, "anonymous".to_owned())
    );
}

#[tokio::test]
async fn a_route_without_a_layer_gets_500_saying_no_layer_handed_a_user_on() {
    let base = format!("http://{}", support::serve(app()).await);
    let (status, body) = get_path(&base, "/unguarded", false).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    if cfg!(debug_assertions) {
        let wanted = std::any::type_name::<String>();
        assert!(body.contains(&format!("AuthUser<{wanted}>")), "{body}");
        assert!(body.contains("no authentication layer handed a user on"), "{body}");
    } else {
        assert_eq!(body, "500 Internal Server Error");
    }
}
