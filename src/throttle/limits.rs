//! [`Limits`]: how many failures a key may have, how long it is locked, how fast it forgets.

use std::time::Duration;

/// The limits of one kind of key (user-ids, or client addresses): free failures, then locks
/// that double with each further failure up to a cap, and a decay that forgets failures.
///
/// ```
/// use std::time::Duration;
/// use tower_httpauth::throttle::{Limits, Throttle};
///
/// // 3 free failures; then locks of 2 s, 4 s, 8 s, … up to 10 min; one failure forgotten
/// // per 5 min without failures.
/// let strict = Limits::new(3, Duration::from_secs(2), Duration::from_secs(600)).decay(Duration::from_secs(300));
/// let throttle = Throttle::new().per_username(strict);
/// # let _ = throttle;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Failures allowed before the first lock.
    pub free_failures: u32,
    /// The first lock's length; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest lock.
    pub max_delay: Duration,
    /// One failure is forgotten per `decay` without failures (zero: failures are forgotten at
    /// once, so only locks remain).
    pub decay: Duration,
}

impl Limits {
    /// Limits with `free_failures` free failures, locks from `base_delay` doubling up to
    /// `max_delay`, and one failure forgotten per minute.
    pub fn new(free_failures: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Limits {
            free_failures,
            base_delay,
            max_delay,
            decay: Duration::from_secs(60),
        }
    }

    /// Sets how long it takes to forget one failure.
    pub fn decay(mut self, decay: Duration) -> Self {
        self.decay = decay;
        self
    }

    /// The default per-user-id limits: 5 free failures, locks from 1 s doubling to 15 min,
    /// one failure forgotten per minute.
    pub fn default_username() -> Self {
        Limits::new(5, Duration::from_secs(1), Duration::from_secs(15 * 60))
    }

    /// The default per-address limits: 20 free failures, locks from 1 s doubling to 15 min,
    /// one failure forgotten per 10 s (an address is shared by many users behind a NAT).
    pub fn default_address() -> Self {
        Limits::new(20, Duration::from_secs(1), Duration::from_secs(15 * 60)).decay(Duration::from_secs(10))
    }

    /// The lock that the `failures`-th failure starts, if any: none up to `free_failures`,
    /// then `base_delay`, doubled per further failure, at most `max_delay`. For stores.
    pub fn lock_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?.checked_sub(1)?;
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// How many of `failures` are left after `elapsed` without failures. For stores.
    pub fn decayed(&self, failures: u32, elapsed: Duration) -> u32 {
        if self.decay.is_zero() {
            return 0;
        }
        let forgotten = elapsed.as_millis() / self.decay.as_millis().max(1);
        failures.saturating_sub(u32::try_from(forgotten).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let l = Limits::new(2, Duration::from_secs(1), Duration::from_secs(8));
        let locks: Vec<_> = (0..8).map(|n| l.lock_after(n).map(|d| d.as_secs())).collect();
        assert_eq!(locks, [None, None, None, Some(1), Some(2), Some(4), Some(8), Some(8)]);
        assert_eq!(l.lock_after(u32::MAX), Some(Duration::from_secs(8)));
    }

    #[test]
    fn decay_forgets_one_failure_per_interval() {
        let l = Limits::new(2, Duration::from_secs(1), Duration::from_secs(8));
        assert_eq!(l.decayed(5, Duration::from_secs(59)), 5);
        assert_eq!(l.decayed(5, Duration::from_secs(120)), 3);
        assert_eq!(l.decayed(5, Duration::from_secs(10_000)), 0);
    }
}
