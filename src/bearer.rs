//! Token authentication: OAuth 2.0 Bearer (RFC 6750), API-key headers, and opt-in query
//! parameter and cookie tokens.
//!
//! [`Bearer`] reads a token from the request, hands it to your [`TokenVerifier`] and, when
//! the request is refused, answers the way RFC 6750 §3 says:
//!
//! | situation | status | challenge |
//! |---|---|---|
//! | no token at all | `401` | `Bearer realm="…"` (no `error`) |
//! | malformed request, several tokens | `400` | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | token refused by the verifier | `401` | `Bearer realm="…", error="invalid_token"` (+ `error_description`) |
//! | authenticated, lacking a role | `403` | `Bearer realm="…", error="insufficient_scope", scope="…"` |
//! | the verifier failed (store down) | `500` | none (never `401`, never a pass) |
//!
//! ```
//! use tower_httpauth::{AuthLayer, Bearer, Token, TokenRejection, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! let bearer = Bearer::new(|token: Token| async move {
//!     if constant_time_eq(token.as_bytes(), b"mF_9.B5f-4.1JqM") {
//!         Ok(Some(User { name: "john".into() }))
//!     } else if token.as_str().starts_with("old.") {
//!         // A refusal with an `error_description` for the client.
//!         Err(TokenRejection::new("The access token expired"))
//!     } else {
//!         Ok(None) // plain `invalid_token`
//!     }
//! })
//! .realm("example");
//! let layer = AuthLayer::new(bearer);
//! # let _ = layer;
//! ```
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
//!
//! A successful answer to a token from a custom header, the query or a cookie carries
//! `Cache-Control: private` (RFC 6750 §2.3 asks it for query tokens): a shared cache does not
//! store answers to requests with `Authorization` (RFC 9111 §3.5), but nothing keeps it from
//! storing one to a request whose token came elsewhere and serving it to the next client.
//!
//! In [proxy mode](crate::AuthLayer::proxy) the token header, cookie and parameter are
//! removed from every request before it goes on ([`Scheme::remove_credentials`]).
//!
//! # Verifiers
//!
//! A verifier returns the user (`Ok(Some(user))`), no user (`Ok(None)`: `401`
//! `invalid_token`), a [`TokenRejection`] (`401` `invalid_token` with its
//! `error_description`), or any other error (`500`, logged). See [`TokenVerifier`].
//! [`SignedTokens`](crate::token::SignedTokens) (HMAC-signed expiring tokens) and, with the
//! `jwt` feature, `token::jwt::Jwt` provide ready verifiers.
//!
//! # Security
//!
//! Tokens are bearer secrets: serve them over TLS only, keep them short-lived, and never
//! put them in URLs you do not have to (RFC 6750 §5.3). [`Token`]'s `Debug` hides the
//! value, and failures never contain it.
//!
//! With a [`throttle`](crate::throttle), refused tokens are counted per client address only:
//! `Bearer` implements no [`Scheme::username`], because a token names
//! its user only once it is verified, and counting an unverified claim would let anyone lock
//! out the user it names.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE, Entry, HeaderName, WWW_AUTHENTICATE};
use http::request::Parts;
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Uri};
use pin_project_lite::pin_project;

use crate::BoxError;
use crate::basic::{DEFAULT_MAX_HEADER_LEN, authorization};
use crate::failure::{AuthFailure, FailureKind};
use crate::header::{Challenge, is_token, is_token68, split_scheme};
use crate::scheme::{Authenticated, Scheme, Started, SyncFn, Verdict, VerdictFuture};

/// The label [`Bearer`] records in its failures by default ([`AuthFailure::scheme`]).
pub const BEARER_LABEL: &str = "Bearer";

/// Where a [`Token`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (or the configured scheme name).
    Authorization,
    /// A custom header whose whole value is the token.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// A token presented by a client. `Debug` shows where it came from and its length, never
/// its value.
///
/// A token read from a header shares that header's bytes (no copy, no allocation); one read
/// from the query string is decoded into its own buffer.
#[derive(Clone)]
pub struct Token {
    repr: Repr,
    source: TokenSource,
}

#[derive(Clone)]
enum Repr {
    /// `value[start..end]`, checked to be ASCII when the token was read.
    Header {
        value: HeaderValue,
        start: usize,
        end: usize,
    },
    Owned(String),
}

impl Token {
    /// A token with the given value and source (for tests and custom verifiers).
    pub fn new(value: impl Into<String>, source: TokenSource) -> Self {
        Token {
            repr: Repr::Owned(value.into()),
            source,
        }
    }

    /// `value[start..end]`, which the caller has checked to be ASCII.
    fn in_header(value: &HeaderValue, sub: &[u8], source: TokenSource) -> Self {
        let start = (sub.as_ptr() as usize).saturating_sub(value.as_bytes().as_ptr() as usize);
        let end = start + sub.len();
        debug_assert_eq!(value.as_bytes().get(start..end), Some(sub));
        Token {
            repr: Repr::Header {
                value: value.clone(),
                start,
                end,
            },
            source,
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Header { value, start, end } => value
                .as_bytes()
                .get(*start..*end)
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or_default(),
            Repr::Owned(s) => s,
        }
    }

    /// The token's bytes (for [`constant_time_eq`](crate::constant_time_eq)).
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// Where the token was found.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// The token as an owned string.
    pub fn into_string(self) -> String {
        match self.repr {
            Repr::Owned(s) => s,
            Repr::Header { .. } => self.as_str().to_owned(),
        }
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && crate::constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}

impl Eq for Token {}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("source", &self.source)
            .field("len", &self.as_str().len())
            .field("value", &"<redacted>")
            .finish()
    }
}

/// A verifier's refusal of a token, with an `error_description` for the client.
///
/// Return it as the error of a [`TokenVerifier`] (or of a closure verifier) to answer `401`
/// `error="invalid_token", error_description="…"`. Any other error is answered `500`.
/// The description is shown to the client, so keep secrets out of it; characters that
/// RFC 6750 does not allow there (`"`, `\`, controls, non-ASCII) are replaced by `?`.
/// The optional source is kept for logs and for [`AuthFailure::source`].
pub struct TokenRejection {
    description: Option<Cow<'static, str>>,
    source: Option<BoxError>,
}

impl TokenRejection {
    /// A refusal described to the client by `description`.
    pub fn new(description: impl Into<Cow<'static, str>>) -> Self {
        TokenRejection {
            description: Some(description.into()),
            source: None,
        }
    }

    /// A refusal without a description.
    pub fn invalid() -> Self {
        TokenRejection {
            description: None,
            source: None,
        }
    }

    /// Keeps `source` (a typed reason, such as [`TokenError`](crate::token::TokenError))
    /// for logs and failure handlers; it is never sent to the client.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The description sent to the client.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
}

impl fmt::Debug for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRejection")
            .field("description", &self.description)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description.as_deref().unwrap_or("invalid token"))
    }
}

impl std::error::Error for TokenRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Checks a token and returns the user.
///
/// Implemented for async closures `Fn(Token) -> impl Future<Output = V>` where `V` is
/// `Option<User>` or `Result<Option<User>, E>` (see [`Verdict`]):
///
/// - `Ok(Some(user))` accepts; `Ok(None)` refuses (`401 invalid_token`);
/// - `Err(e)` where `e` is (or boxes) a [`TokenRejection`] refuses with its description;
/// - any other `Err` means the verifier failed (a store is down): `500`, never `401`.
///
/// By hand, for a token store:
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use tower_httpauth::{BoxError, Token, TokenVerifier};
///
/// struct Store;
/// impl TokenVerifier for Store {
///     type User = String;
///     type Error = BoxError;
///     type Future = Pin<Box<dyn Future<Output = Result<Option<String>, BoxError>> + Send>>;
///
///     fn verify(&self, token: Token) -> Self::Future {
///         Box::pin(async move { Ok((token.as_str() == "t0k3n").then(|| "john".to_owned())) })
///     }
/// }
/// ```
pub trait TokenVerifier: Send + Sync + 'static {
    /// The authenticated user.
    type User: Clone + Send + Sync + 'static;
    /// The error: a [`TokenRejection`] (`401`) or a failure of the verifier (`500`).
    type Error: Into<BoxError>;
    /// The verification future.
    type Future: Future<Output = Result<Option<Self::User>, Self::Error>> + Send + 'static;

    /// Verifies `token`.
    fn verify(&self, token: Token) -> Self::Future;

    /// Like [`verify`](Self::verify), but a verifier that can answer without waiting (a
    /// fixed table, a signature check) returns [`Started::Done`], which lets the layer skip
    /// its asynchronous machinery. The answer must be the one `verify` would give. The
    /// default returns [`Started::Pending`]`(self.verify(token))`; see
    /// [`BasicVerifier::start`](crate::BasicVerifier::start) for an example.
    #[allow(clippy::type_complexity)]
    fn start(&self, token: Token) -> Started<Result<Option<Self::User>, Self::Error>, Self::Future> {
        Started::Pending(self.verify(token))
    }

    /// Recognises a token as sent, before [`Bearer`] checks and wraps it: `token` is what
    /// follows the scheme name in the request's single `Authorization` field. A verifier
    /// holding fixed tokens answers `Some(user)` when `token` is exactly one of them (compared
    /// in constant time), and the request is accepted at once
    /// ([`Scheme::recognize`]). Anything else (`None`, the
    /// default) is checked and verified as usual, so answer `Some` only for a token that
    /// [`verify`](Self::verify) accepts. [`StaticTokens`] implements it.
    ///
    /// ```
    /// use tower_httpauth::{StaticTokens, TokenVerifier};
    /// let keys = StaticTokens::new().with("mF_9.B5f-4.1JqM", "john");
    /// assert_eq!(keys.recognize(b"mF_9.B5f-4.1JqM").as_deref(), Some("john"));
    /// assert_eq!(keys.recognize(b"mF_9.B5f-4.1Jq"), None);
    /// ```
    fn recognize(&self, token: &[u8]) -> Option<Self::User> {
        let _ = token;
        None
    }

    /// Whether [`recognize`](Self::recognize) can ever answer `Some`: `false` (the default)
    /// spares the other verifiers the header lookup it needs. Set it to `true` when you
    /// implement `recognize`.
    const RECOGNIZES: bool = false;

    /// A configuration mistake that makes this verifier unsafe or useless, told when the
    /// scheme is built: [`Bearer::new`] panics with it. `None` (the default) when there is
    /// none. A `Jwt` (feature `jwt`) holding an identity provider's keys (a public key, a JWKS)
    /// without an audience reports one.
    fn configuration_error(&self) -> Option<String> {
        None
    }
}

impl<F, V> TokenVerifier for SyncFn<F>
where
    F: Fn(&Token) -> V + Send + Sync + 'static,
    V: Verdict,
    V::User: Clone + Send + Sync + 'static,
    V::Error: Send + 'static,
{
    type User = V::User;
    type Error = V::Error;
    type Future = std::future::Ready<Result<Option<V::User>, V::Error>>;

    fn verify(&self, token: Token) -> Self::Future {
        std::future::ready(self.call(&token))
    }

    fn start(&self, token: Token) -> Started<Result<Option<V::User>, V::Error>, Self::Future> {
        Started::Done(self.call(&token))
    }
}

impl<F, Fut> TokenVerifier for F
where
    F: Fn(Token) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict,
    <Fut::Output as Verdict>::User: Clone + Send + Sync + 'static,
{
    type User = <Fut::Output as Verdict>::User;
    type Error = <Fut::Output as Verdict>::Error;
    type Future = VerdictFuture<Fut>;

    fn verify(&self, token: Token) -> Self::Future {
        VerdictFuture::new(self(token))
    }
}

/// A verifier accepting fixed tokens (API keys), compared in constant time; the user is the
/// value given with each key: a name (`StaticTokens::new()`, users are `String`s) or any
/// `Clone` type (`StaticTokens::<U>::default()`). For tests, demos and small services.
///
/// ```
/// use tower_httpauth::{AuthLayer, Bearer, StaticTokens};
/// let keys = StaticTokens::new().with("demo-key-123", "demo");
/// let layer = AuthLayer::new(Bearer::api_key("x-api-key", keys));
///
/// // One fixed token, nothing handed on: a gate, like tower-http's
/// // `ValidateRequestHeaderLayer::bearer`.
/// let gate = AuthLayer::new(Bearer::new(StaticTokens::<()>::default().with("s3cret-t0ken", ())))
///     .insert_user(false);
/// # let _ = (layer, gate);
/// ```
#[derive(Clone)]
pub struct StaticTokens<U = String> {
    /// (key, user, whether the key is a b64token: only those can come in `Authorization`).
    tokens: Vec<(Box<[u8]>, U, bool)>,
}

impl<U> Default for StaticTokens<U> {
    fn default() -> Self {
        StaticTokens { tokens: Vec::new() }
    }
}

impl StaticTokens {
    /// An empty set of tokens whose users are names (`String`).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<U> StaticTokens<U> {
    /// Adds a token and the user it stands for.
    pub fn with(mut self, token: &str, user: impl Into<U>) -> Self {
        let b64token = !token.is_empty() && is_token68(token.as_bytes());
        self.tokens.push((token.as_bytes().into(), user.into(), b64token));
        self
    }
}

impl<U: fmt::Debug> fmt::Debug for StaticTokens<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokens")
            .field("users", &self.tokens.iter().map(|(_, u, _)| u).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<U: Clone + Send + Sync + 'static> TokenVerifier for StaticTokens<U> {
    type User = U;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Option<U>, Self::Error>>;

    fn verify(&self, token: Token) -> Self::Future {
        std::future::ready(Ok(self.find(token.as_bytes(), false)))
    }

    fn start(&self, token: Token) -> Started<Result<Option<U>, Self::Error>, Self::Future> {
        Started::Done(Ok(self.find(token.as_bytes(), false)))
    }

    const RECOGNIZES: bool = true;

    fn recognize(&self, token: &[u8]) -> Option<U> {
        // From `Authorization`, where `Bearer` refuses anything but a b64token before any
        // verifier: only such keys may match unchecked.
        self.find(token, true)
    }
}

impl<U: Clone> StaticTokens<U> {
    fn find(&self, token: &[u8], b64token_only: bool) -> Option<U> {
        // Compare against every key, so timing does not tell which one matched.
        let mut found = None;
        for (key, user, b64token) in &self.tokens {
            if crate::constant_time_eq(token, key) & (*b64token | !b64token_only) && found.is_none() {
                found = Some(user.clone());
            }
        }
        found
    }
}

/// The `SameSite` attribute of a [`TokenCookie`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    Lax,
    /// Sent on every request (requires `Secure`).
    None,
}

/// A cookie carrying a token, for browser sessions ([`Bearer::cookie`]).
///
/// It builds the `Set-Cookie` values for login ([`set`](Self::set)) and logout
/// ([`clear`](Self::clear)): `HttpOnly` always (scripts cannot read the token), `Secure` and
/// `SameSite=Lax` by default, `Path=/`.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::TokenCookie;
///
/// let cookie = TokenCookie::new("session");
/// let set = cookie.set("abc.def", Duration::from_secs(3600)).unwrap();
/// assert_eq!(set, "session=abc.def; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Lax");
/// assert_eq!(cookie.clear(), "session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
/// ```
#[derive(Debug, Clone)]
pub struct TokenCookie {
    name: String,
    path: String,
    domain: Option<String>,
    secure: bool,
    same_site: SameSite,
}

impl TokenCookie {
    /// A cookie named `name`.
    ///
    /// # Panics
    ///
    /// If `name` is not an RFC 9110 token.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(is_token(name.as_bytes()), "cookie name must be a token");
        TokenCookie {
            name,
            path: "/".into(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
        }
    }

    /// The `Path` attribute (default `/`).
    ///
    /// # Panics
    ///
    /// If `path` contains `;` or a character that cannot appear in a header.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(is_attr_value(&path), "invalid cookie path");
        self.path = path;
        self
    }

    /// The `Domain` attribute (none by default: host-only).
    ///
    /// # Panics
    ///
    /// If `domain` contains `;` or a character that cannot appear in a header.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        assert!(is_attr_value(&domain), "invalid cookie domain");
        self.domain = Some(domain);
        self
    }

    /// Whether to send the `Secure` attribute (default `true`; turn it off only for local
    /// development over plain HTTP).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `SameSite` attribute (default [`SameSite::Lax`]).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn build(&self, value: &str, max_age: u64) -> String {
        let mut s = format!("{}={}; Path={}", self.name, value, self.path);
        if let Some(d) = &self.domain {
            s.push_str("; Domain=");
            s.push_str(d);
        }
        s.push_str(&format!("; Max-Age={max_age}; HttpOnly"));
        if self.secure {
            s.push_str("; Secure");
        }
        s.push_str(match self.same_site {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        });
        s
    }

    /// The `Set-Cookie` value that stores `token` for `max_age` (on login). `None` if the
    /// token holds characters a cookie value cannot carry.
    pub fn set(&self, token: &str, max_age: std::time::Duration) -> Option<HeaderValue> {
        if token.is_empty() || !token.bytes().all(is_cookie_octet) {
            return None;
        }
        HeaderValue::try_from(self.build(token, max_age.as_secs())).ok()
    }

    /// The `Set-Cookie` value that removes the cookie (on logout).
    pub fn clear(&self) -> HeaderValue {
        HeaderValue::try_from(self.build("", 0)).expect("validated cookie attributes")
    }
}

fn is_attr_value(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7F).contains(&b) && b != b';')
}

/// RFC 6265 cookie-octet.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// Token authentication: RFC 6750 Bearer, API-key headers, query and cookie tokens.
///
/// See the [module docs](self) for the sources, the answers and an example.
pub struct Bearer<V> {
    verifier: V,
    scheme_name: Option<Cow<'static, str>>,
    challenge_name: Cow<'static, str>,
    label: &'static str,
    realm: String,
    headers: Vec<HeaderName>,
    query: Option<String>,
    cookie: Option<TokenCookie>,
    max_header_len: usize,
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
            .field("max_header_len", &self.max_header_len)
            .finish_non_exhaustive()
    }
}

impl<V: TokenVerifier> Bearer<V> {
    /// Bearer authentication with `verifier`: reads `Authorization: Bearer <token>`, realm
    /// `"Restricted"`.
    ///
    /// # Panics
    ///
    /// If the verifier reports a [`configuration_error`](TokenVerifier::configuration_error)
    /// (such as a `Jwt` with an identity provider's keys and no audience).
    pub fn new(verifier: V) -> Self {
        if let Some(e) = verifier.configuration_error() {
            panic!("Bearer::new: {e}");
        }
        let mut b = Bearer {
            verifier,
            scheme_name: Some(Cow::Borrowed("Bearer")),
            challenge_name: Cow::Borrowed("Bearer"),
            label: BEARER_LABEL,
            realm: String::from("Restricted"),
            headers: Vec::new(),
            query: None,
            cookie: None,
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            challenge: HeaderValue::from_static(""),
            invalid_token: HeaderValue::from_static(""),
        };
        b.rebuild_challenges();
        b
    }

    /// API-key authentication: the token is the whole value of header `header` (such as
    /// `X-API-Key`); `Authorization` is not read. The challenge is
    /// `ApiKey realm="…", header="X-API-Key"` and failures are labelled `"ApiKey"`.
    ///
    /// # Panics
    ///
    /// If `header` is not a valid header name, or as [`Bearer::new`].
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

    /// Sets the scheme name read from `Authorization` and sent in challenges (default
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

    /// Stops reading `Authorization` (for schemes that read only custom headers, query
    /// parameters or cookies). The challenge keeps the scheme name.
    pub fn without_authorization(mut self) -> Self {
        self.scheme_name = None;
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
    /// percent-decoded; `+` stays `+`. Two parameters of that name are refused (`400`).
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

    /// Sets the longest `Authorization` or token header, query value or cookie value
    /// accepted, in bytes (default 4096); longer ones are answered `431`.
    pub fn max_header_len(mut self, len: usize) -> Self {
        self.max_header_len = len;
        self
    }

    /// The configured cookie, to build `Set-Cookie` values in login and logout handlers.
    pub fn token_cookie(&self) -> Option<&TokenCookie> {
        self.cookie.as_ref()
    }

    /// The verifier.
    pub fn verifier(&self) -> &V {
        &self.verifier
    }

    /// Reads the token from a request head: `Ok(None)` when there is none in any enabled
    /// place, an error when the request is malformed or carries several tokens.
    pub fn token(&self, parts: &Parts) -> Result<Option<Token>, AuthFailure> {
        let mut found: Option<Token> = None;
        let mut put = |t: Token, label| -> Result<(), AuthFailure> {
            if found.is_some() {
                return Err(AuthFailure::malformed("more than one access token in the request").with_scheme(label));
            }
            found = Some(t);
            Ok(())
        };
        if let Some(t) = self.read_authorization(parts)? {
            put(t, self.label)?;
        }
        for name in &self.headers {
            if let Some(t) = self.read_header(parts, name)? {
                put(t, self.label)?;
            }
        }
        if let Some(name) = &self.query
            && let Some(t) = self.read_query(parts, name)?
        {
            put(t, self.label)?;
        }
        if let Some(cookie) = &self.cookie
            && let Some(t) = self.read_cookie(parts, cookie.name())?
        {
            put(t, self.label)?;
        }
        Ok(found)
    }

    fn malformed(&self, description: &'static str) -> AuthFailure {
        AuthFailure::malformed(description).with_scheme(self.label)
    }

    fn too_large(&self) -> AuthFailure {
        AuthFailure::new(FailureKind::HeaderTooLarge)
            .with_description("access token too large")
            .with_scheme(self.label)
    }

    fn read_authorization(&self, parts: &Parts) -> Result<Option<Token>, AuthFailure> {
        let Some(name) = &self.scheme_name else {
            return Ok(None);
        };
        let Some(value) = authorization(&parts.headers, self.max_header_len).map_err(|f| f.with_scheme(self.label))?
        else {
            return Ok(None);
        };
        let Some((scheme, token)) = split_scheme(value.as_bytes()) else {
            return Err(self.malformed("unparseable Authorization header"));
        };
        if !scheme.eq_ignore_ascii_case(name) {
            return Ok(None);
        }
        if token.is_empty() {
            return Err(self.malformed("the access token is missing"));
        }
        if !is_token68(token) {
            return Err(self.malformed("the access token is not a b64token"));
        }
        // token68 is ASCII.
        Ok(Some(Token::in_header(value, token, TokenSource::Authorization)))
    }

    fn read_header(&self, parts: &Parts, name: &HeaderName) -> Result<Option<Token>, AuthFailure> {
        let mut values = parts.headers.get_all(name).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(self.malformed("the token header occurs more than once"));
        }
        if value.len() > self.max_header_len {
            return Err(self.too_large());
        }
        let token = trim(value.as_bytes());
        self.visible(token)?;
        Ok(Some(Token::in_header(value, token, TokenSource::Header)))
    }

    fn read_query(&self, parts: &Parts, name: &str) -> Result<Option<Token>, AuthFailure> {
        let Some(query) = parts.uri.query() else {
            return Ok(None);
        };
        let mut found: Option<&str> = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k == name {
                if found.is_some() {
                    return Err(self.malformed("the access token parameter occurs more than once"));
                }
                found = Some(v);
            }
        }
        let Some(raw) = found else {
            return Ok(None);
        };
        if raw.len() > self.max_header_len {
            return Err(self.too_large());
        }
        let decoded = percent_decode(raw.as_bytes()).ok_or_else(|| self.malformed("bad percent-encoding"))?;
        let token = self.visible(&decoded)?;
        Ok(Some(Token::new(token, TokenSource::Query)))
    }

    fn read_cookie(&self, parts: &Parts, name: &str) -> Result<Option<Token>, AuthFailure> {
        // The Cookie field itself may be long (a site's other cookies); it is scanned in
        // place, and only our cookie's value is bounded.
        let mut found = None;
        for header in parts.headers.get_all(COOKIE) {
            for pair in header.as_bytes().split(|&b| b == b';') {
                let Some(mut value) = cookie_value(pair, name.as_bytes()) else {
                    continue;
                };
                // Two cookies of that name (in one field or two) are two tokens: a sibling
                // subdomain can set a second `sid` for the parent domain ("cookie tossing"),
                // and which one the browser lists first is not ours to trust.
                if found.is_some() {
                    return Err(self.malformed("the token cookie occurs more than once"));
                }
                if let [b'"', inner @ .., b'"'] = value {
                    value = inner;
                }
                if value.len() > self.max_header_len {
                    return Err(self.too_large());
                }
                self.visible(value)?;
                found = Some(Token::in_header(header, value, TokenSource::Cookie));
            }
        }
        Ok(found)
    }

    /// A token from a place other than `Authorization`: non-empty visible ASCII.
    fn visible<'t>(&self, token: &'t [u8]) -> Result<&'t str, AuthFailure> {
        if token.is_empty() {
            return Err(self.malformed("the access token is empty"));
        }
        if !token.iter().all(|&b| (0x21..0x7F).contains(&b)) {
            return Err(self.malformed("the access token holds characters a token cannot hold"));
        }
        std::str::from_utf8(token).map_err(|_| self.malformed("the access token is not ASCII"))
    }

    /// Whether `failure` came from this scheme (or from the layer, for roles), so that the
    /// challenge should say what went wrong.
    fn owns(&self, failure: &AuthFailure) -> bool {
        failure.scheme().is_none_or(|s| s == self.label)
    }
}

/// The value of one `name=value` element of a `Cookie` field, if it is the cookie `name`.
fn cookie_value<'a>(pair: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let pair = trim(pair);
    let eq = pair.iter().position(|&b| b == b'=')?;
    (&pair[..eq] == name).then(|| &pair[eq + 1..])
}

/// The name of one `name=value` element of a query string.
fn query_key(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

/// Takes every cookie `name` out of the `Cookie` fields: a field holding one is rebuilt from
/// its other cookies (joined by `; `), or dropped when none remain; the other fields stay
/// as they were, in their order.
fn remove_cookie(headers: &mut HeaderMap, name: &[u8]) {
    let holds = |v: &HeaderValue| {
        v.as_bytes()
            .split(|&b| b == b';')
            .any(|p| cookie_value(p, name).is_some())
    };
    if !headers.get_all(COOKIE).iter().any(holds) {
        return;
    }
    let fields: Vec<HeaderValue> = match headers.entry(COOKIE) {
        Entry::Occupied(e) => e.remove_entry_mult().1.collect(),
        Entry::Vacant(_) => return,
    };
    for field in fields {
        if !holds(&field) {
            headers.append(COOKIE, field);
            continue;
        }
        let others: Vec<&[u8]> = field
            .as_bytes()
            .split(|&b| b == b';')
            .map(trim)
            .filter(|p| !p.is_empty() && cookie_value(p, name).is_none())
            .collect();
        if others.is_empty() {
            continue;
        }
        // Bytes of a valid field joined by "; " make a valid field; should that ever fail,
        // the field is dropped rather than forwarded with the token.
        if let Ok(v) = HeaderValue::from_bytes(&others.join(&b"; "[..])) {
            headers.append(COOKIE, v);
        }
    }
}

/// Takes every `name` parameter out of the query of `uri`; the rest of the request-target
/// (scheme, authority, path, the other parameters and their order, empty ones included)
/// stays byte for byte, and the `?` goes when no parameter is left.
fn remove_query_param(uri: &mut Uri, name: &str) {
    let Some((path, query)) = uri.path_and_query().and_then(|pq| pq.as_str().split_once('?')) else {
        return;
    };
    if !query.split('&').any(|p| query_key(p) == name) {
        return;
    }
    let mut target = path.to_owned();
    for (i, pair) in query.split('&').filter(|p| query_key(p) != name).enumerate() {
        target.push(if i == 0 { '?' } else { '&' });
        target.push_str(pair);
    }
    if target.is_empty() {
        // `http://h?t=x`: an empty path means `/` (RFC 9110 §4.2.3), and `http` wants one.
        target.push('/');
    }
    let rebuilt = PathAndQuery::try_from(target).ok().and_then(|pq| {
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(pq);
        Uri::from_parts(parts).ok()
    });
    // Pieces of a valid target make a valid target; should that ever fail, the whole
    // target goes rather than the token with it.
    *uri = rebuilt.unwrap_or_else(|| Uri::from_static("/"));
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn percent_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let hi = hex(*s.get(i + 1)?)?;
            let lo = hex(*s.get(i + 2)?)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Keeps the characters RFC 6750 §3 allows in `error_description`
/// (%x20-21 / %x23-5B / %x5D-7E), replacing the others with `?`.
pub(crate) fn sanitize_description(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E => c,
            _ => '?',
        })
        .collect()
}

/// Keeps the scope tokens RFC 6750 §3 allows (%x21 / %x23-5B / %x5D-7E), space-separated.
pub(crate) fn sanitize_scope(s: &str) -> String {
    let ok = |t: &&str| !t.is_empty() && t.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    s.split(' ').filter(ok).collect::<Vec<_>>().join(" ")
}

impl<V: TokenVerifier> Scheme for Bearer<V> {
    type User = V::User;
    type Future = BearerFuture<V::Future>;

    fn detect(&self, parts: &Parts) -> bool {
        if let Some(name) = &self.scheme_name
            && crate::header::carries_scheme(&parts.headers, name)
        {
            return true;
        }
        if self.headers.iter().any(|h| parts.headers.contains_key(h)) {
            return true;
        }
        if let Some(name) = &self.query
            && parts
                .uri
                .query()
                .is_some_and(|q| q.split('&').any(|p| p.split_once('=').map_or(p, |(k, _)| k) == name))
        {
            return true;
        }
        if let Some(cookie) = &self.cookie {
            let prefix = cookie.name().as_bytes();
            return parts.headers.get_all(COOKIE).iter().any(|h| {
                h.as_bytes().split(|&b| b == b';').any(|p| {
                    let p = trim(p);
                    p.len() > prefix.len() && p.starts_with(prefix) && p[prefix.len()] == b'='
                })
            });
        }
        false
    }

    fn authenticate(&self, parts: &Parts) -> Self::Future {
        let state = match self.token(parts) {
            Ok(Some(token)) => BearerState::Verifying {
                private: private(&token),
                fut: self.verifier.verify(token),
            },
            Ok(None) => BearerState::Failed {
                failure: Some(AuthFailure::missing().with_scheme(self.label)),
            },
            Err(f) => BearerState::Failed { failure: Some(f) },
        };
        BearerFuture {
            state,
            label: self.label,
        }
    }

    fn recognize(&self, headers: &HeaderMap) -> Option<V::User> {
        // Only when `Authorization` is the one place a token may come from: with other
        // places, a second token elsewhere would make the request ambiguous (`400`).
        if !V::RECOGNIZES || !self.headers.is_empty() || self.query.is_some() || self.cookie.is_some() {
            return None;
        }
        let name = self.scheme_name.as_deref()?;
        let token = crate::header::authorization_credentials(headers, name, self.max_header_len)?;
        self.verifier.recognize(token)
    }

    fn start(&self, parts: &Parts) -> Started<Result<Authenticated<V::User>, AuthFailure>, Self::Future> {
        let label = self.label;
        match self.token(parts) {
            Ok(Some(token)) => {
                let private = private(&token);
                match self.verifier.start(token) {
                    Started::Done(verdict) => Started::Done(bearer_outcome(verdict, private, label)),
                    Started::Pending(fut) => Started::Pending(BearerFuture {
                        state: BearerState::Verifying { private, fut },
                        label,
                    }),
                }
            }
            Ok(None) => Started::Done(Err(AuthFailure::missing().with_scheme(label))),
            Err(f) => Started::Done(Err(f)),
        }
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        let error = match failure.kind() {
            _ if !self.owns(failure) => None,
            FailureKind::Malformed | FailureKind::HeaderTooLarge => Some("invalid_request"),
            FailureKind::InvalidCredentials => Some("invalid_token"),
            FailureKind::Forbidden => Some("insufficient_scope"),
            _ => None,
        };
        let Some(error) = error else {
            headers.append(WWW_AUTHENTICATE, self.challenge.clone());
            return;
        };
        if error == "invalid_token" && failure.description().is_none() {
            headers.append(WWW_AUTHENTICATE, self.invalid_token.clone());
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
            Ok(v) => headers.append(WWW_AUTHENTICATE, v),
            Err(_) => headers.append(WWW_AUTHENTICATE, self.challenge.clone()),
        };
    }

    /// `true`: every source [`remove_credentials`](Scheme::remove_credentials) removes.
    fn can_remove_credentials(&self) -> bool {
        true
    }

    /// Removes the token headers, the token cookie (out of every `Cookie` field) and the
    /// token query parameter (out of the request-target), whether or not they hold a token.
    fn remove_credentials(&self, parts: &mut Parts) {
        for name in &self.headers {
            // `Authorization` is the layer's (see the trait).
            if name != AUTHORIZATION {
                parts.headers.remove(name);
            }
        }
        if let Some(cookie) = &self.cookie {
            remove_cookie(&mut parts.headers, cookie.name().as_bytes());
        }
        if let Some(name) = &self.query {
            remove_query_param(&mut parts.uri, name);
        }
    }
}

/// Whether a success with `token` gets `Cache-Control: private`: for every source but
/// `Authorization`. A shared cache does not store the answer to a request with
/// `Authorization` unless told it may (RFC 9111 §3.5), but it may store one to a request
/// whose token came in a cookie, a header of ours or the URL, and hand it to the next client.
fn private(token: &Token) -> bool {
    token.source() != TokenSource::Authorization
}

pin_project! {
    /// The future of [`Bearer`]'s verification.
    pub struct BearerFuture<F> {
        #[pin]
        state: BearerState<F>,
        label: &'static str,
    }
}

pin_project! {
    #[project = BearerStateProj]
    enum BearerState<F> {
        Failed { failure: Option<AuthFailure> },
        Verifying { #[pin] fut: F, private: bool },
    }
}

impl<F, U, E> Future for BearerFuture<F>
where
    F: Future<Output = Result<Option<U>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Authenticated<U>, AuthFailure>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let label = *this.label;
        match this.state.project() {
            BearerStateProj::Failed { failure } => {
                Poll::Ready(Err(failure.take().expect("BearerFuture polled after completion")))
            }
            BearerStateProj::Verifying { fut, private } => {
                Poll::Ready(bearer_outcome(ready!(fut.poll(cx)), *private, label))
            }
        }
    }
}

/// A verifier's answer as the scheme's outcome; `private` adds `Cache-Control: private`
/// (a token from anywhere but `Authorization`).
fn bearer_outcome<U, E: Into<BoxError>>(
    verdict: Result<Option<U>, E>,
    private: bool,
    label: &'static str,
) -> Result<Authenticated<U>, AuthFailure> {
    match verdict {
        Ok(Some(user)) => {
            let mut auth = Authenticated::new(user).with_scheme(label);
            if private {
                auth.response_headers
                    .insert(CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            Ok(auth)
        }
        Ok(None) => Err(AuthFailure::invalid().with_scheme(label)),
        Err(e) => Err(rejection_failure(e.into(), label)),
    }
}

/// Turns a verifier error into a failure: a [`TokenRejection`] is `401 invalid_token`,
/// anything else `500`.
fn rejection_failure(e: BoxError, label: &'static str) -> AuthFailure {
    match e.downcast::<TokenRejection>() {
        Ok(r) => {
            let TokenRejection { description, source } = *r;
            let mut f = AuthFailure::invalid().with_scheme(label);
            if let Some(d) = description {
                f = f.with_description(d);
            }
            if let Some(s) = source {
                f = f.with_source(s);
            }
            f
        }
        Err(e) => AuthFailure::internal(e).with_scheme(label),
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

    #[test]
    fn authorization_forms() {
        let b = bearer();
        let t = b
            .token(&parts(|r| r.header("authorization", "bEaReR   mF_9.B5f-4.1JqM==")))
            .unwrap()
            .unwrap();
        assert_eq!(t.as_str(), "mF_9.B5f-4.1JqM==");
        assert_eq!(t.source(), TokenSource::Authorization);
        assert!(
            b.token(&parts(|r| r.header("authorization", "Basic abc=")))
                .unwrap()
                .is_none()
        );
        for bad in ["Bearer", "Bearer a b", "Bearer a=b", "Bearer \"x\"", "Bearer\tx", "@@"] {
            let f = b.token(&parts(|r| r.header("authorization", bad))).unwrap_err();
            assert_eq!(f.kind(), FailureKind::Malformed, "{bad}");
        }
    }

    #[test]
    fn query_and_cookie() {
        let b = bearer().query("access_token").cookie(TokenCookie::new("sid"));
        let t = b
            .token(&parts(|r| r.uri("/p?x=1&access_token=a%2Bb%3D&y")))
            .unwrap()
            .unwrap();
        assert_eq!((t.as_str(), t.source()), ("a+b=", TokenSource::Query));
        assert!(b.token(&parts(|r| r.uri("/p?access_token=%zz"))).is_err());
        assert!(b.token(&parts(|r| r.uri("/p?access_token=a&access_token=b"))).is_err());
        let t = b
            .token(&parts(|r| r.header("cookie", "a=b; sid=\"tok.1\"; c=d")))
            .unwrap()
            .unwrap();
        assert_eq!((t.as_str(), t.source()), ("tok.1", TokenSource::Cookie));
        assert!(
            b.token(&parts(|r| r.header("cookie", "sidx=1; a=sid")))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn query_param_removal_keeps_the_rest_of_the_target_byte_for_byte() {
        let cases = [
            ("/p?a=1&t=x&b=%20c&&d", "/p?a=1&b=%20c&&d"),
            ("/p?t=x", "/p"),
            ("/p?t", "/p"),
            ("/p?t=x&t=y&z", "/p?z"),
            ("/p?tt=x&t2=y&a=t", "/p?tt=x&t2=y&a=t"),
            ("/p?", "/p?"),
            ("/p", "/p"),
            ("/p?t=x&", "/p?"),
            ("http://h.example:8080/a/b?t=x&q=%2F", "http://h.example:8080/a/b?q=%2F"),
            // `http::Uri` writes an empty path as `/`, with or without our removal.
            ("http://h.example?t=x&q=1", "http://h.example/?q=1"),
            ("http://h.example?t=x", "http://h.example/"),
            ("*", "*"),
        ];
        for (from, to) in cases {
            let mut uri: http::Uri = from.parse().unwrap();
            remove_query_param(&mut uri, "t");
            assert_eq!(uri.to_string(), to, "{from}");
        }
        let mut uri: http::Uri = "h.example:443".parse().unwrap();
        remove_query_param(&mut uri, "t");
        assert_eq!(uri.to_string(), "h.example:443");
    }

    #[test]
    fn cookie_removal_rebuilds_or_drops_each_field() {
        let run = |fields: &[&str]| -> Vec<String> {
            let mut h = HeaderMap::new();
            for f in fields {
                h.append(COOKIE, HeaderValue::from_str(f).unwrap());
            }
            h.insert("x-other", HeaderValue::from_static("1"));
            remove_cookie(&mut h, b"sid");
            assert_eq!(h["x-other"], "1");
            h.get_all(COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(run(&["a=1; sid=x;b=2"]), ["a=1; b=2"]);
        assert_eq!(run(&["sid=x"]), Vec::<String>::new());
        assert_eq!(run(&["sid=x", "a=1;  sid=\"y\" ", "b=2"]), ["a=1", "b=2"]);
        // Fields without the cookie stay byte for byte, in order; look-alikes stay.
        assert_eq!(
            run(&["a=1;b=2", "sid=x; sids=1; xsid=2; sid"]),
            ["a=1;b=2", "sids=1; xsid=2; sid"]
        );
        assert_eq!(run(&["sid="]), Vec::<String>::new());
        assert_eq!(run(&[]), Vec::<String>::new());
    }

    #[test]
    fn debug_redacts() {
        let t = Token::new("s3cr3t-token", TokenSource::Header);
        let d = format!("{t:?}");
        assert!(!d.contains("s3cr3t"), "{d}");
        assert!(d.contains("redacted"));
    }

    #[test]
    fn sanitizers() {
        assert_eq!(sanitize_description("a \"b\" \\c\nä"), "a ?b? ?c??");
        assert_eq!(sanitize_scope("read  wr\"ite admin"), "read admin");
    }

    #[test]
    fn rejection_kinds() {
        let f = rejection_failure(Box::new(TokenRejection::new("expired")), "Bearer");
        assert_eq!(
            (f.kind(), f.description()),
            (FailureKind::InvalidCredentials, Some("expired"))
        );
        let f = rejection_failure("db down".into(), "Bearer");
        assert_eq!(f.kind(), FailureKind::Internal);
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
                let p = parts(|r| r.header(name, value.clone()));
                let _ = b.detect(&p);
                if let Ok(Some(t)) = b.token(&p) {
                    assert!(!t.as_str().is_empty());
                }
            }
            if let Ok(uri) = format!("/p?t={text}").parse::<http::Uri>() {
                let p = parts(|r| r.uri(uri));
                let _ = b.detect(&p);
                let _ = b.token(&p);
            }
        }
    }
}
