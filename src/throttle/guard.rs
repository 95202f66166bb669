//! How a throttle guards one verification: check the keys, then start the scheme's
//! verification, then record its outcome.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::request::Parts;
use pin_project_lite::pin_project;

use super::keys::{KeyKind, Keys};
use super::{Throttle, ThrottleStatus};
use crate::BoxError;
use crate::failure::{AuthFailure, FailureKind};
use crate::scheme::Authenticated;

type Outcome<U> = Result<Authenticated<U>, AuthFailure>;
type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;

pin_project! {
    /// The verification of one request: the scheme's future, or, with a throttle, the
    /// throttle's check followed by the scheme's future whose outcome the throttle records
    /// (boxed: only layers with a throttle pay for it).
    #[project = VerificationProj]
    pub(crate) enum Verification<F: Future> {
        /// The scheme verifies; nobody counts.
        Direct { #[pin] fut: F },
        /// The throttle checks the request's keys; the scheme has not started, so a locked
        /// key never reaches the verifier.
        Checking { check: StoreFuture, guard: Option<(Throttle, Keys)> },
        /// The scheme verifies; the throttle records the outcome.
        Recording { fut: Pin<Box<dyn Future<Output = F::Output> + Send>> },
    }
}

impl<F: Future> Verification<F> {
    pub(crate) fn direct(fut: F) -> Self {
        Verification::Direct { fut }
    }
}

impl<F, U> Verification<F>
where
    F: Future<Output = Outcome<U>> + Send + 'static,
    U: Send + 'static,
{
    /// Polls the verification; `start` starts the scheme's (called at most once, when a
    /// throttle's check has let the request through).
    pub(crate) fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>, start: impl FnOnce() -> F) -> Poll<Outcome<U>> {
        match self.as_mut().project() {
            VerificationProj::Direct { fut } => fut.poll(cx),
            VerificationProj::Recording { fut } => fut.as_mut().poll(cx),
            VerificationProj::Checking { check, guard } => {
                let checked = ready!(check.as_mut().poll(cx));
                let (throttle, keys) = guard.take().expect("verification polled after completion");
                let status = throttle.on_store_error(checked)?;
                if let Some(after) = status.locked_for {
                    return Poll::Ready(Err(AuthFailure::new(FailureKind::TooManyRequests)
                        .with_description("too many failed attempts; try again later")
                        .with_retry_after(after)));
                }
                let mut fut = Box::pin(throttle.record(keys, status, start()));
                let poll = fut.as_mut().poll(cx);
                self.set(Verification::Recording { fut });
                poll
            }
        }
    }
}

impl Throttle {
    /// Guards the verification of a request that carries credentials claiming `username`:
    /// `None` when the request has no key to count (no user-id, no address), else a
    /// verification that checks the keys first: a locked key is refused (`429`) before the
    /// scheme starts, a refusal is counted, and a success clears the user-id's count.
    pub(crate) fn guard<F: Future>(&self, username: Option<&str>, parts: &Parts) -> Option<Verification<F>> {
        let keys = self.keys(username, parts);
        if keys.as_slice().is_empty() {
            return None;
        }
        Some(Verification::Checking {
            check: self.config.store.check(keys.as_slice(), self.now()),
            guard: Some((self.clone(), keys)),
        })
    }

    /// Awaits `verify`, then records its outcome for `keys`, whose status was `checked`.
    async fn record<F, U>(self, keys: Keys, checked: ThrottleStatus, verify: F) -> Outcome<U>
    where
        F: Future<Output = Outcome<U>>,
    {
        let outcome = verify.await;
        let keys = keys.as_slice();
        let store = &self.config.store;
        let recorded = match &outcome {
            Err(f) if f.kind() == FailureKind::InvalidCredentials => Some(store.record_failure(keys, self.now()).await),
            // Only a user-id that has failed before has a count to clear; the address keeps
            // its count (one valid account must not reset an attacker's address).
            Ok(_) if checked.failures > 0 => match keys.iter().find(|k| k.kind() == KeyKind::Username) {
                Some(user) => Some(store.reset(std::slice::from_ref(user)).await),
                None => None,
            },
            _ => None,
        };
        match recorded {
            Some(Ok(ThrottleStatus {
                locked_for: Some(lock),
                failures,
            })) => {
                // A key's Debug shows the address, never the user-id.
                tracing::info!(
                    ?keys,
                    failures,
                    locked_for_ms = u64::try_from(lock.as_millis()).unwrap_or(u64::MAX),
                    "failed logins: locked"
                );
            }
            // The outcome stands either way (a refusal stays a refusal, a success a success);
            // a lost count is only logged.
            Some(Err(e)) => tracing::warn!(error = %e, "throttle store failed to record an attempt"),
            _ => {}
        }
        outcome
    }

    /// The store's answer to a check, or what its failure means: a refusal with `500`
    /// (failing closed, the default) or no throttling for this request (failing open).
    fn on_store_error(&self, result: Result<ThrottleStatus, BoxError>) -> Result<ThrottleStatus, AuthFailure> {
        result.or_else(|e| {
            if self.config.fail_open {
                tracing::warn!(error = %e, "throttle store failed; authenticating without throttling (fail_open)");
                Ok(ThrottleStatus::default())
            } else {
                Err(AuthFailure::internal(e).with_description("throttle store failed"))
            }
        })
    }
}
