//! How a throttle guards one verification: check the keys, verify, record the outcome.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::request::Parts;
use pin_project_lite::pin_project;

use super::{OnStoreError, Throttle, ThrottleStatus, ThrottleStore};
use crate::BoxError;
use crate::failure::{AuthFailure, FailureKind};
use crate::scheme::Authenticated;

type Outcome<U> = Result<Authenticated<U>, AuthFailure>;

pin_project! {
    /// The verification of one request: the scheme's future, or that future guarded by a
    /// throttle (boxed: only layers with a throttle pay for it).
    #[project = VerificationProj]
    pub(crate) enum Verification<F: Future> {
        Direct { #[pin] fut: F },
        Guarded { fut: Pin<Box<dyn Future<Output = F::Output> + Send>> },
    }
}

impl<F: Future> Verification<F> {
    pub(crate) fn direct(fut: F) -> Self {
        Verification::Direct { fut }
    }
}

impl<F: Future> Future for Verification<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project() {
            VerificationProj::Direct { fut } => fut.poll(cx),
            VerificationProj::Guarded { fut } => fut.as_mut().poll(cx),
        }
    }
}

impl<T: ThrottleStore> Throttle<T> {
    /// Guards `verify`, the verification of a request that carries credentials claiming
    /// `username`: a locked key is refused (`429`) before the verifier runs, a refusal is
    /// counted, and a success clears the user-id's count.
    pub(crate) fn guard<F, U>(&self, username: Option<&str>, parts: &Parts, verify: F) -> Verification<F>
    where
        F: Future<Output = Outcome<U>> + Send + 'static,
        U: Send + 'static,
    {
        let keys = self.keys(username.map(Cow::Borrowed), parts);
        if keys.is_empty() {
            return Verification::direct(verify);
        }
        let throttle = self.clone();
        let fut = async move {
            let keys = keys.as_slice();
            let checked = throttle.store.check(keys, throttle.policy(), throttle.now()).await;
            let status = store_status(checked, throttle.on_store_error)?;
            if let Some(after) = status.locked_for {
                return Err(AuthFailure::new(FailureKind::TooManyRequests)
                    .with_description("too many failed attempts; try again later")
                    .with_retry_after(after));
            }
            let outcome = verify.await;
            let recorded = match &outcome {
                Err(f) if f.kind() == FailureKind::InvalidCredentials => {
                    Some(throttle.store.record_failure(keys, throttle.policy(), throttle.now()).await)
                }
                Ok(_) if status.failures > 0 => match keys.iter().find(|k| k.kind() == super::KeyKind::Username) {
                    Some(user) => Some(throttle.store.reset(std::slice::from_ref(user)).await),
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
                // The outcome stands either way; a lost count is only logged.
                Some(Err(e)) => tracing::warn!(error = %e, "throttle store failed to record an attempt"),
                _ => {}
            }
            outcome
        };
        Verification::Guarded { fut: Box::pin(fut) }
    }
}

/// What to do with the store's answer when it failed.
fn store_status(result: Result<ThrottleStatus, BoxError>, policy: OnStoreError) -> Result<ThrottleStatus, AuthFailure> {
    result.or_else(|e| match policy {
        OnStoreError::FailOpen => {
            tracing::warn!(error = %e, "throttle store failed; authenticating without throttling");
            Ok(ThrottleStatus::default())
        }
        OnStoreError::FailClosed => Err(AuthFailure::internal(e).with_description("throttle store failed")),
    })
}
