//! The tests that drive outside programs: curl, wget, python `requests`/`httpx`, the
//! apache2-utils `htpasswd`/`htdigest`, and redis-server. One binary with a module per area,
//! run by `support::harness` (libtest-mimic): a test whose program is missing is reported as
//! `ignored (needs curl)`, and fails under `CI=true`; a line after the summary lists what
//! was missing.

#[path = "../fixtures/mod.rs"]
mod fixtures;
#[path = "../support/mod.rs"]
mod support;

mod bearer;
mod digest;
mod precis;
mod proxy;
#[cfg(feature = "redis")]
mod redis_fleet;
#[cfg(feature = "redis")]
mod redis_throttle;
#[cfg(feature = "htdigest")]
mod store_htdigest;
#[cfg(feature = "htpasswd")]
mod store_htpasswd;

fn main() {
    support::harness::run(&[
        bearer::TESTS,
        digest::TESTS,
        precis::TESTS,
        proxy::TESTS,
        #[cfg(feature = "redis")]
        redis_fleet::TESTS,
        #[cfg(all(feature = "redis", feature = "jwt"))]
        redis_fleet::jwt::TESTS,
        #[cfg(feature = "redis")]
        redis_throttle::TESTS,
        #[cfg(feature = "htdigest")]
        store_htdigest::TESTS,
        #[cfg(feature = "htpasswd")]
        store_htpasswd::TESTS,
    ])
}
