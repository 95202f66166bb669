//! HTTP Basic authentication (RFC 7617).
//!
//! [`Basic`] reads `Authorization: Basic <base64(user ":" password)>`, hands the decoded
//! [`BasicCredentials`] to your [`Verifier`] and challenges with
//! `WWW-Authenticate: Basic realm="…", charset="UTF-8"`.
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
//! The verifier returns the user, `None` for wrong credentials, or an error when your user
//! store itself failed (answered `500`, never `401`): see [`verify`](crate::verify). If you
//! keep (hashed) passwords, [`Passwords`] does the lookup-and-compare in constant time, the
//! way Flask-HTTPAuth's `get_password` / `hash_password` do; [`StaticCredentials`] holds one
//! fixed user-id and password.
//!
//! # Parsing
//!
//! - The scheme name matches case-insensitively, followed by one or more spaces and a
//!   `token68`, which must be standard, padded base64 (base64url and unpadded input are
//!   malformed: `400`).
//! - The decoded text is split at the **first** colon, so passwords may contain colons. No
//!   colon, or a control character in user-id or password, is malformed (`400`).
//! - The text is read as UTF-8; if it is not UTF-8 it is read as ISO-8859-1 (RFC 7617
//!   App. B.2), which is what python `requests` sends for non-ASCII credentials.
//! - More than one `Authorization` field is malformed (`400`); a field longer than
//!   [`AuthLayer::max_header_len`](crate::AuthLayer::max_header_len) is answered `431`.
//! - The user-id and password are then enforced per RFC 8265 (PRECIS: UsernameCasePreserved
//!   and OpaqueString, as RFC 7617 §2.1 asks with `charset="UTF-8"`), on the ISO-8859-1
//!   fallback too: your verifier gets the enforced forms (NFC, fullwidth user-ids mapped to
//!   ASCII), and credentials the profiles refuse (an empty password, a C1 control, an
//!   unassigned code point, …) are answered `401` without calling it. Store the enforced
//!   forms: see [`precis`](crate::precis), and [`Basic::precis`] to turn it off.
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

use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderValue};

use crate::failure::AuthFailure;
use crate::header::Challenge;
use crate::precis::{Precis, PrecisError};
use crate::scheme::{AuthRequest, Scheme, SchemeFuture};
use crate::verify::Verifier;

mod credentials;
mod fixed;
mod passwords;

pub use credentials::BasicCredentials;
pub use fixed::StaticCredentials;
pub use passwords::Passwords;

/// The name failures of this scheme carry ([`AuthFailure::scheme`]).
const LABEL: &str = "Basic";

/// The Basic scheme: reads the credentials, calls the verifier, writes the challenge.
pub struct Basic<V> {
    verifier: V,
    scheme_name: Cow<'static, str>,
    realm: String,
    challenge: HeaderValue,
    precis: Precis,
}

impl<V> fmt::Debug for Basic<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("scheme_name", &self.scheme_name)
            .field("realm", &self.realm)
            .field("precis", &self.precis)
            .finish_non_exhaustive()
    }
}

impl<V: Verifier<BasicCredentials>> Basic<V> {
    /// Basic authentication with `verifier`, realm `"Restricted"`.
    pub fn new(verifier: V) -> Self {
        let mut basic = Basic {
            verifier,
            scheme_name: Cow::Borrowed("Basic"),
            realm: String::from("Restricted"),
            challenge: HeaderValue::from_static(""),
            precis: Precis::Enforce,
        };
        basic.challenge = basic.build_challenge();
        basic
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

    /// Whether user-ids and passwords are enforced per RFC 8265 before the verifier sees
    /// them (default [`Precis::Enforce`]; see [`precis`](crate::precis)).
    ///
    /// With [`Precis::Enforce`], the verifier (and [`Passwords`], [`StaticCredentials`], the
    /// stores) gets the enforced user-id and password, so stored passwords and hashes must
    /// be of the enforced forms; a user-id or password the profiles refuse is answered `401`
    /// and the verifier does not run. Printable-ASCII credentials are already in their
    /// enforced forms. [`Precis::Off`] hands the decoded text over byte for byte; an empty
    /// password is refused either way.
    ///
    /// ```
    /// use tower_httpauth::Basic;
    /// use tower_httpauth::precis::Precis;
    /// use tower_httpauth::basic::StaticCredentials;
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

    /// Reads the Basic credentials of a request, in their RFC 8265 enforced forms unless
    /// [`precis`](Self::precis) is off; `Ok(None)` when there are none for this scheme. A
    /// user-id or password the profiles refuse, and an empty password whatever the setting,
    /// is an [`invalid`](AuthFailure::invalid) failure (`401`).
    fn credentials(&self, request: &AuthRequest<'_>) -> Result<Option<BasicCredentials>, AuthFailure> {
        let Some(token) = request.credentials(&self.scheme_name)? else {
            return Ok(None);
        };
        let c = BasicCredentials::decode(token).map_err(|e| AuthFailure::malformed(e.message()))?;
        // Whatever the PRECIS setting: an empty password is what an unset variable or an
        // empty hash gives a store, and no verifier should have to think of it.
        if c.password().is_empty() {
            return Err(AuthFailure::invalid().with_description("Basic password empty"));
        }
        if !self.precis.enforces() {
            return Ok(Some(c));
        }
        match c.enforced() {
            Ok(None) => Ok(Some(c)),
            Ok(Some(enforced)) => Ok(Some(enforced)),
            Err(e) => Err(AuthFailure::invalid().with_description(match e {
                PrecisError::Empty => "Basic user-id or password empty (RFC 8265)",
                _ => "Basic user-id or password refused by RFC 8265 (PRECIS)",
            })),
        }
    }
}

impl<V: Verifier<BasicCredentials>> Scheme for Basic<V> {
    type User = V::User;
    type Future = SchemeFuture<V::Future>;

    fn detect(&self, request: &AuthRequest<'_>) -> bool {
        request.carries(&self.scheme_name)
    }

    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
        match self.credentials(request) {
            Ok(Some(c)) => SchemeFuture::verifying(LABEL, self.verifier.verify(c, request.parts()), HeaderMap::new()),
            Ok(None) => SchemeFuture::refused(LABEL, AuthFailure::missing()),
            Err(failure) => SchemeFuture::refused(LABEL, failure),
        }
    }

    fn challenge(&self, _failure: &AuthFailure, challenges: &mut HeaderMap) {
        challenges.append(WWW_AUTHENTICATE, self.challenge.clone());
    }

    fn username<'a>(&self, request: &AuthRequest<'a>) -> Option<Cow<'a, str>> {
        let (user, _) = self.credentials(request).ok()??.into_parts();
        Some(Cow::Owned(user))
    }

    /// `true`: Basic reads the credentials field only, which the layer handles itself.
    fn can_remove_credentials(&self) -> bool {
        true
    }
}
