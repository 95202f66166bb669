//! The Redis [`ThrottleStore`] (feature `redis`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{KeyKind, Limits, Policy, ThrottleKey, ThrottleStatus, ThrottleStore, millis};
use crate::BoxError;

/// Records one failure per key, atomically, and returns `{locked_for_ms, failures}` (the
/// largest over the keys). ARGV: now, then per key: free, base, max, decay (milliseconds).
/// Each key is a hash `f` (failures), `l` (last failure), `u` (locked until), with a TTL that
/// outlives both the lock and the decay of its count.
const RECORD_FAILURE: &str = r#"
local now = tonumber(ARGV[1])
local locked, worst = 0, 0
for i, key in ipairs(KEYS) do
  local b = 1 + (i - 1) * 4
  local free, base, maxd, decay = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local v = redis.call('HMGET', key, 'f', 'l', 'u')
  local f, l, u = tonumber(v[1]) or 0, tonumber(v[2]) or now, tonumber(v[3]) or 0
  if decay > 0 then
    f = math.max(0, f - math.floor(math.max(0, now - l) / decay))
  else
    f = 0
  end
  f = f + 1
  if now > l then l = now end
  local over = f - free - 1
  if over >= 0 then
    local lock = math.min(maxd, base * (2 ^ math.min(over, 40)))
    if now + lock > u then u = now + lock end
  end
  redis.call('HSET', key, 'f', f, 'l', l, 'u', u)
  redis.call('PEXPIRE', key, math.floor(math.max(u - now, f * decay) + 1000))
  if u - now > locked then locked = u - now end
  if f > worst then worst = f end
end
return {math.floor(locked), worst}
"#;

type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send + 'static>>;

/// Throttle counters in Redis, shared by every instance of a fleet.
///
/// Failures are recorded by one Lua script (atomic, one round trip for both keys); checks are
/// one pipelined `HMGET` per key; every key expires once its lock and count are gone. Every
/// call is bounded by a timeout (250 ms by default); a failed or timed-out call is an error,
/// which the layer handles as [`Throttle::fail_closed`](super::Throttle::fail_closed) says
/// (by default: authenticate without throttling, and log a warning).
///
/// Times come from the layer's [`Clock`](super::Clock), so the instances' clocks should agree
/// (NTP); a skew of a few seconds only shifts locks by as much.
///
/// ```no_run
/// # async fn demo() -> Result<(), redis::RedisError> {
/// use tower_httpauth::throttle::{RedisStore, Throttle};
/// let throttle = Throttle::with_store(RedisStore::open("redis://127.0.0.1:6379/")?);
/// # Ok(()) }
/// ```
///
/// The futures of this store are boxed: one allocation per request that carries credentials,
/// next to a network round trip.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    script: redis::Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis server at `url` (`redis://host:port/db`). The connection is made
    /// on first use and re-made after failures, so this does not fail when Redis is down.
    ///
    /// Must be called inside a tokio runtime.
    pub fn open(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self::new(connect(url)?))
    }

    /// A store using an existing connection manager.
    pub fn new(conn: ConnectionManager) -> Self {
        RedisStore {
            conn,
            prefix: String::from("tower-httpauth:throttle:"),
            timeout: Duration::from_millis(250),
            script: redis::Script::new(RECORD_FAILURE),
        }
    }

    /// Sets the prefix of every key (default `tower-httpauth:throttle:`), to share one Redis
    /// between applications.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the bound on every call (default 250 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Redis key of `key`.
    pub fn redis_key(&self, key: &ThrottleKey) -> String {
        format!("{}{}", self.prefix, key.to_hex())
    }

    fn bounded<T, F>(&self, fut: F) -> impl Future<Output = Result<T, BoxError>> + Send + 'static
    where
        F: Future<Output = Result<T, redis::RedisError>> + Send + 'static,
    {
        bounded(self.timeout, fut)
    }
}

/// The lazy connection manager every Redis store of the crate opens: connect and response
/// timeouts of 500 ms, one retry, reconnects after failures.
pub(crate) fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_millis(500)))
        .set_number_of_retries(1);
    ConnectionManager::new_lazy_with_config(client, config)
}

/// `fut`, bounded by `timeout` (a timeout is an error).
// Not an `async fn`: the signature promises `Send + 'static` whatever `T` is.
#[allow(clippy::manual_async_fn)]
pub(crate) fn bounded<T, F>(timeout: Duration, fut: F) -> impl Future<Output = Result<T, BoxError>> + Send + 'static
where
    F: Future<Output = Result<T, redis::RedisError>> + Send + 'static,
{
    async move {
        match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r.map_err(Into::into),
            Err(_) => Err(format!("redis did not answer within {timeout:?}").into()),
        }
    }
}

fn limit_args(limits: &Limits) -> [u64; 4] {
    [
        u64::from(limits.free_failures),
        millis(limits.base_delay),
        millis(limits.max_delay),
        millis(limits.decay),
    ]
}

impl ThrottleStore for RedisStore {
    type Future = StoreFuture;

    fn check(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("HMGET").arg(self.redis_key(key)).arg("f").arg("l").arg("u");
        }
        let kinds: Vec<KeyKind> = keys.iter().map(|k| k.kind()).collect();
        let policy = *policy;
        let mut conn = self.conn.clone();
        let query = async move { pipe.query_async::<Vec<[Option<u64>; 3]>>(&mut conn).await };
        let fut = self.bounded(query);
        Box::pin(async move {
            let rows = fut.await?;
            let now = millis(now);
            let mut status = ThrottleStatus::default();
            for (kind, [f, l, u]) in kinds.into_iter().zip(rows) {
                let limits = policy.limits(kind);
                let failures = limits.decayed(
                    u32::try_from(f.unwrap_or(0)).unwrap_or(u32::MAX),
                    Duration::from_millis(now.saturating_sub(l.unwrap_or(now))),
                );
                let until = u.unwrap_or(0);
                let locked_for = (until > now).then(|| Duration::from_millis(until - now));
                status.locked_for = status.locked_for.max(locked_for);
                status.failures = status.failures.max(failures);
            }
            Ok(status)
        })
    }

    fn record_failure(&self, keys: &[ThrottleKey], policy: &Policy, now: Duration) -> Self::Future {
        let names: Vec<String> = keys.iter().map(|k| self.redis_key(k)).collect();
        let mut args: Vec<u64> = vec![millis(now)];
        for key in keys {
            args.extend(limit_args(policy.limits(key.kind())));
        }
        let script = self.script.clone();
        let mut conn = self.conn.clone();
        let fut = self.bounded(async move {
            let mut invocation = script.prepare_invoke();
            for name in &names {
                invocation.key(name);
            }
            for a in &args {
                invocation.arg(*a);
            }
            invocation.invoke_async::<(u64, u64)>(&mut conn).await
        });
        Box::pin(async move {
            let (locked, failures) = fut.await?;
            Ok(ThrottleStatus {
                locked_for: (locked > 0).then(|| Duration::from_millis(locked)),
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
            })
        })
    }

    fn reset(&self, keys: &[ThrottleKey]) -> Self::Future {
        let names: Vec<String> = keys.iter().map(|k| self.redis_key(k)).collect();
        let mut conn = self.conn.clone();
        let fut = self.bounded(async move {
            if names.is_empty() {
                return Ok(());
            }
            redis::cmd("DEL").arg(names).query_async::<()>(&mut conn).await
        });
        Box::pin(async move {
            fut.await?;
            Ok(ThrottleStatus::default())
        })
    }
}
