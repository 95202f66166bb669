//! Differential oracle: the crate's RFC 9110 §11 parser against an independent reference
//! (`reference/mod.rs`, the ABNF written with `winnow`), on arbitrary bytes.
//!
//! 1. `AuthParams::parse` against the reference `#auth-param`: the same verdict and the
//!    same (name, value, quoted) list.
//! 2. `split_scheme` + `is_token68` + `AuthParams::parse` (how a scheme reads credentials)
//!    against the reference `credentials`.
//! 3. A Basic layer and a Bearer layer, with the bytes as `Authorization`: the same verdict
//!    (status) and the same credentials handed to the verifier as the reference reading
//!    (RFC 7617 and RFC 6750 on top of the RFC 9110 grammar).
//!
//! Where the crate differs from the strict grammar on purpose, the difference is written
//! here, each with its reason: see `Deliberate`.
#![no_main]

mod common;
mod reference;

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::OnceLock;
use std::task::{Context, Poll};

use common::block_on;
use http::{HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use reference::{Form, Param};
use tower_httpauth::header::{AuthParams, is_token68, split_scheme};

/// The most parameters `AuthParams::parse` accepts (its documentation says 32).
const MAX_PARAMS: usize = 32;
use tower_httpauth::precis::Precis;
use tower_httpauth::{AuthLayer, Basic, BasicCredentials, Bearer, Token};
use tower_layer::Layer;
use tower_service::Service;

/// The default bound on the credentials field (`AuthLayer::max_header_len`): longer is `431`
/// before anything is parsed.
const MAX_HEADER_LEN: usize = 4096;

// Deliberate differences from the strict grammar, applied to the reference's reading:
//
// D1. A name that occurs twice (names compare case-insensitively) refuses the whole list.
//     RFC 9110 §11.2: "each parameter name MUST only occur once per challenge"; the crate
//     applies it to credentials too and fails closed, since two values for one name would
//     be read differently by different parsers.
// D2. More than `MAX_PARAMS` (32) parameters refuse the list: bounded work per request
//     (Digest sends about a dozen).
// D3. A value whose unquoted bytes are not UTF-8 refuses the list: the grammar allows any
//     obs-text (%x80-FF), but the crate hands values out as `&str`; RFC 7616 §4 has Digest
//     values in UTF-8, and RFC 8187 (`username*`) for anything else.
// R1. `AuthParams::parse` ignores spaces and tabs before and after the list: it reads what
//     follows a scheme, whose surrounding whitespace is trimmed (a field value has none,
//     RFC 9110 §5.5, and a recipient may recover from more, §2.2).
// R2. Spaces and tabs after the `1*SP` that ends the scheme are ignored (`Basic \tQQ==`):
//     recovery as RFC 9110 §2.2 allows; no other reading of those bytes exists.
// R3. A field value with leading or trailing whitespace is not a field value (RFC 9110
//     §5.5: `field-content` starts and ends with a visible character; HTTP/1 parsers strip
//     it, RFC 9113 §8.2.1 forbids it in HTTP/2). The crate refuses a leading one
//     (unparseable, `400`) and trims a trailing one after the scheme: on such values it may
//     refuse, and must never accept anything but what the trimmed value says.

/// The reference list with D1-D3 applied.
fn deliberate(list: Vec<Param>) -> Option<Vec<Param>> {
    if list.len() > MAX_PARAMS {
        return None; // D2
    }
    for (i, p) in list.iter().enumerate() {
        if list[..i].iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            return None; // D1
        }
        if std::str::from_utf8(&p.value).is_err() {
            return None; // D3
        }
    }
    Some(list)
}

/// `AuthParams::parse`, as the reference's type.
fn ours_params(input: &[u8]) -> Option<Vec<Param>> {
    let parsed = AuthParams::parse(input).ok()?;
    Some(
        parsed
            .iter()
            .map(|(name, value)| Param {
                name: name.as_bytes().to_vec(),
                value: value.as_bytes().to_vec(),
                quoted: parsed.was_quoted(name) == Some(true),
            })
            .collect(),
    )
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// What a credentials field says, per the reference.
#[derive(Debug, PartialEq, Eq)]
enum Reading<'a> {
    /// Not `auth-scheme` followed by a space or by nothing.
    NoScheme,
    /// A scheme, and what follows it if it is `token68 / #auth-param` (D1-D3 applied).
    Scheme(&'a [u8], Option<Form>),
}

fn reference_reading(field: &[u8]) -> Reading<'_> {
    let Some((scheme, rest)) = reference::scheme(field) else {
        return Reading::NoScheme;
    };
    // R2: OWS after the `1*SP` is ignored.
    let rest = trim_ows(rest);
    let form = match reference::form(rest) {
        Some(Form::Params(list)) => deliberate(list).map(Form::Params),
        other => other,
    };
    Reading::Scheme(scheme, form)
}

/// How a scheme of the crate reads the same field: `split_scheme`, then a `token68` or an
/// auth-param list.
fn ours_reading(field: &[u8]) -> Reading<'_> {
    let Some((scheme, rest)) = split_scheme(field) else {
        return Reading::NoScheme;
    };
    let form = if is_token68(rest) {
        Some(Form::Token68(rest.to_vec()))
    } else {
        ours_params(rest).map(Form::Params)
    };
    Reading::Scheme(scheme.as_bytes(), form)
}

/// base64 (RFC 4648 §4: standard alphabet, padded), refusing non-zero pad bits (§3.5 lets a
/// decoder refuse them; the crate does, so that one credential has one encoding).
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    if s.is_empty() || s.len() % 4 != 0 {
        return None;
    }
    let body = s.len() - s.iter().rev().take_while(|&&b| b == b'=').count();
    if s.len() - body > 2 {
        return None;
    }
    let mut out = Vec::new();
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        let mut sextets = 0;
        for &b in chunk {
            if b == b'=' {
                break;
            }
            n = n << 6 | sextet(b)?;
            sextets += 1;
        }
        match sextets {
            4 => out.extend_from_slice(&n.to_be_bytes()[1..]),
            3 if n & 0b11 == 0 => out.extend_from_slice(&(n >> 2).to_be_bytes()[2..]),
            2 if n & 0b1111 == 0 => out.push((n >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

/// What the Basic layer (PRECIS off) must answer for `field`, and the (user-id, password) its
/// verifier must be handed on `200`.
fn basic_reference(field: &[u8]) -> (u16, Option<(String, String)>) {
    let token = match reference_reading(field) {
        Reading::NoScheme => return (400, None),
        Reading::Scheme(s, _) if !s.eq_ignore_ascii_case(b"Basic") => return (401, None),
        // RFC 7617 §2: credentials = "Basic" 1*SP token68
        Reading::Scheme(_, Some(Form::Token68(t))) => t,
        Reading::Scheme(..) => return (400, None),
    };
    let Some(text) = base64_decode(&token) else {
        return (400, None);
    };
    // user-pass = user-id ":" password; the user-id holds no colon.
    let Some(colon) = text.iter().position(|&b| b == b':') else {
        return (400, None);
    };
    // RFC 7617 §2: no control characters (CTL, RFC 5234 B.1) in either.
    if text.iter().any(|&b| b < 0x20 || b == 0x7F) {
        return (400, None);
    }
    // The crate's policy (src/basic/mod.rs, "Parsing"): an empty password is refused (401)
    // before any verifier, whatever the PRECIS setting.
    if colon + 1 == text.len() {
        return (401, None);
    }
    // UTF-8, or else ISO-8859-1 (RFC 7617 App. B.2).
    let decode = |b: &[u8]| match std::str::from_utf8(&text) {
        Ok(_) => String::from_utf8(b.to_vec()).unwrap(),
        Err(_) => b.iter().copied().map(char::from).collect(),
    };
    (200, Some((decode(&text[..colon]), decode(&text[colon + 1..]))))
}

/// What the Bearer layer must answer for `field`, and the token its verifier must be handed
/// on `200`.
fn bearer_reference(field: &[u8]) -> (u16, Option<String>) {
    match reference_reading(field) {
        Reading::NoScheme => (400, None),
        Reading::Scheme(s, _) if !s.eq_ignore_ascii_case(b"Bearer") => (401, None),
        // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token (b64token is token68);
        // anything else is a malformed request (§3.1 invalid_request, 400).
        Reading::Scheme(_, Some(Form::Token68(t))) => (200, Some(String::from_utf8(t).unwrap())),
        Reading::Scheme(..) => (400, None),
    }
}

thread_local! {
    static BASIC_SEEN: RefCell<Option<BasicCredentials>> = const { RefCell::new(None) };
    static BEARER_SEEN: RefCell<Option<Token>> = const { RefCell::new(None) };
}

fn keep_basic(c: BasicCredentials) -> Ready<Option<()>> {
    BASIC_SEEN.with(|seen| *seen.borrow_mut() = Some(c));
    ready(Some(()))
}

fn keep_bearer(t: Token) -> Ready<Option<()>> {
    BEARER_SEEN.with(|seen| *seen.borrow_mut() = Some(t));
    ready(Some(()))
}

type BasicLayer = AuthLayer<Basic<fn(BasicCredentials) -> Ready<Option<()>>>>;
type BearerLayer = AuthLayer<Bearer<fn(Token) -> Ready<Option<()>>>>;

fn layers() -> &'static (BasicLayer, BearerLayer) {
    static LAYERS: OnceLock<(BasicLayer, BearerLayer)> = OnceLock::new();
    LAYERS.get_or_init(|| {
        // PRECIS off: the Basic verifier sees the credentials exactly as decoded.
        let basic = AuthLayer::new(Basic::new(keep_basic as fn(_) -> _).precis(Precis::Off));
        let bearer = AuthLayer::new(Bearer::new(keep_bearer as fn(_) -> _));
        (basic, bearer)
    })
}

#[derive(Clone)]
struct Ok200;

impl Service<Request<()>> for Ok200 {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(String::new())))
    }
}

fn call<L>(layer: &L, value: &HeaderValue) -> StatusCode
where
    L: Layer<Ok200>,
    L::Service: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let mut req = Request::new(());
    req.headers_mut().insert(http::header::AUTHORIZATION, value.clone());
    block_on(layer.layer(Ok200).call(req)).unwrap().status()
}

fn basic_ours(value: &HeaderValue) -> (u16, Option<(String, String)>) {
    BASIC_SEEN.with(|seen| seen.borrow_mut().take());
    let status = call(&layers().0, value).as_u16();
    let seen = BASIC_SEEN.with(|seen| seen.borrow_mut().take());
    (status, seen.map(BasicCredentials::into_parts))
}

fn bearer_ours(value: &HeaderValue) -> (u16, Option<String>) {
    BEARER_SEEN.with(|seen| seen.borrow_mut().take());
    let status = call(&layers().1, value).as_u16();
    let seen = BEARER_SEEN.with(|seen| seen.borrow_mut().take());
    (status, seen.map(Token::into_string))
}

fuzz_target!(|data: &[u8]| {
    // 1. The auth-param list, on any bytes (R1: surrounding OWS ignored).
    let reference = reference::params(trim_ows(data)).and_then(deliberate);
    assert_eq!(
        ours_params(data),
        reference,
        "AuthParams::parse disagrees with the reference"
    );

    // 2. The credentials as a scheme reads them.
    let field_value = trim_ows(data).len() == data.len();
    let ours = ours_reading(data);
    if field_value {
        assert_eq!(ours, reference_reading(data), "credentials read differently");
    } else if let Reading::Scheme(_, Some(_)) = &ours {
        // R3: read, then only as the trimmed value says.
        assert_eq!(
            ours,
            reference_reading(trim_ows(data)),
            "credentials read differently (R3)"
        );
    }

    // 3. The layers, on what can be a header value.
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let (basic, bearer) = (basic_ours(&value), bearer_ours(&value));
    if data.len() > MAX_HEADER_LEN {
        assert_eq!((basic, bearer), ((431, None), (431, None)));
        return;
    }
    if field_value {
        assert_eq!(basic, basic_reference(data), "the Basic layer disagrees");
        assert_eq!(bearer, bearer_reference(data), "the Bearer layer disagrees");
    } else {
        // R3: refused, or accepted as the trimmed value says.
        if basic.0 == 200 {
            assert_eq!(basic, basic_reference(trim_ows(data)), "the Basic layer disagrees (R3)");
        }
        if bearer.0 == 200 {
            assert_eq!(
                bearer,
                bearer_reference(trim_ows(data)),
                "the Bearer layer disagrees (R3)"
            );
        }
    }
});
