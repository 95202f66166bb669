//! HTTP Basic authentication on plain hyper 1 + hyper-util, no framework.
//!
//! ```text
//! cargo run --example hyper_basic                       # PORT=3001 by default
//! curl -i http://127.0.0.1:3001/protected -u susan:bye
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tower::ServiceBuilder;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};

async fn handler(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/protected" {
        let mut res = Response::new(Full::from("not found\n"));
        *res.status_mut() = StatusCode::NOT_FOUND;
        return Ok(res);
    }
    let user = AuthUser::<String>::from_request(&req).cloned().unwrap_or_default();
    Ok(Response::new(Full::from(format!("Hello, {user}!\n"))))
}

#[tokio::main]
async fn main() {
    let basic = Basic::new(|c: BasicCredentials| async move {
        // A real application looks the user up in its store and compares password hashes.
        let expected: &[u8] = match c.username() {
            "john" => b"hello",
            "susan" => b"bye",
            _ => b"\0unknown user\0",
        };
        constant_time_eq(c.password().as_bytes(), expected).then(|| c.username().to_owned())
    })
    .realm("tower-httpauth hyper example");

    let service = ServiceBuilder::new().layer(AuthLayer::new(basic)).service_fn(handler);

    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3001);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    println!("Listening on {url}");
    println!("Try:");
    println!("  curl -i {url}/protected                 # 401 with a Basic challenge");
    println!("  curl -i -u susan:bye {url}/protected    # 200 Hello, susan!");
    println!("Press Ctrl-C to stop.");

    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let service = TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    if let Err(e) = Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await {
                        eprintln!("connection error: {e}");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    println!("Stopped.");
}
