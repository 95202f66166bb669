//! A gRPC service (tonic) behind the same `AuthLayer` as the HTTP examples, with Bearer
//! tokens in the `authorization` metadata, and a client calling it with and without a
//! token: the layer works wherever tower does.
//!
//! ```sh
//! cargo run --example tonic_grpc          # gRPC on http://127.0.0.1:3007 (PORT overrides)
//! ```
//!
//! It calls the service with its own client (with the token, without, with a wrong one),
//! prints what each call got, then keeps serving and prints the same calls as curl commands
//! (HTTP/2 with prior knowledge, one hand-framed message), until Ctrl-C.
//!
//! No `protoc` is needed: the two messages are written by hand with `#[derive(prost::Message)]`
//! and the service glue is what `tonic-build` would generate, reduced to one method.
//!
//! # Failures as gRPC statuses
//!
//! gRPC clients expect HTTP `200` with a `grpc-status` header, not an HTTP `401`. Tonic maps
//! a bare HTTP `401` to `Unauthenticated` ("HTTP status code 401") anyway, but other
//! clients may not, so [`grpc_failure`] turns each refusal into a proper status
//! (`grpc-status: 16` for missing or wrong credentials, `7` for a missing role, …) with
//! [`AuthLayer::on_failure`], keeping the `WWW-Authenticate` challenge for humans.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use http::header::WWW_AUTHENTICATE;
use http::request::Parts;
use tonic::codegen::{Body, BoxFuture, Service, StdError};
use tonic::server::{NamedService, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Status};
use tower_httpauth::bearer::StaticTokens;
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Bearer, FailureKind};

/// The token the demo accepts.
pub const DEMO_TOKEN: &str = "demo-token-123";

/// `message HelloRequest { string name = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `message HelloReply { string message = 1; }`
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// `service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }`, the server side.
#[derive(Clone, Default)]
pub struct GreeterServer;

const SAY_HELLO: &str = "/demo.Greeter/SayHello";

impl NamedService for GreeterServer {
    const NAME: &'static str = "demo.Greeter";
}

/// The method itself: the authenticated user is in the request's extensions.
struct SayHello;

impl UnaryService<HelloRequest> for SayHello {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let user = request.extensions().get::<AuthUser<String>>().map(|u| u.0.clone());
        Box::pin(async move {
            let user = user.ok_or_else(|| Status::internal("no authenticated user"))?;
            let name = request.into_inner().name;
            Ok(Response::new(HelloReply {
                message: format!("Hello, {name}! (token of {user})"),
            }))
        })
    }
}

impl<B> Service<http::Request<B>> for GreeterServer
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() == SAY_HELLO {
            Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(SayHello, req).await)
            })
        } else {
            Box::pin(async move { Ok(Status::unimplemented("no such method").into_http()) })
        }
    }
}

/// Each refusal as a gRPC status in an HTTP `200` (what gRPC clients expect), keeping the
/// challenges. The layer adds challenges by itself only to a `400`, `401` or `403`, so this
/// copies them from the failure into the `200`.
pub fn grpc_failure(failure: &AuthFailure, _parts: &Parts) -> http::Response<tonic::body::Body> {
    let status = match failure.kind() {
        FailureKind::MissingCredentials => Status::unauthenticated("a Bearer token is required"),
        FailureKind::InvalidCredentials | FailureKind::StaleNonce => {
            Status::unauthenticated(failure.description().unwrap_or("invalid credentials"))
        }
        FailureKind::Forbidden => Status::permission_denied("missing role"),
        FailureKind::Malformed => Status::invalid_argument(failure.description().unwrap_or("malformed credentials")),
        FailureKind::TooManyRequests => Status::resource_exhausted("too many attempts"),
        FailureKind::HeaderTooLarge | FailureKind::PayloadTooLarge => Status::resource_exhausted("too large"),
        _ => Status::internal("authentication failed"),
    };
    let mut res = status.into_http();
    for challenge in failure.challenges().get_all(WWW_AUTHENTICATE) {
        res.headers_mut().append(WWW_AUTHENTICATE, challenge.clone());
    }
    res
}

/// The Bearer scheme of the demo: one static token.
fn bearer() -> Bearer<StaticTokens> {
    Bearer::new(StaticTokens::new().with(DEMO_TOKEN, "demo")).realm("grpc demo")
}

/// Serves the Greeter on `listener`, behind the auth layer answering with gRPC statuses.
pub async fn serve(listener: tokio::net::TcpListener) -> Result<(), tonic::transport::Error> {
    Server::builder()
        .layer(AuthLayer::new(bearer()).on_failure(grpc_failure))
        .add_service(GreeterServer)
        .serve_with_incoming(TcpIncoming::from(listener))
        .await
}

/// A bare HTTP failure: the status and an empty body (the layer adds the challenges). The
/// layer's default failure text needs a body type that can be made from a `&str`, which
/// tonic's `Body` is not.
pub fn plain_http_failure(failure: &AuthFailure, _parts: &Parts) -> http::Response<tonic::body::Body> {
    let mut res = http::Response::new(tonic::body::Body::default());
    *res.status_mut() = failure.status();
    res
}

/// The same, with bare HTTP failures (a `401`), to show what tonic clients make of them.
pub async fn serve_plain_http_failures(listener: tokio::net::TcpListener) -> Result<(), tonic::transport::Error> {
    Server::builder()
        .layer(AuthLayer::new(bearer()).on_failure(plain_http_failure))
        .add_service(GreeterServer)
        .serve_with_incoming(TcpIncoming::from(listener))
        .await
}

/// Calls `SayHello` on the server at `addr`, with `token` as a Bearer token if given.
pub async fn say_hello(addr: SocketAddr, name: &str, token: Option<&str>) -> Result<String, Status> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .map_err(|e| Status::invalid_argument(e.to_string()))?
        .connect()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = Request::new(HelloRequest { name: name.to_owned() });
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("token is not valid metadata"))?;
        request.metadata_mut().insert("authorization", value);
    }
    let path = http::uri::PathAndQuery::from_static(SAY_HELLO);
    let reply: Response<HelloReply> = grpc.unary(request, path, tonic_prost::ProstCodec::default()).await?;
    Ok(reply.into_inner().message)
}

fn show(label: &str, outcome: Result<String, Status>) {
    match outcome {
        Ok(message) => println!("{label}: OK, {message:?}"),
        Err(status) => println!(
            "{label}: {:?} (grpc-status {}), {:?}",
            status.code(),
            status.code() as i32,
            status.message()
        ),
    }
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3007);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("local address");
    println!("gRPC Greeter on http://{addr}, behind AuthLayer<Bearer> (Ctrl-C stops)\n");
    let server = tokio::spawn(serve(listener));

    println!("# The example's tonic client:");
    show("with the token   ", say_hello(addr, "gRPC", Some(DEMO_TOKEN)).await);
    show("without a token  ", say_hello(addr, "gRPC", None).await);
    show("with a wrong one ", say_hello(addr, "gRPC", Some("nope")).await);

    // A gRPC message is a 5-byte frame header (compressed flag, length) and the protobuf
    // bytes: `HelloRequest { name: "curl" }` is field 1 (0x0a), length 4, "curl". The reply's
    // text starts after its own 5-byte header and 2 protobuf bytes.
    let url = format!("http://{addr}{SAY_HELLO}");
    let grpc = "--http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers'";
    let request = r"printf '\000\000\000\000\006\n\004curl'";
    println!("\n# The same calls with curl:");
    println!("# 1. With the token: the reply's text");
    println!(
        "{request} | curl -s {grpc} -H 'authorization: Bearer {DEMO_TOKEN}' --data-binary @- {url} | tail -c +8; echo"
    );
    // The refused calls send no message: the layer answers before reading one, and curl
    // (7.88) now and then reports the stream reset that follows such an answer on HTTP/2
    // (RFC 9113 §8.1) as an error instead of showing the answer.
    println!("# 2. Without a token: HTTP 200, grpc-status 16 (Unauthenticated), the Bearer challenge");
    println!("curl -si -X POST {grpc} {url}");
    println!("# 3. A wrong token: grpc-status 16, error=\"invalid_token\" in the challenge");
    println!("curl -si -X POST {grpc} -H 'authorization: Bearer nope' {url}");

    tokio::select! {
        served = server => match served {
            Ok(Err(e)) => eprintln!("server: {e}"),
            Err(e) => eprintln!("server: {e}"),
            Ok(Ok(())) => {}
        },
        _ = tokio::signal::ctrl_c() => println!("\nShutting down."),
    }
}
