//! [`DigestBodyLayer`]: buffers the body of `qop=auth-int` requests so Digest can hash it.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONNECTION, CONTENT_LENGTH, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::{Request, Response, Version};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
use crate::failure::{AuthFailure, FailureKind, default_response};
use crate::header::{AuthParams, split_scheme};

/// The body of an `auth-int` request, put in the request extensions by [`DigestBodyLayer`]
/// for the [`Digest`](super::Digest) scheme to hash.
#[derive(Clone, Debug)]
pub(crate) struct DigestBody(pub(crate) Bytes);

/// Buffers the request body when, and only when, the credentials field asks for Digest
/// `qop=auth-int`, for the [`Digest`](super::Digest) scheme to hash, and hands the same
/// bytes on.
///
/// Put it **around** (outside) the auth layer. A body larger than the limit is answered
/// `413` without reaching the auth layer; a body that fails to arrive is answered `400`.
/// Both carry `Connection: close` on HTTP/1 (the body is left unread) and
/// [`DefaultFailure`](crate::failure::DefaultFailure)'s short text, so the response body
/// type must be one it can make from a `&'static str`, such as axum's `Body`. Once it has
/// read a body, a refusal by the auth layer leaves nothing unread and keeps the connection.
///
/// ```
/// use axum::{Router, routing::post};
/// use tower_httpauth::AuthLayer;
/// use tower_httpauth::digest::{Digest, DigestBodyLayer, DigestUsers, Qop};
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
    type Service = service::DigestBodyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        service::DigestBodyService {
            inner,
            limit: self.limit,
            field: if self.proxy { PROXY_AUTHORIZATION } else { AUTHORIZATION },
        }
    }
}

/// Whether the request's credentials field is Digest with `qop=auth-int`.
fn wants_auth_int<B>(req: &Request<B>, field: &HeaderName) -> bool {
    let Some(v) = req.headers().get(field) else {
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
fn refusal<B: From<&'static str>>(kind: FailureKind, version: Version) -> Response<B> {
    let mut res = default_response(&AuthFailure::new(kind));
    if matches!(version, Version::HTTP_10 | Version::HTTP_11) {
        res.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// Reads the body of an `auth-int` request (at most `limit` bytes) and calls `inner` with
/// the same bytes, recorded for the scheme; or refuses it.
async fn buffer_and_call<S, B, ResBody>(
    mut inner: S,
    req: Request<B>,
    limit: usize,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    B: Body + From<Bytes>,
    B::Error: Into<BoxError>,
    ResBody: From<&'static str>,
{
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Ok(refusal(FailureKind::PayloadTooLarge, req.version()));
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let kind = if e.is::<http_body_util::LengthLimitError>() {
                FailureKind::PayloadTooLarge
            } else {
                FailureKind::Malformed
            };
            tracing::debug!(error = %e, "auth-int body refused");
            return Ok(refusal(kind, parts.version));
        }
    };
    parts.extensions.insert(DigestBody(bytes.clone()));
    // The body is read: a refusal by the auth layer leaves nothing unread on the connection.
    parts.extensions.insert(crate::layer::BodyRead);
    inner.call(Request::from_parts(parts, B::from(bytes))).await
}

mod service {
    use std::fmt;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use http::header::HeaderName;
    use http::{Request, Response};
    use http_body::Body;
    use pin_project_lite::pin_project;
    use tower_service::Service;

    use crate::BoxError;

    /// The service of [`DigestBodyLayer`](super::DigestBodyLayer).
    #[derive(Debug, Clone)]
    pub struct DigestBodyService<S> {
        pub(super) inner: S,
        pub(super) limit: usize,
        /// `Authorization`, or `Proxy-Authorization` in proxy mode.
        pub(super) field: HeaderName,
    }

    pin_project! {
        /// The response future of [`DigestBodyService`]: the inner service's, or (for
        /// `auth-int`) reading the body first, boxed.
        #[project = DigestBodyFutureProj]
        pub enum DigestBodyFuture<F: Future> {
            Passthrough { #[pin] fut: F },
            Buffering { fut: Pin<Box<dyn Future<Output = F::Output> + Send>> },
        }
    }

    impl<F: Future> fmt::Debug for DigestBodyFuture<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("DigestBodyFuture")
        }
    }

    impl<F: Future> Future for DigestBodyFuture<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            match self.project() {
                DigestBodyFutureProj::Passthrough { fut } => fut.poll(cx),
                DigestBodyFutureProj::Buffering { fut } => fut.as_mut().poll(cx),
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
        type Future = DigestBodyFuture<S::Future>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, req: Request<B>) -> Self::Future {
            // The request takes the service driven to readiness, leaving a clone in its place.
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            if !super::wants_auth_int(&req, &self.field) {
                return DigestBodyFuture::Passthrough { fut: inner.call(req) };
            }
            DigestBodyFuture::Buffering {
                fut: Box::pin(super::buffer_and_call(inner, req, self.limit)),
            }
        }
    }
}
