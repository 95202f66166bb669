//! [`DigestBodyLayer`]: buffers the body of `qop=auth-int` requests so Digest can hash it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::{Request, Response, Version};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
use crate::failure::{AuthFailure, FailureKind, default_response};
use crate::header::{AuthParams, split_scheme};

/// The body of an `auth-int` request, recorded in the request extensions by
/// [`DigestBodyLayer`] for the [`Digest`](crate::digest::Digest) scheme to hash.
///
/// Another framework's middleware that already buffers bodies may insert it itself.
#[derive(Clone, Debug)]
pub struct DigestBody(pub Bytes);

/// Buffers the request body when, and only when, the `Authorization` field asks for
/// Digest `qop=auth-int`, records it as [`DigestBody`] and hands the same bytes on.
///
/// Put it **around** (outside) the auth layer. A body larger than the limit is answered
/// `413` without reaching the auth layer; a body that fails to arrive is answered `400`.
/// Both carry `Connection: close` on HTTP/1 (the body is left unread) and
/// [`DefaultFailure`](crate::DefaultFailure)'s short text, so the response body type must
/// be one it can make from a `&'static str`, such as axum's `Body`.
///
/// ```
/// use axum::{Router, routing::post};
/// use tower_httpauth::AuthLayer;
/// use tower_httpauth::digest::{Digest, DigestBodyLayer, DigestUsers, Qop, Algorithm};
///
/// let users = DigestUsers::new("api").with_password("john", "hello");
/// let digest = Digest::new(users).realm("api").qops([Qop::Auth, Qop::AuthInt]);
/// let app: Router = Router::new()
///     .route("/upload", post(|| async { "stored" }))
///     .layer(AuthLayer::new(digest))
///     .layer(DigestBodyLayer::new(64 * 1024)); // added last = runs first
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DigestBodyLayer {
    limit: usize,
    proxy: bool,
}

impl DigestBodyLayer {
    /// Buffers `auth-int` bodies of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        DigestBodyLayer { limit, proxy: false }
    }

    /// Reads `Proxy-Authorization` instead of `Authorization`: the companion of
    /// [`AuthLayer::proxy`](crate::AuthLayer::proxy).
    ///
    /// ```
    /// use tower_httpauth::digest::DigestBodyLayer;
    /// let layer = DigestBodyLayer::new(64 * 1024).proxy();
    /// # let _ = layer;
    /// ```
    pub fn proxy(self) -> Self {
        DigestBodyLayer { proxy: true, ..self }
    }
}

impl<S> Layer<S> for DigestBodyLayer {
    type Service = DigestBodyService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        DigestBodyService {
            inner,
            limit: self.limit,
            header: if self.proxy { PROXY_AUTHORIZATION } else { AUTHORIZATION },
        }
    }
}

/// The service of [`DigestBodyLayer`].
#[derive(Debug, Clone)]
pub struct DigestBodyService<S> {
    inner: S,
    limit: usize,
    /// `Authorization`, or `Proxy-Authorization` in proxy mode.
    header: HeaderName,
}

/// Whether the request's credentials field is Digest with `qop=auth-int`.
fn wants_auth_int<B>(req: &Request<B>, header: &HeaderName) -> bool {
    let Some(v) = req.headers().get(header) else {
        return false;
    };
    match split_scheme(v.as_bytes()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("Digest") => AuthParams::parse(rest)
            .ok()
            .and_then(|p| p.get("qop").map(|q| q.eq_ignore_ascii_case("auth-int")))
            .unwrap_or(false),
        _ => false,
    }
}

/// The default failure response of `kind` (its status and short text). Every refusal here
/// leaves the body unread or half read, so on HTTP/1 it says `Connection: close`: hyper
/// closes such a connection anyway (see the auth layer's refusals).
fn status_response<B: From<&'static str>>(kind: FailureKind, version: Version) -> Response<B> {
    let mut res = default_response(&AuthFailure::new(kind));
    if matches!(version, Version::HTTP_10 | Version::HTTP_11) {
        res.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pin_project! {
    /// The response future of [`DigestBodyService`].
    pub struct DigestBodyFuture<F, T> {
        #[pin]
        state: BodyState<F, T>,
    }
}

pin_project! {
    #[project = BodyStateProj]
    enum BodyState<F, T> {
        Passthrough { #[pin] fut: F },
        Buffering { fut: BoxFuture<T> },
    }
}

impl<F, T> DigestBodyFuture<F, T> {
    fn passthrough(fut: F) -> Self {
        DigestBodyFuture {
            state: BodyState::Passthrough { fut },
        }
    }

    fn buffering(fut: BoxFuture<T>) -> Self {
        DigestBodyFuture {
            state: BodyState::Buffering { fut },
        }
    }
}

impl<F, T> fmt::Debug for DigestBodyFuture<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DigestBodyFuture")
    }
}

impl<F, T> Future for DigestBodyFuture<F, T>
where
    F: Future<Output = T>,
{
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.project().state.project() {
            BodyStateProj::Passthrough { fut } => fut.poll(cx),
            BodyStateProj::Buffering { fut } => fut.as_mut().poll(cx),
        }
    }
}

impl<S, B, ResBody> Service<Request<B>> for DigestBodyService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    ResBody: From<&'static str> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = DigestBodyFuture<S::Future, Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if !wants_auth_int(&req, &self.header) {
            return DigestBodyFuture::passthrough(inner.call(req));
        }
        let limit = self.limit;
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return DigestBodyFuture::buffering(Box::pin(std::future::ready(Ok(status_response(
                FailureKind::PayloadTooLarge,
                req.version(),
            )))));
        }
        let (mut parts, body) = req.into_parts();
        DigestBodyFuture::buffering(Box::pin(async move {
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let kind = if e.is::<http_body_util::LengthLimitError>() {
                        FailureKind::PayloadTooLarge
                    } else {
                        FailureKind::Malformed
                    };
                    tracing::debug!(error = %e, "auth-int body refused");
                    return Ok(status_response(kind, parts.version));
                }
            };
            parts.extensions.insert(DigestBody(bytes.clone()));
            inner.call(Request::from_parts(parts, B::from(bytes))).await
        }))
    }
}
