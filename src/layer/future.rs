//! [`ResponseFuture`]: verify, check the roles, call the inner service.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{HeaderMap, Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::Config;
use crate::failure::{AuthFailure, FailureHandler, FailureKind};
use crate::roles::RolesFuture;
use crate::scheme::{Authenticated, Scheme};
use crate::throttle::Verification;

/// What the response future holds until it knows where the request goes.
pub(super) struct Pending<I, S: Scheme, F, B> {
    pub(super) parts: http::request::Parts,
    pub(super) body: B,
    pub(super) inner: I,
    pub(super) config: Arc<Config<S, F>>,
}

pin_project! {
    /// The response future of [`AuthService`](super::AuthService).
    pub struct ResponseFuture<I, S, F, B>
    where
        I: Service<Request<B>>,
        S: Scheme,
    {
        #[pin]
        state: State<Verification<S::Future>, I::Future, S::User>,
        pending: Option<Pending<I, S, F, B>>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<V, IF, U> {
        /// The scheme verifies the credentials.
        Verifying { #[pin] fut: V },
        /// The roles hook tells the user's roles.
        Roles { #[pin] fut: RolesFuture, auth: Option<Authenticated<U>> },
        /// The inner service answers; `headers` go on its response.
        Inner { #[pin] fut: IF, headers: HeaderMap },
        Done,
    }
}

/// What follows an outcome.
enum Next<U> {
    /// Call the inner service, with the user (or none, on an optional route).
    Forward(Option<Authenticated<U>>),
    /// Ask the roles hook first.
    Roles(Authenticated<U>),
    /// Answer with a failure.
    Refuse(AuthFailure),
}

impl<I, S, F, B> ResponseFuture<I, S, F, B>
where
    I: Service<Request<B>>,
    S: Scheme,
{
    /// The inner service's future, answered as it is.
    pub(super) fn inner(fut: I::Future) -> Self {
        ResponseFuture {
            state: State::Inner {
                fut,
                headers: HeaderMap::new(),
            },
            pending: None,
        }
    }

    pub(super) fn verifying(fut: Verification<S::Future>, pending: Pending<I, S, F, B>) -> Self {
        ResponseFuture {
            state: State::Verifying { fut },
            pending: Some(pending),
        }
    }
}

impl<I, S, F, B> fmt::Debug for ResponseFuture<I, S, F, B>
where
    I: Service<Request<B>>,
    S: Scheme,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<I, S, F, B, ResBody> Future for ResponseFuture<I, S, F, B>
where
    I: Service<Request<B>, Response = Response<ResBody>>,
    S: Scheme,
    F: FailureHandler<ResBody>,
{
    type Output = Result<Response<ResBody>, I::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Verifying { fut } => {
                    let p = pending(this.pending);
                    // Behind a throttle's check the scheme starts here, from the request head.
                    let outcome = ready!(fut.poll(cx, || p.config.scheme.authenticate(&p.config.request(&p.parts))));
                    decide(&p.config, outcome)
                }
                StateProj::Roles { fut, auth } => {
                    let roles = ready!(fut.poll(cx));
                    let auth = auth.take().expect("roles polled after completion");
                    let config = &pending(this.pending).config;
                    let requirement = config.requirement.as_ref().expect("roles are asked for a requirement");
                    match roles {
                        Ok(roles) if requirement.is_satisfied_by(&roles) => Next::Forward(Some(auth)),
                        Ok(_) => {
                            let failure = AuthFailure::forbidden().with_scope(requirement.scope());
                            Next::Refuse(match auth.scheme {
                                Some(scheme) => failure.with_scheme(scheme),
                                None => failure,
                            })
                        }
                        Err(e) => Next::Refuse(AuthFailure::internal(e).with_description("roles hook failed")),
                    }
                }
                StateProj::Inner { fut, headers } => {
                    let mut res = ready!(fut.poll(cx))?;
                    append(res.headers_mut(), std::mem::take(headers));
                    this.state.set(State::Done);
                    return Poll::Ready(Ok(res));
                }
                StateProj::Done => panic!("ResponseFuture polled after completion"),
            };
            match next {
                Next::Forward(auth) => {
                    let p = this.pending.take().expect("a pending request");
                    let (fut, headers) = forward(p, auth);
                    this.state.set(State::Inner { fut, headers });
                }
                Next::Roles(auth) => {
                    let config = &pending(this.pending).config;
                    let hook = config.roles.as_ref();
                    let fut = match hook {
                        Some(hook) => hook.roles(&auth.user),
                        // No hook: the user has no roles.
                        None => Box::pin(std::future::ready(Ok(Vec::new()))),
                    };
                    this.state.set(State::Roles { fut, auth: Some(auth) });
                }
                Next::Refuse(failure) => {
                    let mut p = this.pending.take().expect("a pending request");
                    this.state.set(State::Done);
                    // A failure handler is the user's code too: it sees no proxy credentials.
                    if p.config.proxy {
                        super::strip_proxy_credentials(&p.config, &mut p.parts);
                    }
                    return Poll::Ready(Ok(super::respond::refuse(&p.config, failure, &p.parts)));
                }
            }
        }
    }
}

fn pending<I, S: Scheme, F, B>(pending: &Option<Pending<I, S, F, B>>) -> &Pending<I, S, F, B> {
    pending.as_ref().expect("ResponseFuture polled after completion")
}

/// Where an authentication outcome leads.
fn decide<S: Scheme, F>(config: &Config<S, F>, outcome: Result<Authenticated<S::User>, AuthFailure>) -> Next<S::User> {
    match outcome {
        Ok(auth) if config.requirement.is_some() => Next::Roles(auth),
        Ok(auth) => Next::Forward(Some(auth)),
        Err(f) if f.kind() == FailureKind::MissingCredentials && config.optional && config.requirement.is_none() => {
            Next::Forward(None)
        }
        Err(f) => Next::Refuse(f),
    }
}

/// Hands the user (if any) on and calls the inner service; returns its future and the
/// headers to add to its response.
fn forward<I, S, F, B>(p: Pending<I, S, F, B>, auth: Option<Authenticated<S::User>>) -> (I::Future, HeaderMap)
where
    I: Service<Request<B>>,
    S: Scheme,
{
    let Pending {
        mut parts,
        body,
        mut inner,
        config,
    } = p;
    if config.proxy {
        super::strip_proxy_credentials(&config, &mut parts);
    }
    let mut headers = HeaderMap::new();
    if let Some(auth) = auth {
        if config.insert_user {
            crate::user::hand_on(&mut parts.extensions, auth.user);
        }
        headers = auth.response_headers;
        if config.proxy {
            super::respond::to_proxy_info(&mut headers);
        }
    }
    (inner.call(Request::from_parts(parts, body)), headers)
}

/// Appends `extra` to a response's headers.
fn append(headers: &mut HeaderMap, extra: HeaderMap) {
    if headers.is_empty() {
        *headers = extra;
        return;
    }
    let mut last = None;
    for (name, value) in extra {
        // A `HeaderMap` yields each name once, before its first value.
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            headers.append(name.clone(), value);
        }
    }
}
