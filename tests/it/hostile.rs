//! Hostile input through the layer: every case gets a clean 4xx, never a panic, never the
//! verifier on input it cannot judge, never the inner service.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::header::{AUTHORIZATION, HeaderName};
use http::{HeaderValue, Request, Response};
use tower::ServiceExt;
use tower_httpauth::header::{AuthParams, ParamError};
use tower_httpauth::throttle::Throttle;
use tower_httpauth::{AuthLayer, Basic, BasicCredentials};

/// One hostile case: a name, the `Authorization` values (raw bytes) and other headers to send,
/// and the statuses allowed.
struct Case {
    name: &'static str,
    authorization: Vec<Vec<u8>>,
    extra_headers: usize,
    allowed: &'static [u16],
}

fn case(name: &'static str, value: impl Into<Vec<u8>>, allowed: &'static [u16]) -> Case {
    Case {
        name,
        authorization: vec![value.into()],
        extra_headers: 0,
        allowed,
    }
}

fn cases() -> Vec<Case> {
    let mib = 1 << 20;
    let mut v = vec![
        case("1 MiB Basic token", [&b"Basic "[..], &vec![b'A'; mib]].concat(), &[431]),
        case("1 MiB of spaces", vec![b' '; mib], &[431]),
        case(
            "4 KiB + 1 of padding",
            [&b"Basic QQ"[..], &vec![b'='; 4090]].concat(),
            &[431],
        ),
        case("invalid UTF-8 token", &b"Basic \xff\xfe\xfd=="[..], &[400]),
        case(
            "invalid UTF-8 scheme",
            &b"B\xe4sic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="[..],
            &[400],
        ),
        case("obs-text only", vec![0x80u8; 100], &[400]),
        case("NUL in the decoded password", "Basic dTpwAA==", &[400]),
        case("DEL in the decoded user-id", "Basic f3U6cA==", &[400]),
        case("only the scheme", "Basic", &[400]),
        case("only spaces after the scheme", "Basic      ", &[400]),
        case("empty value", "", &[400]),
        case("tab after the scheme", "Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", &[400]),
        case("padding only", "Basic ====", &[400]),
        case("no colon", "Basic dXNlcg==", &[400]),
        case(
            "deeply repeated parameters",
            format!("Basic {}", "a=1, ".repeat(800)),
            &[400],
        ),
        case(
            "repeated tokens",
            format!("Basic {}", "QWxhZGRpbjpvcGVuIHNlc2FtZQ== ".repeat(100)),
            &[400],
        ),
        case(
            "enormous numbers (Digest-style, another scheme)",
            format!("Digest nc={}, username=\"{}\"", "9".repeat(3000), "9".repeat(500)),
            &[401],
        ),
        case(
            "enormous base64 number",
            format!("Basic {}", "OTk5".repeat(1000)),
            &[400],
        ),
        case(
            "wrong password, huge",
            BasicCredentials::new("john", &"x".repeat(3000))
                .to_header_value()
                .as_bytes(),
            &[401],
        ),
        case("scheme of 3000 bytes", "B".repeat(3000), &[401]),
        case("base64url", "Basic _-8=", &[400]),
        case(
            "deeply repeated parameters past the bound",
            format!("Basic {}", "a=1, ".repeat(100_000)),
            &[431],
        ),
    ];
    v.push(Case {
        name: "10 000 unrelated headers, no credentials",
        authorization: vec![],
        extra_headers: 10_000,
        allowed: &[401],
    });
    v.push(Case {
        name: "1000 Authorization fields",
        authorization: vec![b"Basic am9objpoZWxsbw==".to_vec(); 1000],
        extra_headers: 0,
        allowed: &[400],
    });
    v
}

fn request(c: &Case, duplicate: bool) -> Option<Request<String>> {
    let mut req = Request::builder().uri("/r").body(String::new()).unwrap();
    for value in &c.authorization {
        // HeaderValue refuses NUL, CR and LF outright: such a header cannot reach the layer.
        let value = HeaderValue::from_bytes(value).ok()?;
        req.headers_mut().append(AUTHORIZATION, value.clone());
        if duplicate {
            req.headers_mut().append(AUTHORIZATION, value);
        }
    }
    for i in 0..c.extra_headers {
        let name = HeaderName::try_from(format!("x-flood-{i}")).unwrap();
        req.headers_mut().append(name, HeaderValue::from_static("y"));
    }
    req.extensions_mut().insert(SocketAddr::from(([10, 1, 2, 3], 5)));
    Some(req)
}

async fn run(throttled: bool) {
    let verified = Arc::new(AtomicUsize::new(0));
    let inner_calls = Arc::new(AtomicUsize::new(0));
    let v = verified.clone();
    let basic = Basic::new(move |c: BasicCredentials| {
        v.fetch_add(1, Ordering::SeqCst);
        async move { (c.username() == "john" && c.password() == "hello").then_some(()) }
    });
    let ic = inner_calls.clone();
    let inner = tower::service_fn(move |_req: Request<String>| {
        ic.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Response::new(String::from("inner"))) }
    });
    let layer = AuthLayer::new(basic);
    let svc = if throttled {
        tower::util::BoxCloneService::new(tower::Layer::layer(&layer.throttle(Throttle::new()), inner))
    } else {
        tower::util::BoxCloneService::new(tower::Layer::layer(&layer, inner))
    };
    let mut expected_verifications = 0;
    for c in cases() {
        for duplicate in [false, true] {
            let Some(req) = request(&c, duplicate) else {
                panic!("{}: the header value should be constructible", c.name)
            };
            let res = svc.clone().oneshot(req).await.unwrap();
            let status = res.status().as_u16();
            // Every Authorization field duplicated: 400 (or 431 when the field is too long
            // anyway); a request without one stays as it was.
            let allowed: &[u16] = match (duplicate, c.authorization.is_empty()) {
                (true, false) => &[400, 431],
                _ => c.allowed,
            };
            assert!(
                allowed.contains(&status),
                "{} (duplicated: {duplicate}): {status}, allowed {allowed:?}",
                c.name
            );
            assert!((400..500).contains(&status), "{}: clean 4xx", c.name);
            assert_ne!(res.into_body(), "inner");
            if status == 401 && c.name.starts_with("wrong password") {
                expected_verifications += 1;
            }
        }
    }
    assert_eq!(inner_calls.load(Ordering::SeqCst), 0);
    // Only the well-formed wrong password reached the verifier.
    assert_eq!(verified.load(Ordering::SeqCst), expected_verifications);
    assert_eq!(expected_verifications, 1);
}

#[tokio::test]
async fn hostile_table_without_throttle() {
    run(false).await;
}

#[tokio::test]
async fn hostile_table_with_throttle() {
    run(true).await;
}

#[test]
fn header_values_with_nul_cr_lf_cannot_be_built() {
    for bad in [&b"Basic \0"[..], b"Basic a\r\nX-Injected: 1", b"Basic a\nb", b"\0"] {
        assert!(HeaderValue::from_bytes(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn parser_bounds_on_hostile_parameter_lists() {
    // Repeated names: refused at the first duplicate.
    let repeated = "nc=00000001, ".repeat(100_000);
    assert_eq!(
        AuthParams::parse(repeated.as_bytes()).unwrap_err(),
        ParamError::Duplicate("nc".into())
    );
    // Many distinct names: refused past 32.
    let many: String = (0..100_000).map(|i| format!("p{i}=1,")).collect();
    assert_eq!(AuthParams::parse(many.as_bytes()).unwrap_err(), ParamError::TooMany);
    // Enormous numbers are plain tokens; nobody parses them as integers here.
    let big = format!("nc={}", "9".repeat(100_000));
    assert_eq!(
        AuthParams::parse(big.as_bytes()).unwrap().get("nc").map(str::len),
        Some(100_000)
    );
    // A quoted string that never ends, and one made of escapes only.
    let open = format!("a=\"{}", "x".repeat(100_000));
    assert!(AuthParams::parse(open.as_bytes()).is_err());
    let escapes = format!("a=\"{}\"", "\\\"".repeat(50_000));
    assert_eq!(
        AuthParams::parse(escapes.as_bytes()).unwrap().get("a").map(str::len),
        Some(50_000)
    );
    // Only separators.
    assert!(AuthParams::parse(",".repeat(100_000).as_bytes()).unwrap().is_empty());
}
