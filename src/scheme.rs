//! The trait every authentication scheme implements.
//!
//! A scheme reads its credentials from the request head, verifies them (usually by calling
//! the user's [`Verifier`](crate::Verifier)), and writes its challenges into failure
//! responses. The [`AuthLayer`](crate::AuthLayer) does the rest: exemptions, optional mode,
//! roles, failure responses, proxy mode, and handing the user on.
//!
//! Schemes know nothing of each other; [`Multi`](crate::Multi) composes them through this
//! trait alone. A scheme of your own, reading a made-up `X-Token` header:
//!
//! ```
//! use std::future::{Ready, ready};
//! use http::HeaderMap;
//! use tower_httpauth::{AuthFailure, AuthLayer, Scheme, constant_time_eq};
//! use tower_httpauth::scheme::AuthRequest;
//! use tower_httpauth::scheme::Authenticated;
//!
//! struct XToken;
//!
//! impl Scheme for XToken {
//!     type User = ();
//!     type Future = Ready<Result<Authenticated<()>, AuthFailure>>;
//!
//!     fn detect(&self, request: &AuthRequest<'_>) -> bool {
//!         request.parts().headers.contains_key("x-token")
//!     }
//!
//!     fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future {
//!         ready(match request.parts().headers.get("x-token") {
//!             None => Err(AuthFailure::missing()),
//!             Some(v) if constant_time_eq(v.as_bytes(), b"s3cret") => Ok(Authenticated::new(())),
//!             Some(_) => Err(AuthFailure::invalid()),
//!         })
//!     }
//!
//!     fn challenge(&self, _failure: &AuthFailure, challenges: &mut HeaderMap) {
//!         challenges.append(http::header::WWW_AUTHENTICATE, "XToken".parse().unwrap());
//!     }
//! }
//!
//! let layer = AuthLayer::new(XToken);
//! # let _ = layer;
//! ```

use std::borrow::Cow;
use std::future::Future;

use http::header::{AUTHORIZATION, PROXY_AUTHORIZATION};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::failure::{AuthFailure, FailureKind};
use crate::header;

/// The result of a successful authentication.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authenticated<U> {
    /// The user, handed to the inner service as [`AuthUser<U>`](crate::AuthUser).
    pub user: U,
    /// Headers for the inner service's response (Digest's `Authentication-Info`,
    /// `Cache-Control: private` for tokens that did not come in the credentials field).
    /// Usually empty.
    pub response_headers: HeaderMap,
    /// The scheme that authenticated the request (`"Basic"`, `"Digest"`, `"Bearer"`, …).
    /// When the user then lacks a role, the `403` names this scheme, so that behind
    /// [`Multi`](crate::Multi) only its challenge carries an error.
    pub scheme: Option<&'static str>,
}

impl<U> Authenticated<U> {
    /// A success with no extra response headers.
    pub fn new(user: U) -> Self {
        Authenticated {
            user,
            response_headers: HeaderMap::new(),
            scheme: None,
        }
    }

    /// Records the scheme that authenticated the request.
    pub fn with_scheme(mut self, scheme: &'static str) -> Self {
        self.scheme = Some(scheme);
        self
    }
}

/// The request head a scheme reads its credentials from, and the field they come in:
/// `Authorization`, or `Proxy-Authorization` when the layer is in
/// [proxy mode](crate::AuthLayer::proxy). Schemes read that field through
/// [`authorization`](Self::authorization) and [`credentials`](Self::credentials), so that
/// every scheme works behind a proxy layer without knowing it.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    parts: &'a Parts,
    proxy: bool,
    max_len: usize,
}

impl<'a> AuthRequest<'a> {
    /// A request whose credentials come in `Authorization`, with the default bound on
    /// that field's length (see [`AuthLayer::max_header_len`](crate::AuthLayer::max_header_len)).
    pub fn new(parts: &'a Parts) -> Self {
        AuthRequest {
            parts,
            proxy: false,
            max_len: header::DEFAULT_MAX_LEN,
        }
    }

    pub(crate) fn configured(parts: &'a Parts, proxy: bool, max_len: usize) -> Self {
        AuthRequest { parts, proxy, max_len }
    }

    /// The bound on the credentials field's length
    /// ([`AuthLayer::max_header_len`](crate::AuthLayer::max_header_len)), which bounds the
    /// credentials a scheme reads from elsewhere too (Bearer's token header, parameter and
    /// cookie).
    pub(crate) fn max_header_len(&self) -> usize {
        self.max_len
    }

    /// The request head: method, URI, headers, extensions.
    pub fn parts(&self) -> &'a Parts {
        self.parts
    }

    /// Whether the credentials are a proxy's (`Proxy-Authorization`, answered with `407`).
    pub fn is_proxy(&self) -> bool {
        self.proxy
    }

    /// The name of the field credentials come in: `Authorization` or `Proxy-Authorization`.
    pub fn field_name(&self) -> &'static HeaderName {
        if self.proxy {
            &PROXY_AUTHORIZATION
        } else {
            &AUTHORIZATION
        }
    }

    /// The request's single credentials field, if any.
    ///
    /// More than one such field is [malformed](FailureKind::Malformed) (`400`); one longer
    /// than the configured bound is [too large](FailureKind::HeaderTooLarge) (`431`).
    pub fn authorization(&self) -> Result<Option<&'a HeaderValue>, AuthFailure> {
        let Ok(found) = header::single(&self.parts.headers, self.field_name()) else {
            return Err(AuthFailure::malformed("more than one credentials field"));
        };
        match found {
            Some(value) if value.len() > self.max_len => {
                Err(AuthFailure::new(FailureKind::HeaderTooLarge).with_description("credentials field too large"))
            }
            found => Ok(found),
        }
    }

    /// What follows the scheme name `scheme` (matched case-insensitively) in the single
    /// credentials field, with surrounding spaces removed; `Ok(None)` when there is no such
    /// field or it names another scheme. Errors as [`authorization`](Self::authorization),
    /// and a field that does not start with a scheme name is malformed.
    ///
    /// ```
    /// use tower_httpauth::scheme::AuthRequest;
    /// let req = http::Request::builder().header("authorization", "basic  QWxhZGRpbjpvcGVuIHNlc2FtZQ==").body(()).unwrap();
    /// let (parts, _) = req.into_parts();
    /// let request = AuthRequest::new(&parts);
    /// assert_eq!(request.credentials("Basic").unwrap(), Some(&b"QWxhZGRpbjpvcGVuIHNlc2FtZQ=="[..]));
    /// assert_eq!(request.credentials("Bearer").unwrap(), None);
    /// ```
    pub fn credentials(&self, scheme: &str) -> Result<Option<&'a [u8]>, AuthFailure> {
        let Some(value) = self.authorization()? else {
            return Ok(None);
        };
        let Some((name, rest)) = header::split_scheme(value.as_bytes()) else {
            return Err(AuthFailure::malformed("unparseable credentials field"));
        };
        Ok(name.eq_ignore_ascii_case(scheme).then_some(rest))
    }

    /// Whether any credentials field names the scheme `scheme` (matched
    /// case-insensitively), for [`Scheme::detect`].
    pub fn carries(&self, scheme: &str) -> bool {
        self.parts
            .headers
            .get_all(self.field_name())
            .iter()
            .any(|v| header::starts_with_scheme(v.as_bytes(), scheme))
    }
}

/// An HTTP authentication scheme (Basic, Digest, Bearer, …).
///
/// The future returned by [`authenticate`](Scheme::authenticate) is an associated type so
/// that the layer's response future can name it without boxing, as tower's
/// `Service::Future` is.
pub trait Scheme: Send + Sync + 'static {
    /// The authenticated user handed to the inner service.
    type User: Clone + Send + Sync + 'static;

    /// The future that verifies the credentials.
    type Future: Future<Output = Result<Authenticated<Self::User>, AuthFailure>> + Send + 'static;

    /// Whether the request carries credentials meant for this scheme (its name in the
    /// credentials field, its own header, its cookie, …). [`Multi`](crate::Multi) uses it to
    /// pick a scheme, and the throttle to tell a login attempt from a request without one.
    fn detect(&self, request: &AuthRequest<'_>) -> bool;

    /// Reads the credentials and starts verifying them.
    ///
    /// A request without credentials for this scheme yields
    /// [`FailureKind::MissingCredentials`].
    fn authenticate(&self, request: &AuthRequest<'_>) -> Self::Future;

    /// Appends this scheme's challenge(s) for `failure` to `challenges` as
    /// `WWW-Authenticate` fields, one field per challenge. (The layer renames them
    /// `Proxy-Authenticate` in proxy mode.)
    fn challenge(&self, failure: &AuthFailure, challenges: &mut HeaderMap);

    /// The user-id the credentials claim, if the scheme can read one without verifying
    /// anything (Basic's user-id, Digest's `username`), for the
    /// [`throttle`](crate::throttle) to count failed attempts per user-id.
    ///
    /// The default returns `None`: failures are then counted per client address only.
    fn username<'a>(&self, request: &AuthRequest<'a>) -> Option<Cow<'a, str>> {
        let _ = request;
        None
    }

    /// Whether [`remove_credentials`](Self::remove_credentials) takes every credential this
    /// scheme reads off a request. [`AuthLayer::proxy`](crate::AuthLayer::proxy) refuses to
    /// build with a scheme that answers `false`, because a forward proxy would then hand the
    /// user's proxy credentials on to whatever host the client names.
    ///
    /// The default is `false`: the layer cannot know where a scheme of yours reads from. A
    /// scheme that reads only the credentials field (which the layer handles itself) answers
    /// `true` and keeps the default `remove_credentials`. Every scheme of this crate answers
    /// `true`; [`Multi`](crate::Multi) answers `true` when all its schemes do.
    fn can_remove_credentials(&self) -> bool {
        false
    }

    /// Removes from `parts` every place other than the credentials field that this scheme
    /// reads credentials from: a custom header, a cookie (out of the `Cookie` field, leaving
    /// the other cookies), a query parameter (out of the request-target, leaving the rest of
    /// it as it was). Called only in [proxy mode](crate::AuthLayer::proxy), on every request
    /// before it goes on (authenticated, exempt or anonymous), so that credentials for the
    /// proxy never reach the next hop. The credentials field (`Proxy-Authorization` there) is
    /// the layer's to remove; leave `Authorization`, the origin's, alone.
    ///
    /// The default removes nothing, which is right for a scheme that reads the credentials
    /// field only. Say so with [`can_remove_credentials`](Self::can_remove_credentials).
    fn remove_credentials(&self, parts: &mut Parts) {
        let _ = parts;
    }
}

pub(crate) use future::SchemeFuture;

/// A verifier's refusal of credentials that were presented: "missing" cannot be said of them
/// (on an optional route it would let the request through anonymously), so it becomes
/// "invalid".
pub(crate) fn presented(failure: AuthFailure) -> AuthFailure {
    if failure.kind() == FailureKind::MissingCredentials {
        let mut invalid = AuthFailure::invalid();
        if let Some(description) = failure.description() {
            invalid = invalid.with_description(description.to_owned());
        }
        invalid
    } else {
        failure
    }
}

mod future {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, ready};

    use http::HeaderMap;
    use pin_project_lite::pin_project;

    use super::{Authenticated, presented};
    use crate::failure::AuthFailure;

    pin_project! {
        /// The future of a scheme that hands credentials to a verifier: refused at once, or
        /// the verifier's future, whose user becomes an [`Authenticated`] of `scheme`.
        pub struct SchemeFuture<F> {
            #[pin]
            state: State<F>,
            scheme: &'static str,
        }
    }

    pin_project! {
        #[project = StateProj]
        enum State<F> {
            Refused { failure: Option<AuthFailure> },
            Verifying { #[pin] fut: F, headers: Option<HeaderMap> },
        }
    }

    impl<F> SchemeFuture<F> {
        /// Refused before any verifier runs.
        pub(crate) fn refused(scheme: &'static str, failure: AuthFailure) -> Self {
            SchemeFuture {
                state: State::Refused {
                    failure: Some(failure.with_scheme(scheme)),
                },
                scheme,
            }
        }

        /// Waits for the verifier; on success `headers` go on the response.
        pub(crate) fn verifying(scheme: &'static str, fut: F, headers: HeaderMap) -> Self {
            SchemeFuture {
                state: State::Verifying {
                    fut,
                    headers: Some(headers),
                },
                scheme,
            }
        }
    }

    impl<F, U> Future for SchemeFuture<F>
    where
        F: Future<Output = Result<U, AuthFailure>>,
    {
        type Output = Result<Authenticated<U>, AuthFailure>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = self.project();
            let scheme = *this.scheme;
            match this.state.project() {
                StateProj::Refused { failure } => {
                    Poll::Ready(Err(failure.take().expect("SchemeFuture polled after completion")))
                }
                StateProj::Verifying { fut, headers } => Poll::Ready(match ready!(fut.poll(cx)) {
                    Ok(user) => {
                        let mut auth = Authenticated::new(user).with_scheme(scheme);
                        auth.response_headers = headers.take().unwrap_or_default();
                        Ok(auth)
                    }
                    Err(failure) => Err(presented(failure).with_scheme(scheme)),
                }),
            }
        }
    }
}
