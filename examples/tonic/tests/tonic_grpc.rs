//! The tonic example in-process: the same server and client over TCP, with and without a
//! Bearer token, and what a tonic client makes of the layer's plain HTTP `401`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../tonic_grpc.rs"]
mod tonic_grpc;

use std::net::SocketAddr;

use tonic::Code;

async fn start(grpc_statuses: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let served = if grpc_statuses {
            tonic_grpc::serve(listener).await
        } else {
            tonic_grpc::serve_plain_http_failures(listener).await
        };
        served.expect("serve");
    });
    addr
}

#[tokio::test]
async fn with_token_ok_without_unauthenticated() {
    let addr = start(true).await;

    let reply = tonic_grpc::say_hello(addr, "tests", Some(tonic_grpc::DEMO_TOKEN)).await;
    assert_eq!(reply.unwrap(), "Hello, tests! (token of demo)");

    // No token: a real gRPC status (grpc-status 16) with our message and the challenge.
    let status = tonic_grpc::say_hello(addr, "tests", None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "a Bearer token is required");
    assert_eq!(
        status.metadata().get("www-authenticate").map(|v| v.to_str().unwrap()),
        Some("Bearer realm=\"grpc demo\"")
    );

    // A wrong token: Unauthenticated too, with RFC 6750's invalid_token in the challenge.
    let status = tonic_grpc::say_hello(addr, "tests", Some("wrong-token"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let challenge = status.metadata().get("www-authenticate").unwrap().to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");

    // The server still answers after refusals.
    let reply = tonic_grpc::say_hello(addr, "again", Some(tonic_grpc::DEMO_TOKEN)).await;
    assert_eq!(reply.unwrap(), "Hello, again! (token of demo)");
}

#[tokio::test]
async fn plain_http_401_is_read_as_unauthenticated_by_tonic() {
    let addr = start(false).await;
    let reply = tonic_grpc::say_hello(addr, "tests", Some(tonic_grpc::DEMO_TOKEN)).await;
    assert_eq!(reply.unwrap(), "Hello, tests! (token of demo)");
    // Without `on_failure`, tonic infers the code from the HTTP status: still
    // Unauthenticated, but with a generic message, and other gRPC clients may differ.
    let status = tonic_grpc::say_hello(addr, "tests", None).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_ne!(status.message(), "a Bearer token is required");
    assert!(status.message().contains("401"), "{}", status.message());
}
