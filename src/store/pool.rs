//! [`HashPool`]: running slow password hashes off the async executor's worker threads.

use std::fmt;
use std::sync::Arc;

use super::HashError;

/// Where slow password hashes run, and how many at once.
///
/// With the `tokio` feature and inside a tokio runtime, [`HashPool::new`] runs each hash on
/// tokio's blocking thread pool ([`spawn_blocking`](https://docs.rs/tokio/latest/tokio/task/fn.spawn_blocking.html)),
/// at most `max_concurrent` at a time: further verifications wait (asynchronously, in
/// arrival order) for a free slot, so a burst of logins can neither block the executor's
/// worker threads nor occupy every blocking thread. Without the `tokio` feature, or outside
/// a tokio runtime, the hash runs on the thread that polls the verification.
///
/// A pool is cheap to clone; clones share the limit.
///
/// ```
/// use tower_httpauth::store::HashPool;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let pool = HashPool::new(2); // at most two hashes at once
/// let n = pool.run(|| 6 * 7).await.unwrap();
/// assert_eq!(n, 42);
/// # }
/// ```
#[derive(Clone)]
pub struct HashPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    limit: Option<usize>,
    #[cfg(feature = "tokio")]
    permits: Option<Arc<tokio::sync::Semaphore>>,
}

impl HashPool {
    /// A pool running at most `max_concurrent` hashes at once (at least one) on tokio's
    /// blocking threads. Without the `tokio` feature this is [`HashPool::inline`]: hashes run
    /// on the polling thread and no limit applies.
    pub fn new(max_concurrent: usize) -> Self {
        let limit = max_concurrent.max(1);
        HashPool {
            inner: Arc::new(PoolInner {
                limit: cfg!(feature = "tokio").then_some(limit),
                #[cfg(feature = "tokio")]
                permits: Some(Arc::new(tokio::sync::Semaphore::new(limit))),
            }),
        }
    }

    /// Runs every hash on the thread that polls the verification, with no limit. For tests,
    /// single-threaded tools, and fast formats.
    pub fn inline() -> Self {
        HashPool {
            inner: Arc::new(PoolInner {
                limit: None,
                #[cfg(feature = "tokio")]
                permits: None,
            }),
        }
    }

    /// The concurrency limit, `None` for [`HashPool::inline`] (and without the `tokio`
    /// feature).
    pub fn max_concurrent(&self) -> Option<usize> {
        self.inner.limit
    }

    /// Runs `job` (a CPU-heavy closure) under the pool's limit and returns its result.
    ///
    /// # Errors
    ///
    /// [`HashError::Aborted`] if the job panicked or the runtime is shutting down.
    pub async fn run<T, F>(&self, job: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        #[cfg(feature = "tokio")]
        if let (Some(permits), Ok(handle)) = (&self.inner.permits, tokio::runtime::Handle::try_current()) {
            let permit = permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| HashError::Aborted(e.to_string()))?;
            return handle
                .spawn_blocking(move || {
                    let _permit = permit;
                    job()
                })
                .await
                .map_err(|e| HashError::Aborted(e.to_string()));
        }
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).map_err(|_| HashError::Aborted("panicked".into()))
    }
}

impl Default for HashPool {
    /// With the `tokio` feature: as many concurrent hashes as the machine has CPUs.
    /// Without it: [`HashPool::inline`].
    fn default() -> Self {
        if cfg!(feature = "tokio") {
            HashPool::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
        } else {
            HashPool::inline()
        }
    }
}

impl fmt::Debug for HashPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashPool")
            .field("max_concurrent", &self.inner.limit)
            .finish()
    }
}
