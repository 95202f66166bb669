//! [`AuthService`]: where a request enters.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::Config;
use super::future::{Pending, ResponseFuture};
use crate::failure::FailureHandler;
use crate::scheme::Scheme;
use crate::throttle::Verification;

/// The service produced by [`AuthLayer`](crate::AuthLayer).
pub struct AuthService<I, S: Scheme, F> {
    inner: I,
    config: Arc<Config<S, F>>,
}

impl<I, S: Scheme, F> AuthService<I, S, F> {
    pub(super) fn new(inner: I, config: Arc<Config<S, F>>) -> Self {
        AuthService { inner, config }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &I {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl<I: Clone, S: Scheme, F> Clone for AuthService<I, S, F> {
    fn clone(&self) -> Self {
        AuthService {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

impl<I: fmt::Debug, S: Scheme, F> fmt::Debug for AuthService<I, S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<I, S, F, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<I, S, F>
where
    I: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    S: Scheme,
    F: FailureHandler<ResBody>,
{
    type Response = Response<ResBody>;
    type Error = I::Error;
    type Future = ResponseFuture<I, S, F, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let config = &self.config;
        let (mut parts, body) = req.into_parts();

        // 1. Exempt requests go straight on (without a proxy's credentials).
        if config.is_exempt(&parts) {
            if config.proxy {
                super::strip_proxy_credentials(config, &mut parts);
            }
            return ResponseFuture::inner(self.inner.call(Request::from_parts(parts, body)));
        }

        // 2. The scheme reads the credentials and starts verifying them; an attached
        // throttle guards requests that carry credentials, and then the scheme starts only
        // once the throttle's check let the request through (the response future starts it).
        let request = config.request(&parts);
        let scheme = &config.scheme;
        let guarded = match &config.throttle {
            Some(throttle) if scheme.detect(&request) => throttle.guard(scheme.username(&request).as_deref(), &parts),
            _ => None,
        };
        let verification = guarded.unwrap_or_else(|| Verification::direct(scheme.authenticate(&request)));

        // The rest waits for the verifier: the request takes the service that was driven to
        // readiness along, and leaves a clone in its place (tower's guidance for services
        // whose future outlives `call`).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::verifying(
            verification,
            Pending {
                parts,
                body,
                inner,
                config: config.clone(),
            },
        )
    }
}
