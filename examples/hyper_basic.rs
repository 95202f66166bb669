//! HTTP Basic authentication on plain hyper 1 + hyper-util, no framework.
//!
//! ```sh
//! cargo run --example hyper_basic       # http://127.0.0.1:3001 (PORT overrides)
//! curl -i -u susan:bye http://127.0.0.1:3001/protected
//! ```
//!
//! It prints a curl walk-through for the address it listens on. Users: `john` / `hello` and
//! `susan` / `bye`.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::TokioIo;
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
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    println!("Basic on plain hyper at {url} (Ctrl-C stops)\n");
    println!("# 1. Without credentials: 401 with a Basic challenge:");
    println!("curl -i {url}/protected");
    println!("# 2. With them: 200 Hello, susan!");
    println!("curl -i -u susan:bye {url}/protected");
    println!("# 3. A wrong password: 401 again:");
    println!("curl -i -u susan:wrong {url}/protected");

    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let service = TowerToHyperService::new(service.clone());
                tokio::spawn(async move {
                    if let Err(e) = Builder::new().serve_connection(TokioIo::new(stream), service).await {
                        eprintln!("connection error: {e}");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    println!("\nShutting down.");
}
