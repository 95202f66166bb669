//! Why a request was refused, the default responses, and the hook to customise them.
//!
//! Every refusal is an [`AuthFailure`] of one [`FailureKind`]. The layer turns it into a
//! response through a [`FailureHandler`]; the default, [`DefaultFailure`], answers with the
//! kind's status and a one-line `text/plain; charset=utf-8` body such as `401 Unauthorized:
//! this resource needs authentication`. Whatever the handler returns, the layer then adds the
//! scheme's challenges to a `400`, `401` or `403` that lacks a `WWW-Authenticate` field (RFC
//! 9110 §15.5.2 requires one on `401`; RFC 6750 §3.1 puts Bearer's errors on `400` and
//! `403`), and `Retry-After` to a `429` that lacks one, so a handler only writes its body.
//!
//! The body is there for people: without one, Chromium shows its own "HTTP ERROR 401" page
//! and ELinks offers to save an empty `application/octet-stream` download instead of
//! showing the refusal. It needs a response body type that can be made from a
//! `&'static str` (axum's `Body`, `String`, `Bytes`, `http_body_util::Full<Bytes>`). With
//! another body type (tonic's `Body`, `http_body_util::Empty`, a boxed body) set a handler
//! with [`AuthLayer::on_failure`](crate::AuthLayer::on_failure); the former default, an
//! empty body, is:
//!
//! ```
//! use http::Response;
//! use http::request::Parts;
//! use http_body_util::Empty;
//! use bytes::Bytes;
//! use tower_httpauth::{AuthFailure, AuthLayer, Basic};
//! use tower_httpauth::basic::StaticCredentials;
//!
//! fn empty_failure(f: &AuthFailure, _: &Parts) -> Response<Empty<Bytes>> {
//!     // The layer adds the challenges and `Retry-After`.
//!     let mut res = Response::new(Empty::new());
//!     *res.status_mut() = f.status();
//!     res
//! }
//! let layer = AuthLayer::new(Basic::new(StaticCredentials::new("admin", "s3cret"))).on_failure(empty_failure);
//! # let _ = layer;
//! ```
//!
//! A custom handler is a closure from the failure and the request parts to a response:
//!
//! ```
//! use http::{Response, StatusCode};
//! use tower_httpauth::{AuthFailure, AuthLayer, Basic, BasicCredentials, FailureKind};
//!
//! let scheme = Basic::new(|c: BasicCredentials| async move {
//!     (c.username() == "john" && c.password() == "hello").then_some(())
//! });
//! let layer = AuthLayer::new(scheme).on_failure(|f: &AuthFailure, _parts: &http::request::Parts| {
//!     let body = format!(r#"{{"error":"{}"}}"#, f.kind().code());
//!     Response::builder()
//!         .status(f.status())
//!         .header("content-type", "application/json")
//!         .body(body)
//!         .unwrap()
//! });
//! # let _ = layer;
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::header::{CONTENT_TYPE, HeaderMap};
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode};

use crate::BoxError;

/// The kinds of refusal, each with its own status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// No credentials of any accepted scheme: `401` with the challenges.
    MissingCredentials,
    /// Credentials were presented and rejected (wrong password, unknown user, bad token,
    /// forged nonce): `401` with the challenges.
    InvalidCredentials,
    /// The credentials were right but the Digest nonce has expired or was used up: `401`
    /// with `stale=true`, so the client retries without asking the user again.
    StaleNonce,
    /// The request is malformed (unparseable header, several `Authorization` fields,
    /// a Digest `uri` that does not match the request): `400`.
    Malformed,
    /// The `Authorization` field is longer than the configured bound: `431`.
    HeaderTooLarge,
    /// A body that had to be read for authentication is larger than allowed: `413`.
    PayloadTooLarge,
    /// Authenticated, but the user lacks what the route requires: `403`.
    Forbidden,
    /// Too many failed attempts; try again later: `429` with `Retry-After`.
    TooManyRequests,
    /// The verifier, roles hook or a store failed (a database is down): `500`. Logged, never
    /// answered as `401`, never let through.
    Internal,
}

impl FailureKind {
    /// The status code the default handler answers with.
    pub fn status(self) -> StatusCode {
        match self {
            FailureKind::MissingCredentials | FailureKind::InvalidCredentials | FailureKind::StaleNonce => {
                StatusCode::UNAUTHORIZED
            }
            FailureKind::Malformed => StatusCode::BAD_REQUEST,
            FailureKind::HeaderTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            FailureKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FailureKind::Forbidden => StatusCode::FORBIDDEN,
            FailureKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            FailureKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short, stable, machine-readable name (`"missing_credentials"`, …), for logs and
    /// error bodies.
    pub fn code(self) -> &'static str {
        match self {
            FailureKind::MissingCredentials => "missing_credentials",
            FailureKind::InvalidCredentials => "invalid_credentials",
            FailureKind::StaleNonce => "stale_nonce",
            FailureKind::Malformed => "malformed_request",
            FailureKind::HeaderTooLarge => "header_too_large",
            FailureKind::PayloadTooLarge => "payload_too_large",
            FailureKind::Forbidden => "forbidden",
            FailureKind::TooManyRequests => "too_many_requests",
            FailureKind::Internal => "internal_error",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why one request was refused.
///
/// Built by schemes and by the layer; read by a [`FailureHandler`]. It never holds the
/// credentials themselves, so it is safe to log.
pub struct AuthFailure {
    kind: FailureKind,
    /// Answered by a proxy (`AuthLayer::proxy`): a `401` goes out as `407`.
    proxy: bool,
    scheme: Option<&'static str>,
    // The rest is boxed, and only when present: the common refusals (no credentials, wrong
    // credentials) allocate nothing for their failure, and `Result<_, AuthFailure>` stays small.
    extra: Option<Box<Extra>>,
}

#[derive(Default)]
struct Extra {
    description: Option<Cow<'static, str>>,
    source: Option<BoxError>,
    retry_after: Option<Duration>,
    scope: Option<Cow<'static, str>>,
    challenges: HeaderMap,
}

impl AuthFailure {
    /// A failure of the given kind.
    pub fn new(kind: FailureKind) -> Self {
        AuthFailure {
            kind,
            proxy: false,
            scheme: None,
            extra: None,
        }
    }

    /// No credentials were presented.
    pub fn missing() -> Self {
        Self::new(FailureKind::MissingCredentials)
    }

    /// Credentials were presented and rejected.
    pub fn invalid() -> Self {
        Self::new(FailureKind::InvalidCredentials)
    }

    /// The request is malformed; `description` says how (it is shown to the client by
    /// schemes that carry one, such as Bearer's `error_description`).
    pub fn malformed(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(FailureKind::Malformed).with_description(description)
    }

    /// The user is authenticated but not allowed here.
    pub fn forbidden() -> Self {
        Self::new(FailureKind::Forbidden)
    }

    /// A verifier, hook or store failed.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self::new(FailureKind::Internal).with_source(source)
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Adds a human-readable description that is safe to show to the client.
    pub fn with_description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.extra_mut().description = Some(description.into());
        self
    }

    /// Records which scheme produced the failure (`"Basic"`, `"Digest"`, …).
    pub fn with_scheme(mut self, scheme: &'static str) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// Records the error behind the failure (logged, never sent to the client).
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.extra_mut().source = Some(source.into());
        self
    }

    /// How long the client should wait (sent as `Retry-After` with `429`).
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.extra_mut().retry_after = Some(after);
        self
    }

    /// The scope (space-separated roles) that would have been enough, for `403` answers.
    pub fn with_scope(mut self, scope: impl Into<Cow<'static, str>>) -> Self {
        self.extra_mut().scope = Some(scope.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The status the default handler answers with. In proxy mode the layer turns a `401`
    /// into `407` afterwards (see [`proxy`](Self::proxy)).
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// Whether the layer answers as a proxy ([`AuthLayer::proxy`](crate::AuthLayer::proxy)):
    /// a `401` from the handler then goes out as `407 Proxy Authentication Required`, and
    /// `WWW-Authenticate` as `Proxy-Authenticate`. A handler writing its own text can say
    /// `407` when this is set.
    pub fn proxy(&self) -> bool {
        self.proxy
    }

    pub(crate) fn set_proxy(&mut self, proxy: bool) {
        self.proxy = proxy;
    }

    /// A description that is safe to show the client, if any.
    pub fn description(&self) -> Option<&str> {
        self.extra.as_ref()?.description.as_deref()
    }

    /// The scheme that produced the failure, if known.
    pub fn scheme(&self) -> Option<&'static str> {
        self.scheme
    }

    /// The underlying error, for [`FailureKind::Internal`] and the like.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.extra.as_ref()?.source.as_deref()
    }

    /// How long to wait before retrying, for [`FailureKind::TooManyRequests`].
    pub fn retry_after(&self) -> Option<Duration> {
        self.extra.as_ref()?.retry_after
    }

    /// The required scope, for [`FailureKind::Forbidden`].
    pub fn scope(&self) -> Option<&str> {
        self.extra.as_ref()?.scope.as_deref()
    }

    /// The challenges the layer computed for this failure: one `WWW-Authenticate` value
    /// per scheme (and per Digest algorithm), in preference order.
    pub fn challenges(&self) -> &HeaderMap {
        static NONE: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);
        match &self.extra {
            Some(extra) => &extra.challenges,
            None => &NONE,
        }
    }

    pub(crate) fn set_challenges(&mut self, challenges: HeaderMap) {
        if !challenges.is_empty() {
            self.extra_mut().challenges = challenges;
        }
    }
}

impl fmt::Debug for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthFailure")
            .field("kind", &self.kind)
            .field("proxy", &self.proxy)
            .field("description", &self.description())
            .field("scheme", &self.scheme)
            .field("source", &self.source())
            .field("retry_after", &self.retry_after())
            .field("scope", &self.scope())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.code())?;
        if let Some(d) = self.description() {
            write!(f, ": {d}")?;
        }
        if let Some(s) = self.source() {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

/// Builds the response for a refused request.
///
/// Implemented for closures `Fn(&AuthFailure, &Parts) -> Response<B>`. The layer adds the
/// failure's challenges to any `401` the handler returns without a `WWW-Authenticate`
/// field; for other statuses the handler decides (the challenges are in
/// [`AuthFailure::challenges`]).
pub trait FailureHandler<B>: Send + Sync + 'static {
    /// The response for `failure` on the request whose head is `parts`.
    fn respond(&self, failure: &AuthFailure, parts: &Parts) -> Response<B>;
}

impl<F, B> FailureHandler<B> for F
where
    F: Fn(&AuthFailure, &Parts) -> Response<B> + Send + Sync + 'static,
{
    fn respond(&self, failure: &AuthFailure, parts: &Parts) -> Response<B> {
        self(failure, parts)
    }
}

/// The default failure response: the kind's status, a one-line `text/plain;
/// charset=utf-8` body naming the status and the reason (`401 Unauthorized: this resource
/// needs authentication`; `407 Proxy Authentication Required: …` in proxy mode), the
/// challenges on `401`, `403` and `400`, and `Retry-After` on `429`.
///
/// It answers any response body type that can be made from a `&'static str`: axum's `Body`,
/// `String`, `Bytes`, `http_body_util::Full<Bytes>`. For other body types, see the
/// [module docs](self).
///
/// ```
/// use http::Response;
/// use tower_httpauth::AuthFailure;
/// use tower_httpauth::failure::{DefaultFailure, FailureHandler};
///
/// let parts = http::Request::new(()).into_parts().0;
/// let res: Response<String> = DefaultFailure.respond(&AuthFailure::missing(), &parts);
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
/// assert_eq!(res.body(), "401 Unauthorized: this resource needs authentication\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultFailure;

impl<B: From<&'static str>> FailureHandler<B> for DefaultFailure {
    fn respond(&self, failure: &AuthFailure, _parts: &Parts) -> Response<B> {
        default_response(failure)
    }
}

/// [`DefaultFailure`]'s response to `failure`: the status, the text, its `Content-Type`.
/// Also for refusals made outside the auth layer (`DigestBodyLayer`).
pub(crate) fn default_response<B: From<&'static str>>(failure: &AuthFailure) -> Response<B> {
    let mut res = Response::new(B::from(default_text(failure)));
    *res.status_mut() = failure.status();
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

/// The default body: the status the client will see and why, on one line. In proxy mode a
/// `401` leaves the layer as `407`, so its text says `407`.
fn default_text(failure: &AuthFailure) -> &'static str {
    match failure.kind {
        FailureKind::MissingCredentials | FailureKind::InvalidCredentials | FailureKind::StaleNonce
            if failure.proxy =>
        {
            "407 Proxy Authentication Required: this proxy needs authentication\n"
        }
        FailureKind::MissingCredentials | FailureKind::InvalidCredentials | FailureKind::StaleNonce => {
            "401 Unauthorized: this resource needs authentication\n"
        }
        FailureKind::Malformed => "400 Bad Request: the credentials or the request are malformed\n",
        FailureKind::HeaderTooLarge => "431 Request Header Fields Too Large: the credentials are too long\n",
        FailureKind::PayloadTooLarge => "413 Content Too Large: the body is too large to authenticate\n",
        FailureKind::Forbidden => "403 Forbidden: the authenticated user may not access this resource\n",
        FailureKind::TooManyRequests => "429 Too Many Requests: too many failed attempts; try again later\n",
        FailureKind::Internal => "500 Internal Server Error: authentication could not be completed\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_distinct_per_kind() {
        assert_eq!(FailureKind::MissingCredentials.status(), 401);
        assert_eq!(FailureKind::Forbidden.status(), 403);
        assert_eq!(FailureKind::Malformed.status(), 400);
        assert_eq!(FailureKind::Internal.status(), 500);
        assert_eq!(FailureKind::TooManyRequests.status(), 429);
    }

    #[test]
    fn display_never_needs_secrets() {
        let f = AuthFailure::internal("db down").with_description("store failed");
        assert_eq!(f.to_string(), "internal_error: store failed (db down)");
    }
}
