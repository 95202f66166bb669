//! HTTP Basic authentication (RFC 7617).
//!
//! [`Basic`] reads `Authorization: Basic <base64(user ":" password)>`, hands the decoded
//! [`BasicCredentials`] to your [`BasicVerifier`] and challenges with
//! `WWW-Authenticate: Basic realm="…", charset="UTF-8"`.
//!
//! A verifier is usually an async closure that returns the user, or `None` for wrong
//! credentials, or `Err` when the user store itself failed (answered `500`, never `401`):
//!
//! ```
//! use tower_httpauth::{AuthLayer, Basic, BasicCredentials, constant_time_eq};
//!
//! #[derive(Clone)]
//! struct User { name: String }
//!
//! let basic = Basic::new(|c: BasicCredentials| async move {
//!     // Look the user up in your store; compare secrets in constant time.
//!     let ok = c.username() == "john" && constant_time_eq(c.password().as_bytes(), b"hello");
//!     Ok::<_, std::io::Error>(ok.then(|| User { name: c.username().to_owned() }))
//! })
//! .realm("api");
//! let layer = AuthLayer::new(basic);
//! # let _ = layer;
//! ```
//!
//! If you keep (hashed) passwords, [`Passwords`] does the lookup-and-compare for you, the way
//! Flask-HTTPAuth's `get_password` / `hash_password` do, and in constant time.
//!
//! # Parsing
//!
//! - The scheme name matches case-insensitively, followed by one or more spaces and a
//!   `token68`; the token must be standard, padded base64 (base64url and unpadded input are
//!   refused as malformed: `400`).
//! - The decoded text is split at the **first** colon, so passwords may contain colons. No
//!   colon, or a control character in user-id or password, is malformed (`400`).
//! - The text is read as UTF-8; if it is not UTF-8 it is read as ISO-8859-1 (RFC 7617
//!   App. B.2), which is what python `requests` sends for non-ASCII credentials.
//! - More than one `Authorization` field is malformed (`400`); a field longer than
//!   [`Basic::max_header_len`] (4096 bytes by default) is answered `431`.
//!
//! # Security
//!
//! Basic sends the password in clear text on every request: serve it over TLS only
//! (RFC 7617 §4). Store password hashes, never passwords.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use pin_project_lite::pin_project;

use crate::BoxError;
use crate::compare::constant_time_eq;
use crate::failure::{AuthFailure, FailureKind};
use crate::header::{Challenge, is_token68, split_scheme};
use crate::scheme::{Authenticated, Scheme, Verdict, VerdictFuture};

/// The default bound on the length of an `Authorization` field, in bytes.
pub const DEFAULT_MAX_HEADER_LEN: usize = 4096;

/// Decoded Basic credentials: a user-id and a password.
///
/// `Debug` prints the user-id and hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    text: String,
    colon: usize,
}

/// Why a Basic credential could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BasicError {
    /// The credential is not a `token68`.
    NotToken68,
    /// The token is not standard, padded base64.
    NotBase64,
    /// The decoded text has no colon.
    NoColon,
    /// The user-id or password holds a control character.
    ControlCharacter,
}

impl fmt::Display for BasicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BasicError::NotToken68 => "Basic credentials are not a token68",
            BasicError::NotBase64 => "Basic credentials are not standard padded base64",
            BasicError::NoColon => "Basic credentials have no colon between user-id and password",
            BasicError::ControlCharacter => "Basic credentials contain a control character",
        })
    }
}

impl std::error::Error for BasicError {}

impl BasicCredentials {
    /// Credentials from a user-id and a password.
    ///
    /// ```
    /// let c = tower_httpauth::BasicCredentials::new("Aladdin", "open sesame");
    /// assert_eq!(c.to_header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /// ```
    pub fn new(username: &str, password: &str) -> Self {
        let mut text = String::with_capacity(username.len() + 1 + password.len());
        text.push_str(username);
        text.push(':');
        text.push_str(password);
        BasicCredentials {
            text,
            colon: username.len(),
        }
    }

    /// Decodes the `token68` part of a Basic `Authorization` field (after `Basic `).
    ///
    /// ```
    /// use tower_httpauth::BasicCredentials;
    /// let c = BasicCredentials::decode(b"dTpwOmE6Yg==").unwrap();
    /// assert_eq!((c.username(), c.password()), ("u", "p:a:b"));
    /// // ISO-8859-1 fallback: "Jäsøn Doe:Secret, or not?" as python requests sends it.
    /// let c = BasicCredentials::decode(b"SuRz+G4gRG9lOlNlY3JldCwgb3Igbm90Pw==").unwrap();
    /// assert_eq!(c.username(), "Jäsøn Doe");
    /// ```
    pub fn decode(token: &[u8]) -> Result<Self, BasicError> {
        if !is_token68(token) {
            return Err(BasicError::NotToken68);
        }
        let bytes = STANDARD.decode(token).map_err(|_| BasicError::NotBase64)?;
        let colon = bytes.iter().position(|&b| b == b':').ok_or(BasicError::NoColon)?;
        if bytes.iter().any(|&b| b < 0x20 || b == 0x7F) {
            return Err(BasicError::ControlCharacter);
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            // Every byte is a character in ISO-8859-1; the colon keeps its offset only if
            // nothing before it was non-ASCII, so look it up again.
            Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
        };
        let colon = if text.as_bytes().get(colon) == Some(&b':') {
            colon
        } else {
            text.find(':').ok_or(BasicError::NoColon)?
        };
        Ok(BasicCredentials { text, colon })
    }

    /// The user-id.
    pub fn username(&self) -> &str {
        &self.text[..self.colon]
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.text[self.colon + 1..]
    }

    /// Splits into owned user-id and password.
    pub fn into_parts(mut self) -> (String, String) {
        let password = self.text.split_off(self.colon + 1);
        self.text.truncate(self.colon);
        (self.text, password)
    }

    /// The `Authorization` value a client sends for these credentials (UTF-8).
    pub fn to_header_value(&self) -> HeaderValue {
        let mut v = String::from("Basic ");
        STANDARD.encode_string(self.text.as_bytes(), &mut v);
        HeaderValue::try_from(v).expect("base64 is a valid header value")
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username())
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Checks Basic credentials and returns the user.
///
/// Implemented for async closures `Fn(BasicCredentials) -> impl Future<Output = V>` where `V`
/// is `Option<User>` or `Result<Option<User>, E>` (see [`Verdict`]). Implement it by hand
/// for a user store:
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use tower_httpauth::{BasicCredentials, BasicVerifier};
///
/// struct Store;
/// impl BasicVerifier for Store {
///     type User = String;
///     type Error = std::io::Error;
///     type Future = Pin<Box<dyn Future<Output = Result<Option<String>, std::io::Error>> + Send>>;
///
///     fn verify(&self, c: BasicCredentials) -> Self::Future {
///         Box::pin(async move { Ok((c.password() == "hello").then(|| c.username().to_owned())) })
///     }
/// }
/// ```
pub trait BasicVerifier: Send + Sync + 'static {
    /// The authenticated user.
    type User: Clone + Send + Sync + 'static;
    /// The error of a failed lookup (answered `500`).
    type Error: Into<BoxError>;
    /// The verification future.
    type Future: Future<Output = Result<Option<Self::User>, Self::Error>> + Send + 'static;

    /// Verifies `credentials`: `Ok(Some(user))` to accept, `Ok(None)` to refuse.
    fn verify(&self, credentials: BasicCredentials) -> Self::Future;
}

impl<F, Fut> BasicVerifier for F
where
    F: Fn(BasicCredentials) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict,
    <Fut::Output as Verdict>::User: Clone + Send + Sync + 'static,
{
    type User = <Fut::Output as Verdict>::User;
    type Error = <Fut::Output as Verdict>::Error;
    type Future = VerdictFuture<Fut>;

    fn verify(&self, credentials: BasicCredentials) -> Self::Future {
        VerdictFuture::new(self(credentials))
    }
}

/// The Basic scheme: parses credentials, calls the verifier, writes the challenge.
pub struct Basic<V> {
    verifier: V,
    scheme_name: Cow<'static, str>,
    realm: String,
    challenge: HeaderValue,
    max_header_len: usize,
}

impl<V> fmt::Debug for Basic<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("scheme_name", &self.scheme_name)
            .field("realm", &self.realm)
            .field("max_header_len", &self.max_header_len)
            .finish_non_exhaustive()
    }
}

impl<V: BasicVerifier> Basic<V> {
    /// Basic authentication with `verifier`, realm `"Restricted"`.
    pub fn new(verifier: V) -> Self {
        let mut b = Basic {
            verifier,
            scheme_name: Cow::Borrowed("Basic"),
            realm: String::from("Restricted"),
            challenge: HeaderValue::from_static(""),
            max_header_len: DEFAULT_MAX_HEADER_LEN,
        };
        b.challenge = b.build_challenge();
        b
    }
}

impl<V> Basic<V> {
    fn build_challenge(&self) -> HeaderValue {
        Challenge::new(&self.scheme_name)
            .quoted("realm", &self.realm)
            .quoted("charset", "UTF-8")
            .to_header_value()
            .expect("realm and scheme name were validated")
    }

    /// Sets the realm sent in the challenge (the protection space, RFC 9110 §11.5).
    ///
    /// # Panics
    ///
    /// If `realm` contains a control character other than HTAB: it could not be sent.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        let realm = realm.into();
        assert!(
            !realm.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7F),
            "Basic realm must not contain control characters"
        );
        self.realm = realm;
        self.challenge = self.build_challenge();
        self
    }

    /// Sets the scheme name accepted and challenged with (default `Basic`).
    ///
    /// A custom name such as `xBasic` keeps browsers from showing their login dialog on
    /// `401`, which API clients that render their own login form want. The name is matched
    /// case-insensitively.
    ///
    /// # Panics
    ///
    /// If `name` is not an RFC 9110 token.
    pub fn scheme_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        assert!(crate::header::is_token(name.as_bytes()), "scheme name must be a token");
        self.scheme_name = name;
        self.challenge = self.build_challenge();
        self
    }

    /// Sets the longest `Authorization` field accepted, in bytes (default 4096); longer
    /// fields are answered `431`.
    pub fn max_header_len(mut self, len: usize) -> Self {
        self.max_header_len = len;
        self
    }

    /// The configured realm.
    pub fn realm_name(&self) -> &str {
        &self.realm
    }

    /// The verifier.
    pub fn verifier(&self) -> &V {
        &self.verifier
    }

    /// Reads Basic credentials from a request head.
    ///
    /// `Ok(None)` when there are none for this scheme (no `Authorization`, or another scheme).
    pub fn credentials(&self, parts: &Parts) -> Result<Option<BasicCredentials>, AuthFailure> {
        let Some(value) = authorization(&parts.headers, self.max_header_len)? else {
            return Ok(None);
        };
        let Some((scheme, token)) = split_scheme(value.as_bytes()) else {
            return Err(AuthFailure::malformed("unparseable Authorization header").with_scheme("Basic"));
        };
        if !scheme.eq_ignore_ascii_case(&self.scheme_name) {
            return Ok(None);
        }
        BasicCredentials::decode(token)
            .map(Some)
            .map_err(|e| AuthFailure::malformed(e.to_string()).with_scheme("Basic"))
    }
}

/// The single `Authorization` field of a request, if any.
///
/// More than one field is malformed; a field longer than `max_len` is too large.
pub(crate) fn authorization(headers: &HeaderMap, max_len: usize) -> Result<Option<&HeaderValue>, AuthFailure> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthFailure::malformed("more than one Authorization header"));
    }
    if first.len() > max_len {
        return Err(AuthFailure::new(FailureKind::HeaderTooLarge).with_description("Authorization header too large"));
    }
    Ok(Some(first))
}

impl<V: BasicVerifier> Scheme for Basic<V> {
    type User = V::User;
    type Future = BasicFuture<V::Future>;

    fn detect(&self, parts: &Parts) -> bool {
        parts
            .headers
            .get_all(AUTHORIZATION)
            .iter()
            .any(|v| split_scheme(v.as_bytes()).is_some_and(|(s, _)| s.eq_ignore_ascii_case(&self.scheme_name)))
    }

    fn authenticate(&self, parts: &Parts) -> Self::Future {
        let state = match self.credentials(parts) {
            Ok(Some(c)) => BasicState::Verifying {
                fut: self.verifier.verify(c),
            },
            Ok(None) => BasicState::Failed {
                failure: Some(AuthFailure::missing().with_scheme("Basic")),
            },
            Err(f) => BasicState::Failed { failure: Some(f) },
        };
        BasicFuture { state }
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        let _ = failure;
        headers.append(WWW_AUTHENTICATE, self.challenge.clone());
    }

    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        let (user, _) = self.credentials(parts).ok()??.into_parts();
        Some(Cow::Owned(user))
    }
}

pin_project! {
    /// The future of [`Basic`]'s verification.
    pub struct BasicFuture<F> {
        #[pin]
        state: BasicState<F>,
    }
}

pin_project! {
    #[project = BasicStateProj]
    enum BasicState<F> {
        Failed { failure: Option<AuthFailure> },
        Verifying { #[pin] fut: F },
    }
}

impl<F, U, E> Future for BasicFuture<F>
where
    F: Future<Output = Result<Option<U>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Authenticated<U>, AuthFailure>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            BasicStateProj::Failed { failure } => {
                Poll::Ready(Err(failure.take().expect("BasicFuture polled after completion")))
            }
            BasicStateProj::Verifying { fut } => Poll::Ready(match ready!(fut.poll(cx)) {
                Ok(Some(user)) => Ok(Authenticated::new(user)),
                Ok(None) => Err(AuthFailure::invalid().with_scheme("Basic")),
                Err(e) => Err(AuthFailure::internal(e).with_scheme("Basic")),
            }),
        }
    }
}

/// A verifier for one fixed user-id and password, compared in constant time; the user is
/// `()`. For tests, single-user tools and benchmarks.
///
/// ```
/// use tower_httpauth::{AuthLayer, Basic, StaticCredentials};
/// let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret")));
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct StaticCredentials {
    username: Box<[u8]>,
    password: Box<[u8]>,
}

impl StaticCredentials {
    /// Accepts exactly `username` and `password`.
    pub fn new(username: &str, password: &str) -> Self {
        StaticCredentials {
            username: username.as_bytes().into(),
            password: password.as_bytes().into(),
        }
    }
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl BasicVerifier for StaticCredentials {
    type User = ();
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Option<()>, Self::Error>>;

    fn verify(&self, c: BasicCredentials) -> Self::Future {
        // Both comparisons always run: `&` not `&&`.
        let ok = constant_time_eq(c.username().as_bytes(), &self.username)
            & constant_time_eq(c.password().as_bytes(), &self.password);
        std::future::ready(Ok(ok.then_some(())))
    }
}

/// A Basic verifier over a store of (hashed) passwords, like Flask-HTTPAuth's
/// `get_password` + `hash_password`.
///
/// `lookup` receives the user-id and returns the user with their stored password (or its
/// hash), `None` for an unknown user, or an error. The presented password is passed
/// through the hash function (if any) and compared with the stored value in constant
/// time. An unknown user costs the same hashing and comparison as a known one, so timing
/// does not tell which user-ids exist.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Arc;
/// use tower_httpauth::{AuthLayer, Basic, Passwords};
///
/// // user-id -> hex(SHA-256(password)), as an app might keep them.
/// let users: Arc<HashMap<String, String>> = Arc::new(HashMap::from([(
///     "john".to_string(),
///     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".to_string(),
/// )]));
///
/// let verifier = Passwords::new(move |name: String| {
///     let users = users.clone();
///     async move { users.get(&name).map(|hash| (name, hash.clone())) }
/// })
/// .hash_with(|password: &str| {
///     use sha2::Digest;
///     sha2::Sha256::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
/// });
/// let layer = AuthLayer::new(Basic::new(verifier));
/// # let _ = layer;
/// ```
///
/// For slow password hashes (Argon2, bcrypt) the hash depends on a salt stored with it,
/// so use a verifier that checks a PHC string instead of hashing first.
pub struct Passwords<L, H = Plain> {
    lookup: L,
    hash: Arc<H>,
}

/// The hash function of [`Passwords`] that compares passwords as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

/// Turns a presented password into the form it is stored in.
pub trait HashPassword: Send + Sync + 'static {
    /// The stored form of `password`.
    fn hash(&self, password: &str) -> Vec<u8>;
}

impl HashPassword for Plain {
    fn hash(&self, password: &str) -> Vec<u8> {
        password.as_bytes().to_vec()
    }
}

impl<F, T> HashPassword for F
where
    F: Fn(&str) -> T + Send + Sync + 'static,
    T: Into<Vec<u8>>,
{
    fn hash(&self, password: &str) -> Vec<u8> {
        self(password).into()
    }
}

impl<L> Passwords<L, Plain> {
    /// Compares presented passwords with the ones `lookup` returns, as they are.
    pub fn new(lookup: L) -> Self {
        Passwords {
            lookup,
            hash: Arc::new(Plain),
        }
    }

    /// Hashes presented passwords with `hash` before comparing them with the stored ones.
    pub fn hash_with<H: HashPassword>(self, hash: H) -> Passwords<L, H> {
        Passwords {
            lookup: self.lookup,
            hash: Arc::new(hash),
        }
    }
}

impl<L, H> fmt::Debug for Passwords<L, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

/// What a [`Passwords`] lookup may return: `Option<(User, Stored)>` or
/// `Result<Option<(User, Stored)>, E>`, where `Stored` is the stored password or hash.
impl<L, H, Fut, U, P, E> BasicVerifier for Passwords<L, H>
where
    L: Fn(String) -> Fut + Send + Sync + 'static,
    H: HashPassword,
    Fut: Future + Send + 'static,
    Fut::Output: Verdict<User = (U, P), Error = E>,
    U: Clone + Send + Sync + 'static,
    P: AsRef<[u8]>,
    E: Into<BoxError>,
{
    type User = U;
    type Error = E;
    type Future = PasswordsFuture<Fut>;

    fn verify(&self, credentials: BasicCredentials) -> Self::Future {
        let (username, password) = credentials.into_parts();
        let presented = self.hash.hash(&password);
        PasswordsFuture {
            lookup: (self.lookup)(username),
            presented,
        }
    }
}

pin_project! {
    /// The future of a [`Passwords`] verification.
    pub struct PasswordsFuture<F> {
        #[pin]
        lookup: F,
        presented: Vec<u8>,
    }
}

impl<F, U, P, E> Future for PasswordsFuture<F>
where
    F: Future,
    F::Output: Verdict<User = (U, P), Error = E>,
    P: AsRef<[u8]>,
{
    type Output = Result<Option<U>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let found = ready!(this.lookup.poll(cx)).into_result()?;
        let presented = std::mem::take(this.presented);
        Poll::Ready(Ok(match found {
            Some((user, stored)) => constant_time_eq(&presented, stored.as_ref()).then_some(user),
            None => {
                // Unknown user: the same comparison against a stand-in, then no.
                let _ = constant_time_eq(&presented, &presented);
                None
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7617_vectors() {
        let c = BasicCredentials::decode(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!((c.username(), c.password()), ("Aladdin", "open sesame"));
        let c = BasicCredentials::decode(b"dGVzdDoxMjPCow==").unwrap();
        assert_eq!((c.username(), c.password()), ("test", "123£"));
        assert_eq!(
            BasicCredentials::new("test", "123£").to_header_value(),
            "Basic dGVzdDoxMjPCow=="
        );
    }

    #[test]
    fn decode_rejections() {
        assert_eq!(BasicCredentials::decode(b"dXNlcg=="), Err(BasicError::NoColon)); // "user"
        assert_eq!(BasicCredentials::decode(b"!!!"), Err(BasicError::NotToken68));
        assert_eq!(
            BasicCredentials::decode(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
            Err(BasicError::NotBase64)
        );
        assert_eq!(BasicCredentials::decode(b"_-8="), Err(BasicError::NotBase64)); // base64url
        assert_eq!(BasicCredentials::decode(b"dTpwAA=="), Err(BasicError::ControlCharacter)); // "u:p\0"
        assert_eq!(BasicCredentials::decode(b"dQk6cA=="), Err(BasicError::ControlCharacter)); // "u\t:p"
        assert_eq!(BasicCredentials::decode(b"dTpwfw=="), Err(BasicError::ControlCharacter)); // "u:p\x7f"
    }

    #[test]
    fn empty_parts_are_allowed() {
        let c = BasicCredentials::decode(b"Og==").unwrap(); // ":"
        assert_eq!((c.username(), c.password()), ("", ""));
    }

    #[test]
    fn latin1_colon_offset() {
        // "é:p" in Latin-1: E9 3A 70
        let c = BasicCredentials::decode(b"6Tpw").unwrap();
        assert_eq!((c.username(), c.password()), ("é", "p"));
    }

    #[test]
    fn debug_hides_password() {
        let c = BasicCredentials::new("john", "hunter2");
        let s = format!("{c:?}");
        assert!(s.contains("john") && !s.contains("hunter2"));
        assert!(!format!("{:?}", StaticCredentials::new("a", "hunter2")).contains("hunter2"));
    }
}
