//! [`ThrottleStore`]: where the counts live, and [`ThrottleStatus`], what a store answers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::ThrottleKey;
use crate::BoxError;

/// What a store knows about the keys of one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleStatus {
    /// How long the most locked key stays locked; `None` if no key is locked.
    pub locked_for: Option<Duration>,
    /// The largest (decayed) failure count among the keys.
    pub failures: u32,
}

/// Where a [`Throttle`](super::Throttle)'s counts live: in the process by default
/// ([`Throttle::new`](super::Throttle::new)); a store shared by every instance of a fleet
/// (Redis, a database) keeps an attacker from spreading guesses over the instances.
///
/// Each method handles the keys of one request at once (at most one user-id key and one
/// address key), so a remote store can answer in one round trip. Each key carries the
/// [`Limits`](super::Limits) to apply to it ([`ThrottleKey::limits`]); `now` is the
/// throttle's clock ([`Throttle::clock`](super::Throttle::clock), by default the time since
/// the UNIX epoch), so instances that share a store must have synchronised clocks. The
/// futures own what they need (`'static`): copy the keys.
///
/// An error is handled as the throttle's [`fail_open`](super::Throttle::fail_open) says:
/// by default the request is refused with `500`.
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::time::Duration;
/// use tower_httpauth::BoxError;
/// use tower_httpauth::throttle::{Throttle, ThrottleKey, ThrottleStatus, ThrottleStore};
///
/// /// A store that never locks anybody, to show the shape.
/// struct Lenient;
///
/// type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;
///
/// impl ThrottleStore for Lenient {
///     fn check(&self, keys: &[ThrottleKey], _now: Duration) -> StoreFuture {
///         let _ids: Vec<String> = keys.iter().map(ThrottleKey::to_hex).collect();
///         Box::pin(async { Ok(ThrottleStatus::default()) })
///     }
///     fn record_failure(&self, _keys: &[ThrottleKey], _now: Duration) -> StoreFuture {
///         Box::pin(async { Ok(ThrottleStatus::default()) })
///     }
///     fn reset(&self, _keys: &[ThrottleKey]) -> StoreFuture {
///         Box::pin(async { Ok(ThrottleStatus::default()) })
///     }
/// }
///
/// let throttle = Throttle::with_store(Lenient);
/// # let _ = throttle;
/// ```
pub trait ThrottleStore: Send + Sync + 'static {
    /// The status of `keys` at `now`, without changing them.
    fn check(
        &self,
        keys: &[ThrottleKey],
        now: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;

    /// Records one failure at `now` for each of `keys` (forgetting first what their
    /// [`Limits::decay`](super::Limits::decay) forgot, and locking as
    /// [`Limits::lock_after`](super::Limits::lock_after) says), and returns their new status.
    fn record_failure(
        &self,
        keys: &[ThrottleKey],
        now: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;

    /// Forgets the failures and locks of `keys` (the user-id's key, after a success); the
    /// status answered is not read.
    fn reset(&self, keys: &[ThrottleKey]) -> Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;
}
