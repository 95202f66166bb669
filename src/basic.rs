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
//! - The user-id and password are then enforced per RFC 8265 (PRECIS: UsernameCasePreserved
//!   and OpaqueString, as RFC 7617 §2.1 asks with `charset="UTF-8"`), on the ISO-8859-1
//!   fallback too: your verifier gets the enforced forms (NFC, fullwidth user-ids mapped to
//!   ASCII), and credentials the profiles refuse (empty password, C1 control, unassigned code
//!   point, …) are answered `401` without calling it. Store the enforced forms: see
//!   [`precis`](crate::precis), and [`Basic::precis`] to turn it off.
//! - An **empty password** is answered `401` without calling the verifier, with
//!   [`Precis::Off`] too (`Basic Og==`, the credentials `:`, and `user:` alike): an unset
//!   environment variable or an empty stored hash must not open the door. Clients that put
//!   an API key in the user-id and leave the password empty need the key in the password
//!   (or a [`Bearer`](crate::Bearer) API-key header) instead.
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
use crate::header::{Challenge, split_scheme};
use crate::precis::{Precis, PrecisError};
use crate::scheme::{Authenticated, Scheme, Started, SyncFn, Verdict, VerdictFuture};

/// The default bound on the length of an `Authorization` field, in bytes.
pub const DEFAULT_MAX_HEADER_LEN: usize = 4096;

/// Decoded Basic credentials: a user-id and a password.
///
/// [`Basic`] hands verifiers these in their RFC 8265 enforced forms (see
/// [`precis`](crate::precis) and [`Basic::precis`]); [`decode`](Self::decode) and
/// [`new`](Self::new) keep the text as it is.
///
/// `Debug` prints the user-id and hides the password. Credentials of up to
/// [`INLINE_CREDENTIALS_LEN`] bytes (user-id, colon and password) are kept inline, so decoding
/// them does not allocate; longer ones are kept on the heap.
#[derive(Clone)]
pub struct BasicCredentials {
    text: Text,
    colon: usize,
}

/// The longest decoded `user-id:password` kept inline by [`BasicCredentials`], in bytes.
pub const INLINE_CREDENTIALS_LEN: usize = 118;

/// The text of the credentials, `user-id ":" password`, always valid UTF-8.
#[derive(Clone)]
enum Text {
    /// The first `len` bytes of `buf`; checked to be UTF-8 when built.
    Inline {
        len: u8,
        buf: [u8; INLINE_CREDENTIALS_LEN],
    },
    Heap(Box<str>),
}

impl Text {
    fn new(s: &str) -> Text {
        if s.len() <= INLINE_CREDENTIALS_LEN {
            let mut buf = [0u8; INLINE_CREDENTIALS_LEN];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Text::Inline {
                len: s.len() as u8,
                buf,
            }
        } else {
            Text::Heap(s.into())
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Inline { len, buf } => &buf[..usize::from(*len)],
            Text::Heap(s) => s.as_bytes(),
        }
    }

    /// `self[range]` as text; `range` ends on character boundaries (at the colon or the end).
    fn str(&self, range: std::ops::Range<usize>) -> &str {
        match self {
            // Checked UTF-8 when built, and split at an ASCII colon: cannot fail.
            Text::Inline { .. } => std::str::from_utf8(&self.as_bytes()[range]).unwrap_or_default(),
            Text::Heap(s) => &s[range],
        }
    }
}

impl PartialEq for BasicCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.text.as_bytes() == other.text.as_bytes()
    }
}

impl Eq for BasicCredentials {}

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

impl BasicError {
    fn message(self) -> &'static str {
        match self {
            BasicError::NotToken68 => "Basic credentials are not a token68",
            BasicError::NotBase64 => "Basic credentials are not standard padded base64",
            BasicError::NoColon => "Basic credentials have no colon between user-id and password",
            BasicError::ControlCharacter => "Basic credentials contain a control character",
        }
    }
}

impl fmt::Display for BasicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
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
        let len = username.len() + 1 + password.len();
        let text = if len <= INLINE_CREDENTIALS_LEN {
            let mut buf = [0u8; INLINE_CREDENTIALS_LEN];
            buf[..username.len()].copy_from_slice(username.as_bytes());
            buf[username.len()] = b':';
            buf[username.len() + 1..len].copy_from_slice(password.as_bytes());
            Text::Inline { len: len as u8, buf }
        } else {
            let mut s = String::with_capacity(len);
            s.push_str(username);
            s.push(':');
            s.push_str(password);
            Text::Heap(s.into_boxed_str())
        };
        BasicCredentials {
            text,
            colon: username.len(),
        }
    }

    /// Decodes the `token68` part of a Basic `Authorization` field (after `Basic `).
    ///
    /// Does not allocate when the decoded credentials are UTF-8 and at most
    /// [`INLINE_CREDENTIALS_LEN`] bytes long.
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
        let (body, len) = decoded_len(token)?;
        if len <= INLINE_CREDENTIALS_LEN {
            let mut buf = [0u8; INLINE_CREDENTIALS_LEN];
            decode_base64(body, &mut buf[..len])?;
            let (colon, ascii) = check_decoded(&buf[..len])?;
            if ascii || std::str::from_utf8(&buf[..len]).is_ok() {
                return Ok(BasicCredentials {
                    text: Text::Inline { len: len as u8, buf },
                    colon,
                });
            }
            Self::from_latin1(&buf[..len])
        } else {
            let mut bytes = vec![0u8; len];
            decode_base64(body, &mut bytes)?;
            let (colon, _) = check_decoded(&bytes)?;
            match String::from_utf8(bytes) {
                Ok(s) => Ok(BasicCredentials {
                    text: Text::Heap(s.into_boxed_str()),
                    colon,
                }),
                Err(e) => Self::from_latin1(e.as_bytes()),
            }
        }
    }

    /// Reads `bytes` (already checked) as ISO-8859-1, where every byte is a character.
    fn from_latin1(bytes: &[u8]) -> Result<Self, BasicError> {
        let text: String = bytes.iter().copied().map(char::from).collect();
        // The colon moves if anything before it was non-ASCII, so look it up again.
        let colon = text.find(':').ok_or(BasicError::NoColon)?;
        Ok(BasicCredentials {
            text: Text::new(&text),
            colon,
        })
    }

    /// The user-id.
    pub fn username(&self) -> &str {
        self.text.str(0..self.colon)
    }

    /// The password.
    pub fn password(&self) -> &str {
        self.text.str(self.colon + 1..self.text.as_bytes().len())
    }

    /// The user-id as bytes (no UTF-8 re-check), for the built-in verifiers.
    fn username_bytes(&self) -> &[u8] {
        &self.text.as_bytes()[..self.colon]
    }

    /// The password as bytes (no UTF-8 re-check), for the built-in verifiers.
    fn password_bytes(&self) -> &[u8] {
        &self.text.as_bytes()[self.colon + 1..]
    }

    /// The enforced credentials when they differ from these, `None` when these already are
    /// (nothing copied or moved).
    fn precis_replacement(&self) -> Result<Option<Self>, PrecisError> {
        // Fast path: printable ASCII, what nearly every client sends. RFC 8265 leaves it as it
        // is, so only the user-id's spacing and emptiness matter (the unit tests of
        // `precis` check this against the profiles for every ASCII character). One
        // branch-free pass that vectorises.
        let text = self.text.as_bytes();
        let (user, password) = (&text[..self.colon], &text[self.colon + 1..]);
        if all_printable_ascii(text)
            && !password.is_empty()
            && !user.is_empty()
            && (!user.contains(&b' ') || crate::precis::is_enforced_ascii_username(user))
        {
            return Ok(None);
        }
        Ok(crate::precis::enforce_pair(self.username(), self.password())?.map(|(u, p)| BasicCredentials::new(&u, &p)))
    }

    /// Splits into owned user-id and password.
    pub fn into_parts(self) -> (String, String) {
        (self.username().to_owned(), self.password().to_owned())
    }

    /// The `Authorization` value a client sends for these credentials (UTF-8).
    pub fn to_header_value(&self) -> HeaderValue {
        let mut v = String::from("Basic ");
        STANDARD.encode_string(self.text.as_bytes(), &mut v);
        HeaderValue::try_from(v).expect("base64 is a valid header value")
    }
}

/// Whether every byte is printable ASCII (0x20..=0x7E): eight bytes at a time, without a
/// branch per byte. A byte under 0x20 borrows into its top bit when 0x20 is subtracted (and
/// had it clear); a byte over 0x7E has its top bit set once 1 is added, or already had it.
/// Both tests are exact for "is there such a byte" (a carry or borrow only starts at one).
fn all_printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let (words, tail) = bytes.as_chunks::<8>();
    let mut bad = 0u64;
    for w in words {
        let x = u64::from_le_bytes(*w);
        bad |= (x.wrapping_sub(0x20 * ONES) & !x) | x.wrapping_add(ONES) | x;
    }
    let tail_ok = tail.iter().fold(true, |ok, &b| ok & (b.wrapping_sub(0x20) < 0x5F));
    bad & HIGH == 0 && tail_ok
}

/// Marks bytes of the table below that are `token68` characters but not base64 digits.
const NOT_BASE64: u8 = 0x40;
/// Marks bytes of the table below that are not `token68` characters at all.
const NOT_TOKEN68: u8 = 0x80;

/// The value of each byte as a standard base64 digit (0..64), or a mark.
static BASE64_DIGITS: [u8; 256] = {
    let mut t = [NOT_TOKEN68; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    t[b'-' as usize] = NOT_BASE64;
    t[b'.' as usize] = NOT_BASE64;
    t[b'_' as usize] = NOT_BASE64;
    t[b'~' as usize] = NOT_BASE64;
    t
};

/// The base64 digits of `token` (before the padding) and the length they decode to, after
/// checking that it is a `token68` (else
/// `NotToken68`) with canonical padding (else `NotBase64`). The digits are checked by
/// [`decode_base64`].
fn decoded_len(token: &[u8]) -> Result<(&[u8], usize), BasicError> {
    // The padding is the run of `=` at the end; an `=` anywhere before it is not token68,
    // and `decode_base64` finds it (the table marks `=` as not token68).
    let body = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    if body == 0 {
        return Err(BasicError::NotToken68);
    }
    let padding = token.len() - body;
    // Standard base64 with canonical padding: whole quads only.
    let (len, needed) = match body % 4 {
        0 => (body / 4 * 3, 0),
        2 => (body / 4 * 3 + 1, 2),
        3 => (body / 4 * 3 + 2, 1),
        _ => (0, usize::MAX),
    };
    if padding != needed {
        // Still refuse a non-token68 character first, as `is_token68` would.
        return Err(
            if token[..body]
                .iter()
                .any(|&b| BASE64_DIGITS[usize::from(b)] & NOT_TOKEN68 != 0)
            {
                BasicError::NotToken68
            } else {
                BasicError::NotBase64
            },
        );
    }
    Ok((&token[..body], len))
}

/// Decodes the base64 digits `body` (as returned by [`decoded_len`]) into `out`, which is
/// exactly as long as [`decoded_len`] said. Refuses non-canonical trailing bits, as the
/// `base64` crate's `STANDARD` engine does.
fn decode_base64(body: &[u8], out: &mut [u8]) -> Result<(), BasicError> {
    let digit = |b: u8| u32::from(BASE64_DIGITS[usize::from(b)]);
    let (quads, rest) = body.as_chunks::<4>();
    let (out_triples, out_rest) = out.as_chunks_mut::<3>();
    // The OR of every digit: any mark shows in its top bits.
    let mut marks = 0u32;
    for (q, o) in quads.iter().zip(out_triples.iter_mut()) {
        let (a, b, c, d) = (digit(q[0]), digit(q[1]), digit(q[2]), digit(q[3]));
        marks |= a | b | c | d;
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        *o = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    }
    let mut trailing = 0u32;
    match *rest {
        [] => {}
        [a, b] => {
            let (a, b) = (digit(a), digit(b));
            marks |= a | b;
            out_rest[0] = ((a << 2) | (b >> 4)) as u8;
            trailing = b & 0x0F;
        }
        [a, b, c] => {
            let (a, b, c) = (digit(a), digit(b), digit(c));
            marks |= a | b | c;
            let n = (a << 10) | (b << 4) | (c >> 2);
            out_rest[0] = (n >> 8) as u8;
            out_rest[1] = n as u8;
            trailing = c & 0x03;
        }
        _ => return Err(BasicError::NotBase64),
    }
    if marks & u32::from(NOT_TOKEN68) != 0 {
        Err(BasicError::NotToken68)
    } else if marks & u32::from(NOT_BASE64) != 0 || trailing != 0 {
        Err(BasicError::NotBase64)
    } else {
        Ok(())
    }
}

/// The offset of the first colon of decoded credentials, after checking that they hold no
/// control character; and whether they are all ASCII (hence UTF-8). One pass.
fn check_decoded(bytes: &[u8]) -> Result<(usize, bool), BasicError> {
    let colon = bytes.iter().position(|&b| b == b':').ok_or(BasicError::NoColon)?;
    // One branch-free fold (it vectorises): bit 7 of `high` for non-ASCII, `control`.
    let (control, high) = bytes.iter().fold((false, 0u8), |(control, high), &b| {
        (control | (b < 0x20) | (b == 0x7F), high | b)
    });
    if control {
        return Err(BasicError::ControlCharacter);
    }
    Ok((colon, high < 0x80))
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

    /// Like [`verify`](Self::verify), but a verifier that can answer without waiting (a
    /// fixed credential, an in-memory table) returns [`Started::Done`], which lets the
    /// layer skip its asynchronous machinery. The answer must be the one `verify` would
    /// give. The default returns [`Started::Pending`]`(self.verify(credentials))`.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use std::future::{Ready, ready};
    /// use tower_httpauth::{BasicCredentials, BasicVerifier, Started, constant_time_eq};
    ///
    /// struct OneUser;
    ///
    /// impl BasicVerifier for OneUser {
    ///     type User = String;
    ///     type Error = Infallible;
    ///     type Future = Ready<Result<Option<String>, Infallible>>;
    ///
    ///     fn verify(&self, c: BasicCredentials) -> Self::Future {
    ///         ready(self.check(&c))
    ///     }
    ///
    ///     fn start(&self, c: BasicCredentials) -> Started<Result<Option<String>, Infallible>, Self::Future> {
    ///         Started::Done(self.check(&c))
    ///     }
    /// }
    ///
    /// impl OneUser {
    ///     fn check(&self, c: &BasicCredentials) -> Result<Option<String>, Infallible> {
    ///         let ok = constant_time_eq(c.username().as_bytes(), b"john")
    ///             & constant_time_eq(c.password().as_bytes(), b"hello");
    ///         Ok(ok.then(|| "john".to_owned()))
    ///     }
    /// }
    /// ```
    #[allow(clippy::type_complexity)]
    fn start(&self, credentials: BasicCredentials) -> Started<Result<Option<Self::User>, Self::Error>, Self::Future> {
        Started::Pending(self.verify(credentials))
    }

    /// Recognises credentials in their encoded form, before [`Basic`] decodes them:
    /// `token68` is what follows the scheme name in the request's single `Authorization`
    /// field, as sent. A verifier holding a fixed credential answers `Some(user)` when
    /// `token68` is exactly that credential's canonical base64 (compared in constant time),
    /// and a layer with nothing else to check ([`Scheme::recognize`]) then accepts the
    /// request without decoding, RFC 8265 or [`start`](Self::start). Anything else (`None`,
    /// the default) is decoded and verified as usual, so a verifier
    /// must answer `Some` only for credentials that [`verify`](Self::verify) accepts after
    /// decoding. [`StaticCredentials`] implements it.
    ///
    /// ```
    /// use tower_httpauth::{BasicVerifier, StaticCredentials};
    /// let v = StaticCredentials::new("Aladdin", "open sesame");
    /// assert_eq!(v.recognize(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), Some(()));
    /// assert_eq!(v.recognize(b"QWxhZGRpbjpvcGVuIHNlc2FtZA=="), None); // "open sesamd"
    /// ```
    fn recognize(&self, token68: &[u8]) -> Option<Self::User> {
        let _ = token68;
        None
    }

    /// Whether [`recognize`](Self::recognize) can ever answer `Some`: `false` (the default)
    /// spares the other verifiers the header lookup it needs. Set it to `true` when you
    /// implement `recognize`.
    const RECOGNIZES: bool = false;
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

impl<F, V> BasicVerifier for SyncFn<F>
where
    F: Fn(&BasicCredentials) -> V + Send + Sync + 'static,
    V: Verdict,
    V::User: Clone + Send + Sync + 'static,
    V::Error: Send + 'static,
{
    type User = V::User;
    type Error = V::Error;
    type Future = std::future::Ready<Result<Option<V::User>, V::Error>>;

    fn verify(&self, credentials: BasicCredentials) -> Self::Future {
        std::future::ready(self.call(&credentials))
    }

    fn start(&self, credentials: BasicCredentials) -> Started<Result<Option<V::User>, V::Error>, Self::Future> {
        Started::Done(self.call(&credentials))
    }
}

/// The Basic scheme: parses credentials, calls the verifier, writes the challenge.
pub struct Basic<V> {
    verifier: V,
    scheme_name: Cow<'static, str>,
    realm: String,
    challenge: HeaderValue,
    max_header_len: usize,
    precis: Precis,
}

impl<V> fmt::Debug for Basic<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("scheme_name", &self.scheme_name)
            .field("realm", &self.realm)
            .field("max_header_len", &self.max_header_len)
            .field("precis", &self.precis)
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
            precis: Precis::Enforce,
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

    /// Whether user-ids and passwords are enforced per RFC 8265 before the verifier sees
    /// them (default [`Precis::Enforce`]; see [`precis`](crate::precis)).
    ///
    /// With [`Precis::Enforce`], the verifier (and [`Passwords`], [`StaticCredentials`],
    /// `HashedPasswords`, `Htpasswd`) gets the enforced user-id and password, so stored
    /// passwords and hashes must be of the enforced forms; a user-id or password the profiles
    /// refuse is answered `401` and the verifier does not run. Printable-ASCII credentials
    /// are already in their enforced forms (and cost nothing more). [`Precis::Off`] hands the
    /// decoded text over byte for byte.
    ///
    /// ```
    /// use tower_httpauth::{Basic, Precis, StaticCredentials};
    /// // The default: "ｊｏｈｎ" (fullwidth) logs in as "john"; "e" + U+0301 matches "é".
    /// let basic = Basic::new(StaticCredentials::new("john", "caf\u{e9}"));
    /// // Byte for byte instead:
    /// let raw = Basic::new(StaticCredentials::new("john", "caf\u{e9}")).precis(Precis::Off);
    /// # let _ = (basic, raw);
    /// ```
    pub fn precis(mut self, mode: Precis) -> Self {
        self.precis = mode;
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

    /// Reads Basic credentials from a request head, in their RFC 8265 enforced forms unless
    /// [`precis`](Self::precis) is off. A user-id or password the profiles refuse, and an
    /// empty password whatever the setting, is an [`invalid`](AuthFailure::invalid) failure
    /// (`401`).
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
        let c =
            BasicCredentials::decode(token).map_err(|e| AuthFailure::malformed(e.message()).with_scheme("Basic"))?;
        // Whatever the PRECIS setting: an empty password is what an unset variable or an
        // empty hash gives a store, and no verifier should have to think of it.
        if c.password_bytes().is_empty() {
            return Err(AuthFailure::invalid()
                .with_scheme("Basic")
                .with_description("Basic password empty"));
        }
        if !self.precis.enforces() {
            return Ok(Some(c));
        }
        match c.precis_replacement() {
            Ok(None) => Ok(Some(c)),
            Ok(Some(enforced)) => Ok(Some(enforced)),
            Err(e) => Err(AuthFailure::invalid().with_scheme("Basic").with_description(match e {
                PrecisError::Empty => "Basic user-id or password empty (RFC 8265)",
                _ => "Basic user-id or password refused by RFC 8265 (PRECIS)",
            })),
        }
    }
}

/// The single `Authorization` field of a request, if any.
///
/// More than one field is malformed; a field longer than `max_len` is too large.
pub(crate) fn authorization(headers: &HeaderMap, max_len: usize) -> Result<Option<&HeaderValue>, AuthFailure> {
    let Ok(found) = crate::header::single(headers, &AUTHORIZATION) else {
        return Err(AuthFailure::malformed("more than one Authorization header"));
    };
    let Some(first) = found else {
        return Ok(None);
    };
    if first.len() > max_len {
        return Err(AuthFailure::new(FailureKind::HeaderTooLarge).with_description("Authorization header too large"));
    }
    Ok(Some(first))
}

impl<V: BasicVerifier> Scheme for Basic<V> {
    type User = V::User;
    type Future = BasicFuture<V::Future>;

    fn detect(&self, parts: &Parts) -> bool {
        crate::header::carries_scheme(&parts.headers, &self.scheme_name)
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

    fn start(&self, parts: &Parts) -> Started<Result<Authenticated<V::User>, AuthFailure>, Self::Future> {
        match self.credentials(parts) {
            Ok(Some(c)) => match self.verifier.start(c) {
                Started::Done(verdict) => Started::Done(basic_outcome(verdict)),
                Started::Pending(fut) => Started::Pending(BasicFuture {
                    state: BasicState::Verifying { fut },
                }),
            },
            Ok(None) => Started::Done(Err(AuthFailure::missing().with_scheme("Basic"))),
            Err(f) => Started::Done(Err(f)),
        }
    }

    fn recognize(&self, headers: &HeaderMap) -> Option<V::User> {
        if !V::RECOGNIZES {
            return None;
        }
        let credentials = crate::header::authorization_credentials(headers, &self.scheme_name, self.max_header_len)?;
        self.verifier.recognize(credentials)
    }

    fn challenge(&self, failure: &AuthFailure, headers: &mut HeaderMap) {
        let _ = failure;
        headers.append(WWW_AUTHENTICATE, self.challenge.clone());
    }

    fn username<'a>(&self, parts: &'a Parts) -> Option<Cow<'a, str>> {
        let (user, _) = self.credentials(parts).ok()??.into_parts();
        Some(Cow::Owned(user))
    }

    /// `true`: Basic reads `Authorization` only, which the proxy layer consumes itself.
    fn can_remove_credentials(&self) -> bool {
        true
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
            BasicStateProj::Verifying { fut } => Poll::Ready(basic_outcome(ready!(fut.poll(cx)))),
        }
    }
}

/// A verifier's answer as the scheme's outcome.
fn basic_outcome<U, E: Into<BoxError>>(verdict: Result<Option<U>, E>) -> Result<Authenticated<U>, AuthFailure> {
    match verdict {
        Ok(Some(user)) => Ok(Authenticated::new(user).with_scheme("Basic")),
        Ok(None) => Err(AuthFailure::invalid().with_scheme("Basic")),
        Err(e) => Err(AuthFailure::internal(e).with_scheme("Basic")),
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
    /// `base64(username ":" password)`, padded: what clients send, recognised without
    /// decoding ([`BasicVerifier::recognize`]). `None` when decoding could give something
    /// else (a form RFC 8265 changes or refuses, a colon in the user-id, a control).
    encoded: Option<Box<[u8]>>,
}

impl StaticCredentials {
    /// Accepts exactly `username` and `password`, kept in their RFC 8265 enforced forms
    /// (see [`precis`](crate::precis)), which is what [`Basic`] hands over by default: a
    /// password given decomposed (`e` + U+0301) matches one sent precomposed (`é`), and
    /// `ｊｏｈｎ` matches `john`. Another form the profiles refuse is kept as given: it never
    /// matches while [`Basic`] enforces, and matches byte for byte with [`Precis::Off`].
    ///
    /// # Panics
    ///
    /// If `username` or `password` is empty. Both are configuration (often read from the
    /// environment, where an unset variable reads as empty), so the mistake shows when the
    /// service starts instead of as a door that opens for `Basic Og==`; [`Basic`] refuses
    /// empty passwords anyway.
    ///
    /// ```should_panic
    /// # use tower_httpauth::StaticCredentials;
    /// let password = std::env::var("UNSET_ADMIN_PASSWORD").unwrap_or_default();
    /// let _ = StaticCredentials::new("admin", &password); // panics: empty password
    /// ```
    pub fn new(username: &str, password: &str) -> Self {
        assert!(
            !username.is_empty(),
            "StaticCredentials::new: the user-id is empty (an unset environment variable?)"
        );
        assert!(
            !password.is_empty(),
            "StaticCredentials::new: the password is empty (an unset environment variable?); \
             an empty password would let in anyone who knows the user-id"
        );
        let username = crate::precis::username_or_same(username);
        let password = crate::precis::password_or_same(password);
        StaticCredentials {
            encoded: canonical_encoding(&username, &password),
            username: username.as_bytes().into(),
            password: password.as_bytes().into(),
        }
    }
}

/// The padded base64 of `username ":" password`, when decoding it gives back exactly these
/// two strings whatever [`Precis`] says: both are RFC 8265 fixed points the profiles accept,
/// the user-id has no colon, and neither has a control character.
fn canonical_encoding(username: &str, password: &str) -> Option<Box<[u8]>> {
    let fixed_user = matches!(crate::precis::username(username), Ok(u) if u == username);
    let fixed_password = matches!(crate::precis::password(password), Ok(p) if p == password);
    let joined = format!("{username}:{password}");
    let decodes_back = check_decoded(joined.as_bytes()).is_ok_and(|(colon, _)| colon == username.len());
    (fixed_user && fixed_password && decodes_back).then(|| STANDARD.encode(joined).into_bytes().into_boxed_slice())
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
        std::future::ready(self.check(&c))
    }

    fn start(&self, c: BasicCredentials) -> Started<Result<Option<()>, Self::Error>, Self::Future> {
        Started::Done(self.check(&c))
    }

    const RECOGNIZES: bool = true;

    fn recognize(&self, token68: &[u8]) -> Option<()> {
        let encoded = self.encoded.as_deref()?;
        constant_time_eq(token68, encoded).then_some(())
    }
}

impl StaticCredentials {
    fn check(&self, c: &BasicCredentials) -> Result<Option<()>, std::convert::Infallible> {
        // Both comparisons always run: `&` not `&&`.
        let ok =
            constant_time_eq(c.username_bytes(), &self.username) & constant_time_eq(c.password_bytes(), &self.password);
        Ok(ok.then_some(()))
    }
}

/// A Basic verifier over a store of (hashed) passwords, like Flask-HTTPAuth's
/// `get_password` + `hash_password`.
///
/// `lookup` receives the user-id and returns the user with their stored password (or its
/// hash), `None` for an unknown user, or an error. The presented password is passed
/// through the hash function (if any) and compared with the stored value in constant
/// time; an empty password is never accepted (an empty stored value matches nothing). An
/// unknown user costs the same hashing and comparison as a known one. What remains
/// is your lookup's own timing, and a few nanoseconds for handling (and dropping) the found
/// record: `benches/constant_time.rs` measures 6–11 ns (4–7 %, depending on the build and the
/// allocator's state) between a known and an unknown user with an in-memory lookup, far below
/// the jitter of any real store and network, but not zero. Keep lookups uniform in cost if that
/// matters to you.
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
///
/// The lookup gets the user-id, and the hash function the password, in their RFC 8265
/// forms unless [`Basic::precis`] is off: store (hashes of) those forms, see
/// [`precis`](crate::precis).
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
            empty: password.is_empty(),
        }
    }
}

pin_project! {
    /// The future of a [`Passwords`] verification.
    pub struct PasswordsFuture<F> {
        #[pin]
        lookup: F,
        presented: Vec<u8>,
        // The presented password was empty: refused after the same work (`Basic` never
        // hands one over; this covers direct calls).
        empty: bool,
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
        let nonempty = !*this.empty;
        Poll::Ready(Ok(match found {
            Some((user, stored)) => (constant_time_eq(&presented, stored.as_ref()) & nonempty).then_some(user),
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
    fn all_printable_ascii_is_exact() {
        let naive = |b: &[u8]| b.iter().all(|&c| (0x20..=0x7E).contains(&c));
        for len in 0..40usize {
            let base: Vec<u8> = (0..len).map(|i| b'!' + (i % 90) as u8).collect();
            assert_eq!(all_printable_ascii(&base), naive(&base), "len {len}");
            for pos in 0..len {
                for byte in 0..=255u8 {
                    let mut v = base.clone();
                    v[pos] = byte;
                    assert_eq!(all_printable_ascii(&v), naive(&v), "len {len}, byte {byte:#x} at {pos}");
                }
            }
        }
        // Two odd bytes in one word, where a borrow or carry could cross between them.
        for a in 0..=255u8 {
            for b in [0x00, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xFF] {
                let v = [b'a', a, b, b'z', b'k', b'q', b'x', b'y', b'p'];
                assert_eq!(all_printable_ascii(&v), naive(&v), "{a:#x} {b:#x}");
            }
        }
    }

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
    fn inline_and_heap_storage_agree() {
        // Around the inline bound, and far beyond it; decoded, built, and split.
        let n = INLINE_CREDENTIALS_LEN;
        for len in [1usize, 2, 50, n - 1, n, n + 1, n + 2, 300] {
            // `len` bytes in all: user-id, colon, and a password that holds a colon too.
            let user = "u".repeat(len / 3);
            let rest = len - len / 3 - 1;
            let pass = ":".repeat(rest.min(1)) + &"x".repeat(rest.saturating_sub(1));
            assert_eq!(user.len() + 1 + pass.len(), len);
            let built = BasicCredentials::new(&user, &pass);
            let value = built.to_header_value();
            let token = &value.as_bytes()[6..];
            let decoded = BasicCredentials::decode(token).unwrap();
            assert_eq!(
                (decoded.username(), decoded.password()),
                (user.as_str(), pass.as_str()),
                "len {len}"
            );
            assert_eq!(decoded, built);
            assert_eq!(decoded.clone().into_parts(), (user.clone(), pass.clone()));
        }
    }

    #[test]
    fn latin1_growing_past_the_inline_bound() {
        // 100 bytes of 0xE9 ("é" in Latin-1) become 200 bytes of UTF-8.
        let mut raw = vec![0xE9u8; 100];
        raw.extend_from_slice(b":pw");
        let token = STANDARD.encode(&raw);
        let c = BasicCredentials::decode(token.as_bytes()).unwrap();
        assert_eq!(c.username(), "é".repeat(100));
        assert_eq!(c.password(), "pw");
    }

    /// The fused decoder agrees with `is_token68` + the `base64` crate's `STANDARD` engine
    /// on every verdict and every decoded byte.
    #[test]
    fn decoder_matches_the_base64_crate() {
        use crate::header::is_token68;
        let reference = |token: &[u8]| -> Result<Vec<u8>, BasicError> {
            if !is_token68(token) {
                return Err(BasicError::NotToken68);
            }
            STANDARD.decode(token).map_err(|_| BasicError::NotBase64)
        };
        let ours = |token: &[u8]| -> Result<Vec<u8>, BasicError> {
            let (body, len) = decoded_len(token)?;
            let mut out = vec![0u8; len];
            decode_base64(body, &mut out)?;
            Ok(out)
        };
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-._~ !:\x00\x7f\xff";
        for round in 0..60_000 {
            let token: Vec<u8> = if round % 2 == 0 {
                // Valid encodings of random bytes, sometimes with one byte changed.
                let raw: Vec<u8> = (0..next() % 40).map(|_| next() as u8).collect();
                let mut t = STANDARD.encode(&raw).into_bytes();
                if round % 4 == 0 && !t.is_empty() {
                    let i = (next() as usize) % t.len();
                    t[i] = alphabet[(next() as usize) % alphabet.len()];
                }
                t
            } else {
                // Random strings over base64, token68 and other characters.
                (0..next() % 12)
                    .map(|_| alphabet[(next() as usize) % alphabet.len()])
                    .collect()
            };
            assert_eq!(
                ours(&token),
                reference(&token),
                "token {:?}",
                String::from_utf8_lossy(&token)
            );
        }
        // Every non-canonical trailing-bit form of a short input.
        for t in [
            &b"QQ=="[..],
            b"QR==",
            b"QUI=",
            b"QUJ=",
            b"QUJD",
            b"Q===",
            b"QUJDRA=",
            b"=",
            b"",
            b"QQ",
            b"QQ=",
            b"QQ===",
        ] {
            assert_eq!(ours(t), reference(t), "token {:?}", String::from_utf8_lossy(t));
        }
    }

    #[test]
    fn debug_hides_password() {
        let c = BasicCredentials::new("john", "hunter2");
        let s = format!("{c:?}");
        assert!(s.contains("john") && !s.contains("hunter2"));
        assert!(!format!("{:?}", StaticCredentials::new("a", "hunter2")).contains("hunter2"));
    }
}
