//! [`RedisThrottleStore`]: the throttle's counts shared by a fleet.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::time::Duration;

use ::redis::Script;

use super::Redis;
use crate::BoxError;
use crate::throttle::{Limits, ThrottleKey, ThrottleStatus, ThrottleStore};

/// Records one failure per key, atomically, and returns `{locked_for_ms, failures}` (the
/// largest over the keys). ARGV: now, then per key: free, base, max, decay (milliseconds).
/// Each key is a hash `f` (failures), `l` (last failure), `u` (locked until), with a TTL that
/// outlives both the lock and the decay of its count, and no longer.
static RECORD_FAILURE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
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
"#,
    )
});

type StoreFuture = Pin<Box<dyn Future<Output = Result<ThrottleStatus, BoxError>> + Send>>;

/// The store made by `Redis`: see its method's documentation.
#[derive(Clone)]
pub(crate) struct RedisThrottleStore {
    redis: Redis,
}

impl fmt::Debug for RedisThrottleStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisThrottleStore")
            .field("redis", &self.redis)
            .finish()
    }
}

impl RedisThrottleStore {
    pub(super) fn new(redis: Redis) -> Self {
        RedisThrottleStore { redis }
    }

    fn key(&self, key: &ThrottleKey) -> String {
        self.redis.key("throttle", &key.to_hex())
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn limit_args(limits: &Limits) -> [u64; 4] {
    [
        u64::from(limits.free_failures),
        millis(limits.base_delay),
        millis(limits.max_delay),
        millis(limits.decay),
    ]
}

impl ThrottleStore for RedisThrottleStore {
    fn check(&self, keys: &[ThrottleKey], now: Duration) -> StoreFuture {
        let mut pipe = ::redis::pipe();
        for key in keys {
            pipe.cmd("HMGET").arg(self.key(key)).arg("f").arg("l").arg("u");
        }
        let limits: Vec<Limits> = keys.iter().map(|k| *k.limits()).collect();
        let rows = self.redis.run("throttle check", move |mut conn| async move {
            pipe.query_async::<Vec<[Option<u64>; 3]>>(&mut conn).await
        });
        Box::pin(async move {
            let rows = rows.await?;
            let now = millis(now);
            let mut status = ThrottleStatus::default();
            for (limits, [f, l, u]) in limits.into_iter().zip(rows) {
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

    fn record_failure(&self, keys: &[ThrottleKey], now: Duration) -> StoreFuture {
        let names: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let mut args: Vec<u64> = vec![millis(now)];
        for key in keys {
            args.extend(limit_args(key.limits()));
        }
        let answer = self.redis.run("throttle record", move |mut conn| async move {
            let mut invocation = RECORD_FAILURE.prepare_invoke();
            for name in &names {
                invocation.key(name);
            }
            for a in &args {
                invocation.arg(*a);
            }
            invocation.invoke_async::<(u64, u64)>(&mut conn).await
        });
        Box::pin(async move {
            let (locked, failures) = answer.await?;
            Ok(ThrottleStatus {
                locked_for: (locked > 0).then(|| Duration::from_millis(locked)),
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
            })
        })
    }

    fn reset(&self, keys: &[ThrottleKey]) -> StoreFuture {
        let names: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let done = self.redis.run("throttle reset", move |mut conn| async move {
            if names.is_empty() {
                return Ok(());
            }
            ::redis::cmd("DEL").arg(names).query_async::<()>(&mut conn).await
        });
        Box::pin(async move {
            done.await?;
            Ok(ThrottleStatus::default())
        })
    }
}
