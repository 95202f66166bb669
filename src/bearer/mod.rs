//! Token authentication: OAuth 2.0 Bearer (RFC 6750), API-key headers, and opt-in query
//! parameter and cookie tokens.
//!
//! [`Bearer`] reads a [`Token`] from the request and hands it to your
//! [`Verifier`]:
//!
//! ```
//! use tower_httpauth::{AuthFailure, AuthLayer, Bearer, Token, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! let bearer = Bearer::new(|token: Token| async move {
//!     if constant_time_eq(token.as_bytes(), b"mF_9.B5f-4.1JqM") {
//!         Ok(User { name: "john".into() })
//!     } else if token.as_str().starts_with("old.") {
//!         // A refusal with an `error_description` for the client.
//!         Err(AuthFailure::invalid().with_description("The access token expired"))
//!     } else {
//!         Err(AuthFailure::invalid()) // plain `invalid_token`
//!     }
//! })
//! .realm("example");
//! let layer = AuthLayer::new(bearer);
//! # let _ = layer;
//! ```
//!
//! # What a verifier returns
//!
//! The two kinds of `Err` mean opposite things and have different types, so that one cannot
//! stand for the other:
//!
//! | the verifier returns | the answer |
//! |---|---|
//! | `Ok(user)`, `Some(user)`, `Ok(Some(user))` | the request goes on as `user` |
//! | `None`, `Ok(None)`, `Err(AuthFailure::invalid())` | `401`, `error="invalid_token"` |
//! | `Err(AuthFailure::invalid().with_description("…"))` | `401`, `error="invalid_token", error_description="…"` |
//! | `Err(AuthFailure::forbidden())` | `403`, `error="insufficient_scope"` |
//! | `Err(e)` from a `Result<Option<User>, E>`, for any error type `E` | **your verifier failed** (its store is down): `500`, logged, never `401`, never a pass |
//!
//! An [`AuthFailure`] is a refusal and not an error type: a refusal is always spelled
//! `AuthFailure`, and every error type (a database error passed on with `?`) means the
//! verifier itself failed. In a verifier returning `Result<User, AuthFailure>`, pass a
//! store's error on as `.map_err(AuthFailure::internal)?` to answer `500`. The ready
//! verifiers ([`StaticTokens`], [`SignedTokens`](crate::token::SignedTokens), `token::jwt::Jwt`)
//! refuse with a description and answer `500` only when their revocation store fails.
//!
//! # The answers (RFC 6750 §3)
//!
//! | situation | status | challenge |
//! |---|---|---|
//! | no token at all | `401` | `Bearer realm="…"` (no `error`) |
//! | malformed request, several tokens | `400` | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | token refused by the verifier | `401` | `Bearer realm="…", error="invalid_token"` (+ `error_description`) |
//! | authenticated, lacking a role | `403` | `Bearer realm="…", error="insufficient_scope", scope="…"` |
//! | the verifier failed (store down) | `500` | none |
//!
//! The description is shown to the client, so keep secrets out of it; characters RFC 6750
//! does not allow there (`"`, `\`, controls, non-ASCII) are sent as `?`.
//!
//! # Where tokens come from
//!
//! - `Authorization: Bearer <token>` (on by default; [`Bearer::scheme_name`] changes the
//!   name, which is matched case-insensitively; one or more spaces; the token must be an
//!   RFC 6750 `b64token`, trailing `=` included);
//! - [`Bearer::header`]: a custom header whose whole value is the token (`X-API-Key`);
//!   [`Bearer::api_key`] builds a scheme that reads only such a header;
//! - [`Bearer::query`] (opt-in): a query parameter such as `?access_token=…`. **Discouraged**
//!   (RFC 6750 §2.3, §5.3): URLs end up in server logs, browser history and `Referer`
//!   headers, so the token leaks.
//! - [`Bearer::cookie`] (opt-in): a cookie, for browser sessions that carry a signed token
//!   in an `HttpOnly` cookie. [`TokenCookie::set`] and [`TokenCookie::clear`] build the
//!   `Set-Cookie` values for login and logout. Cookies are sent by browsers automatically,
//!   so protect state-changing routes against CSRF (`SameSite`, the default here, helps).
//!
//! A request that carries a token in more than one enabled place, or twice in one place
//! (two token headers, two token parameters, two token cookies, in one `Cookie` field or
//! two), is refused with `400` `invalid_request` (RFC 6750 §3.1), whatever the tokens are.
//! [`AuthLayer::max_header_len`](crate::AuthLayer::max_header_len) bounds the credentials
//! field, a token header, a token parameter and a token cookie's value alike (`431` beyond).
//!
//! A successful answer to a token from a custom header, the query or a cookie carries
//! `Cache-Control: private` (RFC 6750 §2.3 asks it for query tokens): a shared cache does not
//! store answers to requests with `Authorization` (RFC 9111 §3.5), but nothing keeps it from
//! storing one to a request whose token came elsewhere and serving it to the next client.
//!
//! In [proxy mode](crate::AuthLayer::proxy) the token header, cookie and parameter are
//! removed from every request before it goes on ([`Scheme::remove_credentials`]).
//!
//! # Security
//!
//! Tokens are bearer secrets: serve them over TLS only, keep them short-lived, and never
//! put them in URLs you do not have to (RFC 6750 §5.3). [`Token`]'s `Debug` hides the
//! value, and failures never contain it.
//!
//! With a [`throttle`](crate::throttle), refused tokens are counted per client address only:
//! `Bearer` implements no [`Scheme::username`], because a token names its user only once it
//! is verified, and counting an unverified claim would let anyone lock out the user it names.

use std::borrow::Cow;
use std::fmt;

use http::header::{CACHE_CONTROL, HeaderName, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue};

use crate::failure::{AuthFailure, FailureKind};
use crate::header::{Challenge, is_token};
use crate::scheme::{AuthRequest, Scheme, SchemeFuture};
use crate::verify::Verifier;

mod cookie;
mod fixed;
mod sources;
mod token;

pub use cookie::{SameSite, TokenCookie};
pub use fixed::StaticTokens;
pub use token::{Token, TokenSource};

/// Token authentication: RFC 6750 Bearer, API-key headers, query and cookie tokens.
///
/// See the [module docs](self) for the sources, the answers and an example.
pub struct Bearer<V> {
    verifier: V,
    /// The scheme name read from the credentials field; `None` when it is not read.
    scheme_name: Option<Cow<'static, str>>,
    challenge_name: Cow<'static, str>,
    label: &'static str,
    realm: String,
    headers: Vec<HeaderName>,
    query: Option<String>,
    cookie: Option<TokenCookie>,
    challenge: HeaderValue,
    /// The challenge with `error="invalid_token"` and nothing more: the usual refusal of a
    /// wrong token, built once rather than per request.
    invalid_token: HeaderValue,
}

impl<V> fmt::Debug for Bearer<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bearer")
            .field("scheme_name", &self.scheme_name)
            .field("realm", &self.realm)
            .field("headers", &self.headers)
            .field("query", &self.query)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

impl<V: Verifier<Token>> Bearer<V> {
    /// Bearer authentication with `verifier`: reads `Authorization: Bearer <token>`, realm
    /// `"Restricted"`.
    pub fn new(verifier: V) -> Self {
        let mut b = Bearer {
            verifier,
            scheme_name: Some(Cow::Borrowed("Bearer")),
            challenge_name: Cow::Borrowed("Bearer"),
            label: "Bearer",
            realm: String::from("Restricted"),
            headers: Vec::new(),
            query: None,
            cookie: None,
            challenge: HeaderValue::from_static(""),
            invalid_token: HeaderValue::from_static(""),
        };
        b.rebuild_challenges();
        b
    }

    /// API-key authentication: the token is the whole value of header `header` (such as
    /// `X-API-Key`); the credentials field is not read. The challenge is
    /// `ApiKey realm="…", header="X-API-Key"` and failures are labelled `"ApiKey"`.
    ///
    /// # Panics
    ///
    /// If `header` is not a valid header name.
    pub fn api_key(header: &str, verifier: V) -> Self {
        let mut b = Bearer::new(verifier);
        b.scheme_name = None;
        b.challenge_name = Cow::Borrowed("ApiKey");
        b.label = "ApiKey";
        b.header(header)
    }
}

impl<V> Bearer<V> {
    fn rebuild_challenges(&mut self) {
        let valid = "realm, header names and scheme name were validated";
        self.challenge = self.challenge_builder().to_header_value().expect(valid);
        self.invalid_token = self
            .challenge_builder()
            .quoted("error", "invalid_token")
            .to_header_value()
            .expect(valid);
    }

    fn challenge_builder(&self) -> Challenge {
        let mut c = Challenge::new(&self.challenge_name).quoted("realm", &self.realm);
        if self.scheme_name.is_none()
            && let Some(h) = self.headers.first()
        {
            c = c.quoted("header", h.as_str());
        }
        c
    }

    /// Sets the realm sent in the challenge.
    ///
    /// # Panics
    ///
    /// If `realm` contains a control character other than HTAB.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        assert!(
            !realm.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F),
            "Bearer realm must not contain control characters"
        );
        self.realm = realm;
        self.rebuild_challenges();
        self
    }

    /// Sets the scheme name read from the credentials field and sent in challenges (default
    /// `Bearer`; e.g. `Token`). Matched case-insensitively.
    ///
    /// # Panics
    ///
    /// If `name` is not an RFC 9110 token.
    pub fn scheme_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        assert!(is_token(name.as_bytes()), "scheme name must be a token");
        self.scheme_name = Some(name.clone());
        self.challenge_name = name;
        self.rebuild_challenges();
        self
    }

    /// Whether the token is read from the credentials field (`Authorization`, or
    /// `Proxy-Authorization` in proxy mode; default `true`). Turn it off for schemes that read
    /// only custom headers, query parameters or cookies; the challenge keeps the scheme name.
    pub fn authorization(mut self, enabled: bool) -> Self {
        self.scheme_name = enabled.then(|| self.challenge_name.clone());
        self.rebuild_challenges();
        self
    }

    /// Also reads the token from header `name`, whose whole value is the token (e.g.
    /// `X-API-Key`). Successful responses to such a token carry `Cache-Control: private`.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid header name.
    pub fn header(mut self, name: &str) -> Self {
        let name = HeaderName::try_from(name).expect("valid header name");
        self.headers.push(name);
        self.rebuild_challenges();
        self
    }

    /// Also reads the token from query parameter `name` (RFC 6750 uses `access_token`).
    ///
    /// **Discouraged**: URLs are logged by servers and proxies, kept in browser history and
    /// sent in `Referer` headers, so tokens in them leak (RFC 6750 §5.3). Use it only when a
    /// client cannot set headers (an `EventSource`, a download link) and the token is
    /// short-lived. Successful responses then carry `Cache-Control: private`
    /// (RFC 6750 §2.3), as they do for header and cookie tokens. The value is
    /// percent-decoded; `+` stays `+`, and a `%` that starts no escape is malformed (`400`).
    /// Two parameters of that name are refused (`400`).
    pub fn query(mut self, name: impl Into<String>) -> Self {
        self.query = Some(name.into());
        self
    }

    /// Also reads the token from `cookie` (see [`TokenCookie`]). Successful responses to such
    /// a token carry `Cache-Control: private`. Two cookies of that name (which a sibling
    /// subdomain can plant, "cookie tossing") are refused (`400 invalid_request`).
    pub fn cookie(mut self, cookie: TokenCookie) -> Self {
        self.cookie = Some(cookie);
        self
    }

    /// Sets the label recorded in failures ([`AuthFailure::scheme`]; default `"Bearer"`,
    /// `"ApiKey"` for [`Bearer::api_key`]). Give every token scheme of a
    /// [`Multi`](crate::Multi) its own label, so that only the one that failed adds an
    /// `error` to its challenge.
    pub fn label(mut self, label: &'static str) -> Self {
        self.label = label;
        self
    }

    /// Whether `failure` came from this scheme (or from the layer, for roles), so that the
    /// challenge should say what went wrong.
    fn owns(&self, failure: &AuthFailure) -> bool {
        failure.scheme().is_none_or(|s| s == self.label)
    }
}

/// Keeps the characters RFC 6750 §3 allows in `error_description`
/// (%x20-21 / %x23-5B / %x5D-7E), replacing the others with `?`.
fn sanitize_description(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E => c,
            _ => '?',
        })
        .collect()
}

/// Keeps the scope tokens RFC 6750 §3 allows (%x21 / %x23-5B / %x5D-7E), space-separated.
fn sanitize_scope(s: &str) -> String {
    let ok = |t: &&str| !t.is_empty() && t.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    s.split(' ').filter(ok).collect::<Vec<_>>().join(" ")
}

impl<V: Verifier<Token>> Scheme for Bearer<V> {
    type User = V::User;
    type Future = SchemeFuture<V::Future>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        self.carries_token(request)
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        match self.token(request) {
            Ok(Some(token)) => {
                // A shared cache does not store the answer to a request with `Authorization`
                // unless told it may (RFC 9111 §3.5), but it may store one to a request whose
                // token came in a cookie, a header of ours or the URL, and hand it to the next
                // client.
                let mut headers = HeaderMap::new();
                if token.source() != TokenSource::Authorization {
                    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
                }
                SchemeFuture::verifying(self.label, self.verifier.verify(token, request.parts()), headers)
            }
            Ok(None) => SchemeFuture::refused(self.label, AuthFailure::missing()),
            Err(failure) => SchemeFuture::refused(self.label, failure),
        }
    }

    fn challenge(&self, failure: &AuthFailure, challenges: &mut HeaderMap) {
        let error = match failure.kind() {
            _ if !self.owns(failure) => None,
            FailureKind::Malformed | FailureKind::HeaderTooLarge => Some("invalid_request"),
            FailureKind::InvalidCredentials => Some("invalid_token"),
            FailureKind::Forbidden => Some("insufficient_scope"),
            _ => None,
        };
        let Some(error) = error else {
            challenges.append(WWW_AUTHENTICATE, self.challenge.clone());
            return;
        };
        if error == "invalid_token" && failure.description().is_none() {
            challenges.append(WWW_AUTHENTICATE, self.invalid_token.clone());
            return;
        }
        let mut c = self.challenge_builder().quoted("error", error);
        if let Some(d) = failure.description() {
            c = c.quoted("error_description", &sanitize_description(d));
        }
        if failure.kind() == FailureKind::Forbidden
            && let Some(scope) = failure.scope()
        {
            let scope = sanitize_scope(scope);
            if !scope.is_empty() {
                c = c.quoted("scope", &scope);
            }
        }
        match c.to_header_value() {
            Some(v) => challenges.append(WWW_AUTHENTICATE, v),
            None => challenges.append(WWW_AUTHENTICATE, self.challenge.clone()),
        };
    }

    /// `true`: every source [`remove_credentials`](Scheme::remove_credentials) removes.
    fn can_remove_credentials(&self) -> bool {
        true
    }

    /// Removes the token headers, the token cookie (out of every `Cookie` field) and the
    /// token query parameter (out of the request-target), whether or not they hold a token.
    fn remove_credentials(&self, parts: &mut Parts) {
        self.remove_sources(parts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(f: impl FnOnce(http::request::Builder) -> http::request::Builder) -> Parts {
        f(http::Request::builder()).body(()).unwrap().into_parts().0
    }

    fn bearer() -> Bearer<StaticTokens> {
        Bearer::new(StaticTokens::new().with("t", "u"))
    }

    fn token(b: &Bearer<StaticTokens>, p: &Parts) -> Result<Option<Token>, AuthFailure> {
        b.token(&AuthRequest::new(p))
    }

    #[test]
    fn authorization_forms() {
        let b = bearer();
        let t = token(&b, &parts(|r| r.header("authorization", "bEaReR   mF_9.B5f-4.1JqM==")))
            .unwrap()
            .unwrap();
        assert_eq!(t.as_str(), "mF_9.B5f-4.1JqM==");
        assert_eq!(t.source(), TokenSource::Authorization);
        assert!(
            token(&b, &parts(|r| r.header("authorization", "Basic abc=")))
                .unwrap()
                .is_none()
        );
        for bad in ["Bearer", "Bearer a b", "Bearer a=b", "Bearer \"x\"", "Bearer\tx", "@@"] {
            let f = token(&b, &parts(|r| r.header("authorization", bad))).unwrap_err();
            assert_eq!(f.kind(), FailureKind::Malformed, "{bad}");
        }
    }

    #[test]
    fn query_and_cookie() {
        let b = bearer().query("access_token").cookie(TokenCookie::new("sid"));
        let t = token(&b, &parts(|r| r.uri("/p?x=1&access_token=a%2Bb%3D&y")))
            .unwrap()
            .unwrap();
        assert_eq!((t.as_str(), t.source()), ("a+b=", TokenSource::Query));
        assert!(token(&b, &parts(|r| r.uri("/p?access_token=%zz"))).is_err());
        assert!(token(&b, &parts(|r| r.uri("/p?access_token=a&access_token=b"))).is_err());
        let t = token(&b, &parts(|r| r.header("cookie", "a=b; sid=\"tok.1\"; c=d")))
            .unwrap()
            .unwrap();
        assert_eq!((t.as_str(), t.source()), ("tok.1", TokenSource::Cookie));
        assert!(
            token(&b, &parts(|r| r.header("cookie", "sidx=1; a=sid")))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn sanitizers() {
        assert_eq!(sanitize_description("a \"b\" \\c\nä"), "a ?b? ?c??");
        assert_eq!(sanitize_scope("read  wr\"ite admin"), "read admin");
    }

    /// Deterministic pseudo-random inputs (xorshift): every source, any bytes, no panic.
    #[test]
    fn arbitrary_input_never_panics() {
        let b = bearer().header("x-api-key").query("t").cookie(TokenCookie::new("s"));
        let alphabet = b" =;,\"%+&?abcXYZ019-._~/\t\x00\x7f\xc3\xa4Bearer";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let text: String = bytes
                .iter()
                .map(|&c| if c.is_ascii_graphic() { c as char } else { 'a' })
                .collect();
            let Ok(value) = HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            for name in ["authorization", "x-api-key", "cookie"] {
                let mut p = parts(|r| r.header(name, value.clone()));
                let _ = b.detect(&AuthRequest::new(&p));
                if let Ok(Some(t)) = token(&b, &p) {
                    assert!(!t.as_str().is_empty());
                }
                b.remove_credentials(&mut p);
            }
            if let Ok(uri) = format!("/p?t={text}").parse::<http::Uri>() {
                let mut p = parts(|r| r.uri(uri));
                let _ = b.detect(&AuthRequest::new(&p));
                let _ = token(&b, &p);
                b.remove_credentials(&mut p);
            }
        }
    }
}
