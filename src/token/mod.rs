//! Signed, expiring tokens (the REST-auth pattern) and, with the `jwt` feature, JSON Web
//! Tokens.
//!
//! A client logs in once with a password, receives a token signed by the server, and sends
//! it with every later request (`Authorization: Bearer <token>`). [`SignedTokens`] issues and
//! verifies such tokens, and is itself a [`TokenVerifier`] that plugs
//! into [`Bearer`](crate::Bearer):
//!
//! ```
//! use std::time::Duration;
//! use tower_httpauth::{AuthLayer, Bearer, Claims, SignedTokens};
//!
//! // Keys come from your secret store; at least 32 random bytes each.
//! let tokens = SignedTokens::new("2024-06", b"a 32-byte (or longer) random key!".to_vec())
//!     .ttl(Duration::from_secs(3600));
//!
//! // In the login handler, after checking the password:
//! let token = tokens.issue("john").unwrap();
//!
//! // On protected routes the user is the token's `Claims`.
//! let claims = tokens.verify(&token).unwrap();
//! assert_eq!(claims.subject(), "john");
//! let layer = AuthLayer::new(Bearer::new(tokens.clone()));
//! # let _ = layer;
//! ```
//!
//! # Format
//!
//! `<key id>.<payload>.<signature>`: the payload and the signature are unpadded base64url,
//! so a token is a valid RFC 6750 `b64token` and a cookie value. The payload is a small
//! binary record (version, issued-at, expiry, a 128-bit token id, the subject and string
//! claims), not JSON: string claims are all this pattern needs, and the core crate stays
//! free of serde. Use the `jwt` feature for rich JSON claims and interoperable tokens.
//! Tokens are signed, **not encrypted**: clients can read the claims.
//!
//! The signature is HMAC-SHA256 over the key id and the payload, checked in constant time.
//!
//! # Key rotation
//!
//! One key signs; several are accepted, each under its id ([`SignedTokens::accept`]). To
//! rotate: add the new key as an accepted key everywhere, then make it the signing key
//! and keep the old one accepted until the last token it signed has expired.
//!
//! # Why a token is refused
//!
//! [`TokenError`] tells the reasons apart: malformed, bad signature, unknown key,
//! expired, not yet valid, revoked. The client's `error_description` says "expired",
//! "revoked", "malformed" or "signature is invalid"; a token naming a key the server does
//! not have gets the same description (and costs the same time) as a forged signature, so
//! answers do not reveal which key ids exist. The typed reason is the failure's
//! [`source`](crate::AuthFailure::source), for logs.
//!
//! # Revocation
//!
//! [`SignedTokens::revocation`] installs an async hook asked, after the signature and the
//! expiry have been checked, whether the token (its [`Claims::id`], its subject, …) has been
//! revoked, e.g. on logout. An error of the hook is answered `500`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use pin_project_lite::pin_project;
use sha2::Sha256;

use crate::BoxError;
use crate::bearer::{Token, TokenRejection, TokenVerifier};

#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub mod jwt;
#[cfg(feature = "redis")]
mod redis_revocation;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_revocation::RedisRevocations;

type HmacSha256 = Hmac<Sha256>;

/// The longest token [`SignedTokens`] reads, in characters.
pub const MAX_TOKEN_LEN: usize = 8192;
const VERSION: u8 = 1;
const DOMAIN: &[u8] = b"tower-httpauth.token.v1.";

/// Why a signed token was refused (or could not be issued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token of this format, or a payload that cannot be read.
    Malformed,
    /// The signature does not match the payload under the named key (tampered or forged).
    BadSignature,
    /// The token names a key id that is not accepted (signed with a retired or foreign key).
    UnknownKey,
    /// The token has expired.
    Expired,
    /// The token was issued in the future (clock skew beyond the leeway).
    NotYetValid,
    /// The revocation hook says the token was revoked.
    Revoked,
    /// The claims are too large to be issued (subject over 1024 bytes, more than 32 claims,
    /// a claim name over 64 bytes or a value over 1024 bytes).
    TooLarge,
}

impl TokenError {
    /// The `error_description` sent to the client. Unknown keys and bad signatures read
    /// the same, so answers do not reveal which key ids exist.
    pub fn description(self) -> &'static str {
        match self {
            TokenError::Malformed | TokenError::TooLarge => "The access token is malformed",
            TokenError::BadSignature | TokenError::UnknownKey => "The access token signature is invalid",
            TokenError::Expired => "The access token expired",
            TokenError::NotYetValid => "The access token is not valid yet",
            TokenError::Revoked => "The access token was revoked",
        }
    }

    /// This reason as a [`TokenRejection`] (`401 invalid_token` with the description, the
    /// typed reason as source).
    pub fn into_rejection(self) -> TokenRejection {
        TokenRejection::new(self.description()).with_source(self)
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "malformed token",
            TokenError::BadSignature => "bad token signature",
            TokenError::UnknownKey => "token signed with an unknown key id",
            TokenError::Expired => "token expired",
            TokenError::NotYetValid => "token not valid yet",
            TokenError::Revoked => "token revoked",
            TokenError::TooLarge => "token claims too large",
        })
    }
}

impl std::error::Error for TokenError {}

/// What a signed token says: subject, times, id and string claims. The user of requests
/// authenticated by [`SignedTokens`].
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    subject: String,
    issued_at: u64,
    expires_at: u64,
    id: [u8; 16],
    extra: Vec<(String, String)>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("subject", &self.subject)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("id", &self.id())
            .field("extra", &self.extra)
            .finish()
    }
}

impl Claims {
    /// Who the token was issued to.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// When it was issued, in seconds since the Unix epoch.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// When it expires, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// The token's unique id (32 hex digits), for revocation lists.
    pub fn id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The value of claim `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The extra claims, in the order they were issued.
    pub fn extra(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The space-separated words of claim `name` (e.g. `roles` = `"admin editor"`), for a
    /// roles hook: `layer.roles_from(|c: &Claims| c.words("roles"))`.
    pub fn words(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| v.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn encode(&self) -> Result<Vec<u8>, TokenError> {
        if self.subject.len() > 1024
            || self.extra.len() > 32
            || self.extra.iter().any(|(k, v)| k.len() > 64 || v.len() > 1024)
        {
            return Err(TokenError::TooLarge);
        }
        let mut out = Vec::with_capacity(64 + self.subject.len());
        out.push(VERSION);
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&(self.subject.len() as u16).to_be_bytes());
        out.extend_from_slice(self.subject.as_bytes());
        out.push(self.extra.len() as u8);
        for (k, v) in &self.extra {
            out.push(k.len() as u8);
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        Ok(out)
    }

    fn decode(mut b: &[u8]) -> Result<Self, TokenError> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], TokenError> {
            if b.len() < n {
                return Err(TokenError::Malformed);
            }
            let (head, rest) = b.split_at(n);
            *b = rest;
            Ok(head)
        }
        fn string(b: &mut &[u8], n: usize) -> Result<String, TokenError> {
            String::from_utf8(take(b, n)?.to_vec()).map_err(|_| TokenError::Malformed)
        }
        fn u16_at(b: &mut &[u8]) -> Result<usize, TokenError> {
            let s = take(b, 2)?;
            Ok(usize::from(u16::from_be_bytes([s[0], s[1]])))
        }
        fn u64_at(b: &mut &[u8]) -> Result<u64, TokenError> {
            let s = take(b, 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Ok(u64::from_be_bytes(a))
        }
        if take(&mut b, 1)? != [VERSION] {
            return Err(TokenError::Malformed);
        }
        let issued_at = u64_at(&mut b)?;
        let expires_at = u64_at(&mut b)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(take(&mut b, 16)?);
        let n = u16_at(&mut b)?;
        let subject = string(&mut b, n)?;
        let count = usize::from(take(&mut b, 1)?[0]);
        let mut extra = Vec::with_capacity(count.min(32));
        for _ in 0..count {
            let kl = usize::from(take(&mut b, 1)?[0]);
            let k = string(&mut b, kl)?;
            let vl = u16_at(&mut b)?;
            let v = string(&mut b, vl)?;
            extra.push((k, v));
        }
        if !b.is_empty() {
            return Err(TokenError::Malformed);
        }
        Ok(Claims {
            subject,
            issued_at,
            expires_at,
            id,
            extra,
        })
    }
}

struct Key {
    id: String,
    secret: Box<[u8]>,
}

/// Decides whether a verified token has been revoked ([`SignedTokens::revocation`]).
///
/// Implemented for closures `Fn(&Claims) -> impl Future<Output = Result<bool, E>>`; the
/// future must not borrow the claims (copy what it needs, such as [`Claims::id`]).
pub trait Revocation: Send + Sync + 'static {
    /// The future answering the question.
    type Future: Future<Output = Result<bool, BoxError>> + Send + 'static;

    /// Whether the token with `claims` is revoked.
    fn is_revoked(&self, claims: &Claims) -> Self::Future;
}

/// No revocation: every valid token stays valid until it expires.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocation;

impl Revocation for NoRevocation {
    type Future = std::future::Ready<Result<bool, BoxError>>;
    fn is_revoked(&self, _claims: &Claims) -> Self::Future {
        std::future::ready(Ok(false))
    }
}

impl<F, Fut, E> Revocation for F
where
    F: Fn(&Claims) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, E>> + Send + 'static,
    E: Into<BoxError>,
{
    type Future = RevocationFuture<Fut>;
    fn is_revoked(&self, claims: &Claims) -> Self::Future {
        RevocationFuture { inner: self(claims) }
    }
}

pin_project! {
    /// The future of a closure [`Revocation`] hook.
    pub struct RevocationFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, E> Future for RevocationFuture<F>
where
    F: Future<Output = Result<bool, E>>,
    E: Into<BoxError>,
{
    type Output = Result<bool, BoxError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(|r| r.map_err(Into::into))
    }
}

struct Inner<R> {
    signing: usize,
    keys: Vec<Key>,
    dummy: Box<[u8]>,
    ttl: Duration,
    leeway: u64,
    revocation: R,
    counter: AtomicU64,
}

/// Issues and verifies HMAC-SHA256 signed, expiring tokens; a [`TokenVerifier`] whose user
/// is the token's [`Claims`]. Cloning is cheap (one `Arc`). See the [module docs](self).
pub struct SignedTokens<R = NoRevocation> {
    inner: Arc<Inner<R>>,
}

impl<R> Clone for SignedTokens<R> {
    fn clone(&self) -> Self {
        SignedTokens {
            inner: self.inner.clone(),
        }
    }
}

impl<R> fmt::Debug for SignedTokens<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedTokens")
            .field("signing_key", &self.inner.keys[self.inner.signing].id)
            .field(
                "accepted_keys",
                &self.inner.keys.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .field("ttl", &self.inner.ttl)
            .field("leeway", &self.inner.leeway)
            .finish_non_exhaustive()
    }
}

fn valid_key_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl SignedTokens<NoRevocation> {
    /// Signs with `secret` under key id `key_id`; tokens live one hour by default.
    ///
    /// # Panics
    ///
    /// If `key_id` is not 1 to 64 of `A-Z a-z 0-9 - _`, or `secret` is shorter than 32 bytes.
    pub fn new(key_id: &str, secret: impl Into<Vec<u8>>) -> Self {
        let secret = secret.into();
        assert!(valid_key_id(key_id), "key id must be 1 to 64 of A-Z a-z 0-9 - _");
        assert!(secret.len() >= 32, "signing keys must be at least 32 bytes");
        // A per-instance key for the decoy HMAC computed for unknown key ids.
        let mut dummy = HmacSha256::new_from_slice(&secret).expect("HMAC takes any key length");
        dummy.update(b"decoy key");
        let dummy: Box<[u8]> = dummy.finalize().into_bytes().to_vec().into();
        SignedTokens {
            inner: Arc::new(Inner {
                signing: 0,
                keys: vec![Key {
                    id: key_id.to_owned(),
                    secret: secret.into(),
                }],
                dummy,
                ttl: Duration::from_secs(3600),
                leeway: 0,
                revocation: NoRevocation,
                counter: AtomicU64::new(0),
            }),
        }
    }
}

impl<R> SignedTokens<R> {
    fn edit(mut self, f: impl FnOnce(&mut Inner<R>)) -> Self {
        let inner = Arc::get_mut(&mut self.inner).expect("configure SignedTokens before cloning it");
        f(inner);
        self
    }

    /// Also accepts tokens signed with `secret` under `key_id` (an older key, during
    /// rotation).
    ///
    /// # Panics
    ///
    /// If the key id is invalid or already used, if `secret` is shorter than 32 bytes, or
    /// if called after the value was cloned.
    pub fn accept(self, key_id: &str, secret: impl Into<Vec<u8>>) -> Self {
        let secret = secret.into();
        assert!(valid_key_id(key_id), "key id must be 1 to 64 of A-Z a-z 0-9 - _");
        assert!(secret.len() >= 32, "keys must be at least 32 bytes");
        self.edit(|i| {
            assert!(i.keys.iter().all(|k| k.id != key_id), "duplicate key id");
            i.keys.push(Key {
                id: key_id.to_owned(),
                secret: secret.into(),
            });
        })
    }

    /// How long issued tokens live (default one hour).
    pub fn ttl(self, ttl: Duration) -> Self {
        self.edit(|i| i.ttl = ttl)
    }

    /// Clock skew tolerated when checking expiry and issue time (default none).
    pub fn leeway(self, leeway: Duration) -> Self {
        self.edit(|i| i.leeway = leeway.as_secs())
    }

    /// Asks `hook` whether each verified token has been revoked (see [`Revocation`]).
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, Mutex};
    /// use tower_httpauth::{Claims, SignedTokens};
    ///
    /// let revoked: Arc<Mutex<HashSet<String>>> = Arc::default();
    /// let list = revoked.clone();
    /// let tokens = SignedTokens::new("k1", vec![7u8; 32]).revocation(move |c: &Claims| {
    ///     let is_revoked = list.lock().unwrap().contains(&c.id());
    ///     async move { Ok::<_, std::convert::Infallible>(is_revoked) }
    /// });
    /// # let _ = tokens;
    /// ```
    ///
    /// # Panics
    ///
    /// If called after the value was cloned.
    pub fn revocation<R2>(self, hook: R2) -> SignedTokens<R2> {
        let inner = Arc::try_unwrap(self.inner)
            .ok()
            .expect("configure SignedTokens before cloning it");
        SignedTokens {
            inner: Arc::new(Inner {
                signing: inner.signing,
                keys: inner.keys,
                dummy: inner.dummy,
                ttl: inner.ttl,
                leeway: inner.leeway,
                revocation: hook,
                counter: inner.counter,
            }),
        }
    }

    /// The lifetime of issued tokens.
    pub fn token_ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// Issues a token for `subject` with the configured lifetime.
    pub fn issue(&self, subject: &str) -> Result<String, TokenError> {
        self.issue_with(subject, &[], self.inner.ttl)
    }

    /// Issues a token for `subject` carrying string `claims`, living `ttl`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_httpauth::SignedTokens;
    /// let tokens = SignedTokens::new("k1", vec![7u8; 32]);
    /// let t = tokens.issue_with("susan", &[("roles", "admin editor")], Duration::from_secs(60)).unwrap();
    /// assert_eq!(tokens.verify(&t).unwrap().words("roles"), ["admin", "editor"]);
    /// ```
    pub fn issue_with(&self, subject: &str, claims: &[(&str, &str)], ttl: Duration) -> Result<String, TokenError> {
        self.issue_at(subject, claims, now(), ttl)
    }

    /// Issues a token as if it were `issued_at` (seconds since the Unix epoch); for tests
    /// and for tokens that must expire at a fixed time.
    pub fn issue_at(
        &self,
        subject: &str,
        claims: &[(&str, &str)],
        issued_at: u64,
        ttl: Duration,
    ) -> Result<String, TokenError> {
        let inner = &*self.inner;
        let key = &inner.keys[inner.signing];
        let claims = Claims {
            subject: subject.to_owned(),
            issued_at,
            expires_at: issued_at.saturating_add(ttl.as_secs()),
            id: self.new_id(),
            extra: claims.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        let payload = URL_SAFE_NO_PAD.encode(claims.encode()?);
        let sig = sign(&key.secret, &key.id, &payload);
        Ok(format!("{}.{}.{}", key.id, payload, URL_SAFE_NO_PAD.encode(sig)))
    }

    /// A unique, unpredictable token id: HMAC of a counter and the clock under the signing
    /// key (no random-number dependency needed).
    fn new_id(&self) -> [u8; 16] {
        let inner = &*self.inner;
        let n = inner.counter.fetch_add(1, Ordering::Relaxed);
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut mac = HmacSha256::new_from_slice(&inner.keys[inner.signing].secret).expect("any key length");
        mac.update(b"token id");
        mac.update(&n.to_be_bytes());
        mac.update(&t.to_be_bytes());
        mac.update(&std::process::id().to_be_bytes());
        let out = mac.finalize().into_bytes();
        let mut id = [0u8; 16];
        id.copy_from_slice(&out[..16]);
        id
    }

    /// Verifies `token` now: signature, key id, expiry (not revocation, which is async).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, now())
    }

    /// Verifies `token` as of `now` (seconds since the Unix epoch).
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let inner = &*self.inner;
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut it = token.splitn(3, '.');
        let (Some(kid), Some(payload), Some(sig)) = (it.next(), it.next(), it.next()) else {
            return Err(TokenError::Malformed);
        };
        if !valid_key_id(kid) || sig.contains('.') {
            return Err(TokenError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Malformed)?;
        // An unknown key id costs the same HMAC as a known one.
        let key = inner
            .keys
            .iter()
            .find(|k| crate::constant_time_eq(k.id.as_bytes(), kid.as_bytes()));
        let secret = key.map_or(&inner.dummy, |k| &k.secret);
        let mut mac = HmacSha256::new_from_slice(secret).expect("any key length");
        mac.update(DOMAIN);
        mac.update(kid.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        let good = mac.verify_slice(&sig).is_ok();
        match (key, good) {
            (None, _) => return Err(TokenError::UnknownKey),
            (Some(_), false) => return Err(TokenError::BadSignature),
            (Some(_), true) => {}
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
        let claims = Claims::decode(&bytes)?;
        if now >= claims.expires_at.saturating_add(inner.leeway) {
            return Err(TokenError::Expired);
        }
        if claims.issued_at > now.saturating_add(inner.leeway) {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

fn sign(secret: &[u8], kid: &str, payload: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("any key length");
    mac.update(DOMAIN);
    mac.update(kid.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl<R: Revocation> TokenVerifier for SignedTokens<R> {
    type User = Claims;
    type Error = BoxError;
    type Future = SignedTokenFuture<R::Future>;

    fn verify(&self, token: Token) -> Self::Future {
        let state = match SignedTokens::verify(self, token.as_str()) {
            Ok(claims) => CheckState::Revocation {
                fut: self.inner.revocation.is_revoked(&claims),
                claims: Some(claims),
            },
            Err(e) => CheckState::Done {
                result: Some(Err(Box::new(e.into_rejection()))),
            },
        };
        SignedTokenFuture { state }
    }

    fn start(&self, token: Token) -> crate::Started<Result<Option<Claims>, BoxError>, Self::Future> {
        // A bad token is refused at once; a good one still awaits the revocation check.
        match SignedTokens::verify(self, token.as_str()) {
            Ok(claims) => crate::Started::Pending(SignedTokenFuture {
                state: CheckState::Revocation {
                    fut: self.inner.revocation.is_revoked(&claims),
                    claims: Some(claims),
                },
            }),
            Err(e) => crate::Started::Done(Err(Box::new(e.into_rejection()))),
        }
    }
}

pin_project! {
    /// The future of [`SignedTokens`] as a [`TokenVerifier`]: the revocation check.
    pub struct SignedTokenFuture<F> {
        #[pin]
        state: CheckState<F>,
    }
}

pin_project! {
    #[project = CheckStateProj]
    enum CheckState<F> {
        Done { result: Option<Result<Option<Claims>, BoxError>> },
        Revocation { #[pin] fut: F, claims: Option<Claims> },
    }
}

impl<F> Future for SignedTokenFuture<F>
where
    F: Future<Output = Result<bool, BoxError>>,
{
    type Output = Result<Option<Claims>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            CheckStateProj::Done { result } => Poll::Ready(result.take().expect("polled after completion")),
            CheckStateProj::Revocation { fut, claims } => {
                let revoked = ready!(fut.poll(cx));
                let claims = claims.take().expect("polled after completion");
                Poll::Ready(match revoked {
                    Ok(false) => Ok(Some(claims)),
                    Ok(true) => Err(Box::new(TokenError::Revoked.into_rejection())),
                    // Not a rejection: the Bearer scheme answers it with 500.
                    Err(e) => Err(e),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &[u8] = b"0123456789abcdef0123456789abcdef";
    const K2: &[u8] = b"fedcba9876543210fedcba9876543210";

    #[test]
    fn round_trip_and_claims() {
        let t = SignedTokens::new("k1", K1);
        let tok = t
            .issue_with("jöhn", &[("roles", "a b"), ("x", "")], Duration::from_secs(60))
            .unwrap();
        assert!(crate::header::is_token68(tok.as_bytes()));
        let c = t.verify(&tok).unwrap();
        assert_eq!(c.subject(), "jöhn");
        assert_eq!(c.get("x"), Some(""));
        assert_eq!(c.words("roles"), ["a", "b"]);
        assert_eq!(c.expires_at() - c.issued_at(), 60);
        assert_eq!(c.id().len(), 32);
        assert_ne!(t.verify(&t.issue("a").unwrap()).unwrap().id(), c.id());
    }

    #[test]
    fn malformed_inputs_never_panic() {
        let t = SignedTokens::new("k1", K1);
        let good = t.issue("john").unwrap();
        for bad in [
            "",
            ".",
            "..",
            "k1..",
            "k1.AAAA.AAAA",
            "k 1.a.b",
            "k1.a.b.c",
            &good[..good.len() - 1],
        ] {
            assert!(t.verify(bad).is_err(), "{bad}");
        }
        // Every truncation of a validly signed payload is malformed, never a panic.
        let c = t.verify(&good).unwrap();
        let bytes = c.encode().unwrap();
        for n in 0..bytes.len() {
            assert_eq!(Claims::decode(&bytes[..n]), Err(TokenError::Malformed));
        }
    }

    #[test]
    fn reasons() {
        let t = SignedTokens::new("k2", K2).accept("k1", K1);
        let old = SignedTokens::new("k1", K1);
        assert!(t.verify(&old.issue("john").unwrap()).is_ok());
        let foreign = SignedTokens::new("k9", K1).issue("john").unwrap();
        assert_eq!(t.verify(&foreign), Err(TokenError::UnknownKey));
        let forged = SignedTokens::new("k1", K2).issue("john").unwrap();
        assert_eq!(t.verify(&forged), Err(TokenError::BadSignature));
        let expired = t.issue_at("john", &[], 1000, Duration::from_secs(10)).unwrap();
        assert_eq!(t.verify_at(&expired, 1010), Err(TokenError::Expired));
        assert!(t.verify_at(&expired, 1009).is_ok());
        assert_eq!(t.verify_at(&expired, 999), Err(TokenError::NotYetValid));
        assert_eq!(
            TokenError::UnknownKey.description(),
            TokenError::BadSignature.description()
        );
    }

    #[test]
    fn arbitrary_tokens_never_panic() {
        let t = SignedTokens::new("k1", K1);
        let good = t.issue_with("john", &[("a", "b")], Duration::from_secs(60)).unwrap();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            // Flip, cut or extend a valid token at random places.
            let mut b = good.clone().into_bytes();
            let i = (next() as usize) % b.len();
            match next() % 3 {
                0 => b[i] = b"A_-.=k1"[(next() % 7) as usize],
                1 => b.truncate(i),
                _ => b.extend_from_slice(b".AA"),
            }
            let s = String::from_utf8(b).unwrap();
            if s != good {
                assert!(t.verify(&s).is_err(), "{s}");
            }
        }
    }
}
