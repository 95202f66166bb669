//! Shared measuring tools for the benches: the bare service, equal-work competitors, a
//! synchronous driver, and the list of cases the micro-harnesses (`paired.rs`, `alloc.rs`)
//! run.
//!
//! Every case is a tower service over `Request<axum::body::Body>` whose futures complete on
//! the first poll, so a case is driven with a no-op waker and no runtime: what is measured is
//! the middleware, not an executor. A case owns a monomorphised loop over a batch of prebuilt
//! requests ([`Case::run`]), so the only indirect call is one per batch.
//!
//! Other schemes plug in by building their own `Vec<Case>` with [`case`] (see
//! `basic_cases`) and reusing [`Handler`], [`User`], [`drive`] and the harnesses' runners.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::hint::black_box;
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use subtle::ConstantTimeEq;
use tower::{Layer, Service};
use tower_http::auth::{AsyncAuthorizeRequest, AsyncRequireAuthorizationLayer};
use tower_http::validate_request::ValidateRequestHeaderLayer;
use tower_httpauth::basic::StaticCredentials;
use tower_httpauth::{AuthLayer, AuthUser, Basic, BasicCredentials, constant_time_eq};

/// The request type of every case.
pub type Req = Request<Body>;
/// The response type of every case.
pub type Res = Response<Body>;

/// The user-id every case accepts.
pub const USERNAME: &str = "Aladdin";
/// The password every case accepts.
pub const PASSWORD: &str = "open sesame";

/// The authenticated user a real verifier hands on: a shared record, so that cloning it does
/// not allocate (what a lookup in an in-memory user table returns).
#[derive(Clone, Debug)]
pub struct User(pub Arc<str>);

/// A stored account: what a real verifier compares against.
pub struct Account {
    /// The user-id, as bytes.
    pub name: Box<[u8]>,
    /// The password, as bytes.
    pub password: Box<[u8]>,
    /// The user handed on on success.
    pub user: User,
}

/// The one account of the benches.
pub static ACCOUNT: LazyLock<Account> = LazyLock::new(|| Account {
    name: USERNAME.as_bytes().into(),
    password: PASSWORD.as_bytes().into(),
    user: User(Arc::from(USERNAME)),
});

fn leak(s: String) -> HeaderValue {
    HeaderValue::from_static(Box::leak(s.into_boxed_str()))
}

/// `Authorization: Basic` for the right credentials (cloning it does not allocate).
pub static BASIC_GOOD: LazyLock<HeaderValue> =
    LazyLock::new(|| leak(format!("Basic {}", STANDARD.encode(format!("{USERNAME}:{PASSWORD}")))));
/// `Authorization: Basic` with a wrong password of the same length.
pub static BASIC_BAD: LazyLock<HeaderValue> =
    LazyLock::new(|| leak(format!("Basic {}", STANDARD.encode(format!("{USERNAME}:open sesamf")))));

/// A request carrying `authorization`, if any. Headers are built here, outside any timing.
pub fn request(authorization: Option<&HeaderValue>) -> Req {
    let mut req = Request::new(Body::empty());
    if let Some(v) = authorization {
        req.headers_mut().insert(AUTHORIZATION, v.clone());
    }
    req
}

/// The inner service of every case: looks up `T` in the extensions (what a handler reading
/// the user does) and answers `200` if it is there, `204` if not. Never allocates.
pub struct Handler<T>(PhantomData<fn() -> T>);

impl<T> Handler<T> {
    /// A handler reading `T`.
    pub fn new() -> Self {
        Handler(PhantomData)
    }
}

impl<T> Clone for Handler<T> {
    fn clone(&self) -> Self {
        Handler(PhantomData)
    }
}

impl<T: Send + Sync + 'static> Service<Req> for Handler<T> {
    type Response = Res;
    type Error = Infallible;
    type Future = Ready<Result<Res, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let found = black_box(req.extensions().get::<T>()).is_some();
        let mut res = Response::new(Body::empty());
        *res.status_mut() = if found { StatusCode::OK } else { StatusCode::NO_CONTENT };
        ready(Ok(res))
    }
}

/// Drives `svc` through one request with a no-op waker.
///
/// # Panics
///
/// If the service is not ready or its future does not complete on the first poll: every
/// case here completes at once.
#[inline(always)]
pub fn drive<S>(svc: &mut S, req: Req) -> Res
where
    S: Service<Req, Response = Res>,
    S::Error: std::fmt::Debug,
{
    let mut cx = Context::from_waker(Waker::noop());
    match svc.poll_ready(&mut cx) {
        Poll::Ready(Ok(())) => {}
        _ => panic!("service not ready"),
    }
    let mut fut = pin!(svc.call(req));
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(res)) => res,
        Poll::Ready(Err(e)) => panic!("service failed: {e:?}"),
        Poll::Pending => panic!("future did not complete on the first poll"),
    }
}

/// Drives every request of a batch (draining it); returns the sum of the statuses.
pub type Runner = Box<dyn FnMut(&mut Vec<Req>) -> u64>;

/// One measured case: a service, the request it gets, and the status it must answer.
pub struct Case {
    /// Short name, used in tables (`ours/static/ok`).
    pub name: &'static str,
    /// The `Authorization` value sent, if any.
    pub authorization: Option<HeaderValue>,
    /// The status every response must have.
    pub expect: StatusCode,
    /// Drives every request of the batch (draining it); returns the sum of the statuses.
    pub run: Runner,
}

impl Case {
    /// Fills `batch` with `n` fresh requests for this case (outside any timing).
    pub fn fill(&self, batch: &mut Vec<Req>, n: usize) {
        batch.clear();
        batch.extend((0..n).map(|_| request(self.authorization.as_ref())));
    }

    /// Runs one request and checks the status.
    ///
    /// # Panics
    ///
    /// If the status is not the expected one: the case would measure the wrong thing.
    pub fn check(&mut self) {
        let mut batch = Vec::new();
        self.fill(&mut batch, 1);
        let got = (self.run)(&mut batch);
        assert_eq!(
            got,
            u64::from(self.expect.as_u16()),
            "case {} answered {got}, expected {}",
            self.name,
            self.expect
        );
    }
}

/// A case from a service.
pub fn case<S>(name: &'static str, authorization: Option<&HeaderValue>, expect: StatusCode, mut svc: S) -> Case
where
    S: Service<Req, Response = Res> + 'static,
    S::Error: std::fmt::Debug,
{
    Case {
        name,
        authorization: authorization.cloned(),
        expect,
        run: Box::new(move |batch: &mut Vec<Req>| {
            let mut sum = 0u64;
            for req in batch.drain(..) {
                let res = drive(&mut svc, req);
                sum += u64::from(res.status().as_u16());
            }
            sum
        }),
    }
}

// ---------------------------------------------------------------------------------------
// Equal-work competitors: what a user would write by hand for a real Basic check.
// ---------------------------------------------------------------------------------------

/// A real Basic check written the usual way: decode into a `Vec`, read as UTF-8, split at
/// the first colon, compare both halves in constant time with `subtle`, clone the user.
pub fn hand_check_basic(headers: &HeaderMap) -> Option<User> {
    let value = headers.get(AUTHORIZATION)?;
    let token = value.as_bytes().strip_prefix(b"Basic ")?;
    let decoded = STANDARD.decode(token).ok()?;
    let text = std::str::from_utf8(&decoded).ok()?;
    let (name, password) = text.split_once(':')?;
    let ok = name.as_bytes().ct_eq(&ACCOUNT.name) & password.as_bytes().ct_eq(&ACCOUNT.password);
    bool::from(ok).then(|| ACCOUNT.user.clone())
}

/// The `401` the hand-written middlewares answer (a prebuilt challenge, as ours has).
pub fn hand_unauthorized() -> Res {
    static CHALLENGE: HeaderValue = HeaderValue::from_static(r#"Basic realm="bench", charset="UTF-8""#);
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut().insert(WWW_AUTHENTICATE, CHALLENGE.clone());
    res
}

/// `AsyncRequireAuthorization` with a boxed future (as tower-http's docs show).
#[derive(Clone, Copy)]
pub struct BoxedAuth;

impl AsyncAuthorizeRequest<Body> for BoxedAuth {
    type RequestBody = Body;
    type ResponseBody = Body;
    type Future = Pin<Box<dyn Future<Output = Result<Req, Res>> + Send>>;

    fn authorize(&mut self, mut req: Req) -> Self::Future {
        Box::pin(async move {
            match hand_check_basic(req.headers()) {
                Some(user) => {
                    req.extensions_mut().insert(user);
                    Ok(req)
                }
                None => Err(hand_unauthorized()),
            }
        })
    }
}

/// `AsyncRequireAuthorization` with an unboxed, already-ready future (the cheapest it gets).
#[derive(Clone, Copy)]
pub struct ReadyAuth;

impl AsyncAuthorizeRequest<Body> for ReadyAuth {
    type RequestBody = Body;
    type ResponseBody = Body;
    type Future = Ready<Result<Req, Res>>;

    fn authorize(&mut self, mut req: Req) -> Self::Future {
        ready(match hand_check_basic(req.headers()) {
            Some(user) => {
                req.extensions_mut().insert(user);
                Ok(req)
            }
            None => Err(hand_unauthorized()),
        })
    }
}

/// axum `middleware::from_fn` doing the same check.
pub async fn from_fn_basic(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    match hand_check_basic(req.headers()) {
        Some(user) => {
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        None => hand_unauthorized(),
    }
}

/// Our real verifier: an async closure comparing in constant time and returning the user.
pub fn ours_closure_layer() -> AuthLayer<impl tower_httpauth::Scheme<User = User>> {
    AuthLayer::new(
        Basic::new(|c: BasicCredentials| async move {
            let account = &*ACCOUNT;
            let ok = constant_time_eq(c.username().as_bytes(), &account.name)
                & constant_time_eq(c.password().as_bytes(), &account.password);
            ok.then(|| account.user.clone())
        })
        .realm("bench"),
    )
}

/// The same check as [`ours_closure_layer`], as a synchronous verifier ([`sync_fn`]): the
/// layer decides inside `call`.
pub fn ours_sync_layer() -> AuthLayer<impl tower_httpauth::Scheme<User = User>> {
    AuthLayer::new(
        Basic::new(tower_httpauth::sync_fn(|c: &BasicCredentials| {
            let account = &*ACCOUNT;
            let ok = constant_time_eq(c.username().as_bytes(), &account.name)
                & constant_time_eq(c.password().as_bytes(), &account.password);
            ok.then(|| account.user.clone())
        }))
        .realm("bench"),
    )
}

/// Our fixed-credential verifier, unit user, as a pure gate (`insert_user(false)`): nothing
/// handed on, like tower-http's `ValidateRequestHeaderLayer`.
pub fn ours_static_layer() -> AuthLayer<Basic<StaticCredentials>> {
    ours_static_user_layer().insert_user(false)
}

/// Our fixed-credential verifier, unit user, inserted as `AuthUser<()>` (the default).
pub fn ours_static_user_layer() -> AuthLayer<Basic<StaticCredentials>> {
    AuthLayer::new(Basic::new(StaticCredentials::new(USERNAME, PASSWORD)).realm("bench"))
}

/// Diagnostic: a middleware that only inserts the user into the extensions (no check).
#[derive(Clone)]
pub struct InsertOnly<S>(pub S);

impl<S: Service<Req>> Service<Req> for InsertOnly<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: Req) -> S::Future {
        req.extensions_mut().insert(ACCOUNT.user.clone());
        self.0.call(req)
    }
}

/// Diagnostic: a scheme that checks nothing and accepts everyone, to measure our layer's
/// own machinery (exempt check, parts split, response future, extensions insert).
pub struct NoopScheme;

impl tower_httpauth::Scheme for NoopScheme {
    type User = User;
    type Future = Ready<Result<tower_httpauth::scheme::Authenticated<User>, tower_httpauth::AuthFailure>>;

    fn detect(&self, _request: &tower_httpauth::scheme::AuthRequest<'_>) -> bool {
        true
    }

    fn authenticate(&self, _request: &tower_httpauth::scheme::AuthRequest<'_>) -> Self::Future {
        ready(Ok(tower_httpauth::scheme::Authenticated::new(ACCOUNT.user.clone())))
    }

    fn challenge(&self, _failure: &tower_httpauth::AuthFailure, _headers: &mut HeaderMap) {}
}

/// The name of the floor case, subtracted from every other case.
pub const FLOOR: &str = "bare";

/// Every Basic case, the floor first.
///
/// Pairs (ours vs theirs, equal work):
/// - `ours/static/*` vs `tower-http/validate/*`: fixed credential, nothing handed on;
/// - `ours/closure/*` vs `async-auth/boxed/*`, `async-auth/ready/*`, `axum/from_fn/*`: a real
///   check (decode, split, constant-time compare) whose user reaches the handler.
pub fn basic_cases() -> Vec<Case> {
    let good = Some(&*BASIC_GOOD);
    let bad = Some(&*BASIC_BAD);
    #[allow(deprecated)]
    let validate = || ValidateRequestHeaderLayer::basic(USERNAME, PASSWORD);
    #[allow(deprecated)]
    let validate_bearer = || ValidateRequestHeaderLayer::bearer(BEARER_TOKEN);
    let mut cases = vec![
        case(FLOOR, good, StatusCode::NO_CONTENT, Handler::<User>::new()),
        case(
            "ours/static/ok",
            good,
            StatusCode::NO_CONTENT,
            ours_static_layer().layer(Handler::<AuthUser<()>>::new()),
        ),
        case(
            "ours/static/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            ours_static_layer().layer(Handler::<AuthUser<()>>::new()),
        ),
        case(
            "ours/static-user/ok",
            good,
            StatusCode::OK,
            ours_static_user_layer().layer(Handler::<AuthUser<()>>::new()),
        ),
        case(
            "tower-http/validate/ok",
            good,
            StatusCode::NO_CONTENT,
            validate().layer(Handler::<User>::new()),
        ),
        case(
            "tower-http/validate/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            validate().layer(Handler::<User>::new()),
        ),
        case(
            "ours/bearer-gate/ok",
            Some(&*BEARER_GOOD),
            StatusCode::NO_CONTENT,
            ours_bearer_gate().layer(Handler::<AuthUser<()>>::new()),
        ),
        case(
            "ours/bearer-gate/fail",
            Some(&*BEARER_BAD),
            StatusCode::UNAUTHORIZED,
            ours_bearer_gate().layer(Handler::<AuthUser<()>>::new()),
        ),
        case(
            "tower-http/validate-bearer/ok",
            Some(&*BEARER_GOOD),
            StatusCode::NO_CONTENT,
            validate_bearer().layer(Handler::<User>::new()),
        ),
        case(
            "tower-http/validate-bearer/fail",
            Some(&*BEARER_BAD),
            StatusCode::UNAUTHORIZED,
            validate_bearer().layer(Handler::<User>::new()),
        ),
        case(
            "ours/closure/ok",
            good,
            StatusCode::OK,
            ours_closure_layer().layer(Handler::<AuthUser<User>>::new()),
        ),
        case(
            "ours/closure/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            ours_closure_layer().layer(Handler::<AuthUser<User>>::new()),
        ),
        case(
            "ours/sync/ok",
            good,
            StatusCode::OK,
            ours_sync_layer().layer(Handler::<AuthUser<User>>::new()),
        ),
        case(
            "ours/sync/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            ours_sync_layer().layer(Handler::<AuthUser<User>>::new()),
        ),
        case(
            "async-auth/boxed/ok",
            good,
            StatusCode::OK,
            AsyncRequireAuthorizationLayer::new(BoxedAuth).layer(Handler::<User>::new()),
        ),
        case(
            "async-auth/boxed/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            AsyncRequireAuthorizationLayer::new(BoxedAuth).layer(Handler::<User>::new()),
        ),
        case(
            "async-auth/ready/ok",
            good,
            StatusCode::OK,
            AsyncRequireAuthorizationLayer::new(ReadyAuth).layer(Handler::<User>::new()),
        ),
        case(
            "async-auth/ready/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            AsyncRequireAuthorizationLayer::new(ReadyAuth).layer(Handler::<User>::new()),
        ),
        case(
            "axum/from_fn/ok",
            good,
            StatusCode::OK,
            axum::middleware::from_fn(from_fn_basic).layer(Handler::<User>::new()),
        ),
        case(
            "axum/from_fn/fail",
            bad,
            StatusCode::UNAUTHORIZED,
            axum::middleware::from_fn(from_fn_basic).layer(Handler::<User>::new()),
        ),
        case(
            "diag/insert-only",
            good,
            StatusCode::OK,
            InsertOnly(Handler::<User>::new()),
        ),
        case(
            "diag/ours-noop-scheme",
            good,
            StatusCode::OK,
            AuthLayer::new(NoopScheme).layer(Handler::<AuthUser<User>>::new()),
        ),
        case(
            "diag/ours-noop-gate",
            good,
            StatusCode::NO_CONTENT,
            AuthLayer::new(NoopScheme)
                .insert_user(false)
                .layer(Handler::<AuthUser<User>>::new()),
        ),
    ];
    for c in &mut cases {
        c.check();
    }
    cases
}

/// The pairs whose ratio the paired harness prints: (label, ours, theirs). Reference figures,
/// not targets: what users meet is measured by `benches/load.rs`.
pub const BASIC_PAIRS: &[(&str, &str, &str)] = &[
    ("fixed credential, success", "ours/static/ok", "tower-http/validate/ok"),
    (
        "fixed credential, failure",
        "ours/static/fail",
        "tower-http/validate/fail",
    ),
    (
        "fixed Bearer token, success",
        "ours/bearer-gate/ok",
        "tower-http/validate-bearer/ok",
    ),
    (
        "fixed Bearer token, failure",
        "ours/bearer-gate/fail",
        "tower-http/validate-bearer/fail",
    ),
    ("real verifier, success", "ours/closure/ok", "async-auth/ready/ok"),
    ("real verifier, success", "ours/closure/ok", "async-auth/boxed/ok"),
    ("real verifier, success", "ours/closure/ok", "axum/from_fn/ok"),
    (
        "real verifier (sync_fn), success",
        "ours/sync/ok",
        "async-auth/ready/ok",
    ),
    ("real verifier (sync_fn), success", "ours/sync/ok", "axum/from_fn/ok"),
    (
        "real verifier (sync_fn), failure",
        "ours/sync/fail",
        "async-auth/ready/fail",
    ),
    ("real verifier, failure", "ours/closure/fail", "async-auth/ready/fail"),
    ("real verifier, failure", "ours/closure/fail", "axum/from_fn/fail"),
];

/// A tiny xorshift64* generator for shuffling case order (no dependency).
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a seed (any non-zero value).
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Shuffles `v` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The `p`-quantile (0..=1) of sorted `v`, by linear interpolation.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

// ---------------------------------------------------------------------------------------
// The paired, interleaved harness (used by benches/paired.rs).
// ---------------------------------------------------------------------------------------

/// Bounds of a paired run.
#[derive(Debug, Clone, Copy)]
pub struct PairedConfig {
    /// Most rounds.
    pub rounds: usize,
    /// Requests per case per round.
    pub batch: usize,
    /// Stop after this long, even if fewer rounds ran.
    pub max_time: std::time::Duration,
}

impl PairedConfig {
    /// From `PAIRED_ROUNDS`, `PAIRED_BATCH`, `PAIRED_SECS`; a tiny smoke run unless the binary
    /// was started by `cargo bench` (which passes `--bench`).
    pub fn from_env() -> Self {
        let var = |k: &str, d: u64| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
        if std::env::args().any(|a| a == "--bench") {
            PairedConfig {
                rounds: var("PAIRED_ROUNDS", 3000) as usize,
                batch: var("PAIRED_BATCH", 1000) as usize,
                max_time: std::time::Duration::from_secs(var("PAIRED_SECS", 40)),
            }
        } else {
            PairedConfig {
                rounds: 3,
                batch: 20,
                max_time: std::time::Duration::from_secs(5),
            }
        }
    }
}

/// Per-case results of a paired run, nanoseconds per request.
pub struct PairedResult {
    /// Case names, in the order given.
    pub names: Vec<&'static str>,
    /// `raw[case][round]`: time per request.
    pub raw: Vec<Vec<f64>>,
    /// `diff[case][round]`: time per request minus the floor's in the same round.
    pub diff: Vec<Vec<f64>>,
    /// Rounds run.
    pub rounds: usize,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

impl PairedResult {
    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// (p25, median, p75) of the floor-subtracted times of `name`.
    pub fn overhead(&self, name: &str) -> Option<(f64, f64, f64)> {
        let mut v = self.diff[self.index(name)?].clone();
        v.sort_by(f64::total_cmp);
        Some((quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75)))
    }

    /// (p25, median, p75) of the raw times of `name`.
    pub fn raw_quantiles(&self, name: &str) -> Option<(f64, f64, f64)> {
        let mut v = self.raw[self.index(name)?].clone();
        v.sort_by(f64::total_cmp);
        Some((quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75)))
    }

    /// The median over rounds of `ours / theirs` (floor-subtracted, same round).
    pub fn median_round_ratio(&self, ours: &str, theirs: &str) -> Option<f64> {
        let (a, b) = (self.index(ours)?, self.index(theirs)?);
        let mut v: Vec<f64> = self.diff[a].iter().zip(&self.diff[b]).map(|(x, y)| x / y).collect();
        v.sort_by(f64::total_cmp);
        Some(quantile(&v, 0.5))
    }
}

/// Runs `cases` (the floor named [`FLOOR`] among them) round after round: each round runs
/// every case once, in a freshly shuffled order, on a batch of freshly built requests, and
/// records the time per request.
pub fn run_paired(mut cases: Vec<Case>, config: PairedConfig) -> PairedResult {
    use std::time::Instant;
    let floor = cases.iter().position(|c| c.name == FLOOR).expect("a floor case");
    let n = cases.len();
    let mut raw = vec![Vec::with_capacity(config.rounds); n];
    let mut batch = Vec::with_capacity(config.batch);
    // Warm up: caches, branch predictors, the allocator's free lists.
    for case in &mut cases {
        for _ in 0..3 {
            case.fill(&mut batch, config.batch);
            black_box((case.run)(&mut batch));
        }
    }
    let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
    let mut order: Vec<usize> = (0..n).collect();
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < config.rounds && start.elapsed() < config.max_time {
        rng.shuffle(&mut order);
        for &i in &order {
            let case = &mut cases[i];
            case.fill(&mut batch, config.batch);
            let t = Instant::now();
            black_box((case.run)(&mut batch));
            let ns = t.elapsed().as_nanos() as f64 / config.batch as f64;
            raw[i].push(ns);
        }
        rounds += 1;
    }
    let diff = raw
        .iter()
        .map(|r| r.iter().zip(&raw[floor]).map(|(x, f)| x - f).collect())
        .collect();
    PairedResult {
        names: cases.iter().map(|c| c.name).collect(),
        raw,
        diff,
        rounds,
        elapsed: start.elapsed(),
    }
}

/// Prints the result as Markdown tables: the pairs' ratios first, then per-case figures.
pub fn print_paired(title: &str, result: &PairedResult, config: &PairedConfig, pairs: &[(&str, &str, &str)]) {
    println!("## {title}\n");
    println!(
        "{} rounds × {} requests per case in {:.1} s; every round runs every case once in shuffled order.\n",
        result.rounds,
        config.batch,
        result.elapsed.as_secs_f64()
    );
    if let Some((p25, med, p75)) = result.raw_quantiles(FLOOR) {
        println!(
            "Noise: the floor (`{FLOOR}`) took {med:.1} ns/request, IQR {p25:.1}–{p75:.1} ns ({:.0}% of its median).\n",
            100.0 * (p75 - p25) / med
        );
    }
    println!("| path | ours | theirs | ours / theirs (ratio of medians) | median of per-round ratios |");
    println!("|---|---|---|---|---|");
    for &(label, ours, theirs) in pairs {
        let (Some((_, a, _)), Some((_, b, _))) = (result.overhead(ours), result.overhead(theirs)) else {
            continue;
        };
        let ratio = a / b;
        let per_round = result.median_round_ratio(ours, theirs).unwrap_or(f64::NAN);
        println!("| {label} | `{ours}` | `{theirs}` | {ratio:.2} | {per_round:.2} |");
    }
    println!();
    println!("| case | overhead over `{FLOOR}`, median ns | IQR ns | raw median ns/request |");
    println!("|---|---:|---:|---:|");
    for name in &result.names {
        let (p25, med, p75) = result.overhead(name).expect("known case");
        let (_, raw, _) = result.raw_quantiles(name).expect("known case");
        println!("| `{name}` | {med:.1} | {p25:.1} – {p75:.1} | {raw:.1} |");
    }
    println!();
}

/// `Authorization: Bearer` with the token [`multi_cases`] accept.
pub static BEARER_GOOD: LazyLock<HeaderValue> =
    LazyLock::new(|| HeaderValue::from_static("Bearer mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789"));

/// `Authorization: Bearer` with a wrong token (the last character differs).
pub static BEARER_BAD: LazyLock<HeaderValue> =
    LazyLock::new(|| HeaderValue::from_static("Bearer mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456780"));

/// The token [`BEARER_GOOD`] carries.
const BEARER_TOKEN: &str = "mF_9.B5f-4.1JqM-long-enough-to-be-real-0123456789";

/// The Bearer verifier of the multi-scheme cases, alone and in [`multi4`]: a fixed token
/// checked in constant time, the user a `String`; the same verifier in both cases, so that
/// they differ only by the schemes in front of it.
fn bearer_check() -> impl tower_httpauth::Verifier<tower_httpauth::Token, User = String> {
    tower_httpauth::sync_fn(|t: &tower_httpauth::Token| {
        constant_time_eq(t.as_bytes(), BEARER_TOKEN.as_bytes()).then(|| "john".to_owned())
    })
}

fn bearer_alone() -> AuthLayer<impl tower_httpauth::Scheme<User = String>> {
    AuthLayer::new(tower_httpauth::Bearer::new(bearer_check()))
}

/// A fixed Bearer token, unit user, as a pure gate: against
/// `ValidateRequestHeaderLayer::bearer`.
pub fn ours_bearer_gate() -> AuthLayer<tower_httpauth::Bearer<tower_httpauth::bearer::StaticTokens<()>>> {
    AuthLayer::new(tower_httpauth::Bearer::new(
        tower_httpauth::bearer::StaticTokens::<()>::default().with(BEARER_TOKEN, ()),
    ))
    .insert_user(false)
}

/// Basic, Digest, an API-key header and Bearer on one route, Bearer last (it is detected
/// after the three others: the worst case).
fn multi4() -> AuthLayer<impl tower_httpauth::Scheme<User = String>> {
    use tower_httpauth::bearer::StaticTokens;
    use tower_httpauth::digest::{Digest, DigestUsers};
    use tower_httpauth::{Bearer, Multi};
    let basic = Basic::new(tower_httpauth::sync_fn(|c: &BasicCredentials| {
        (constant_time_eq(c.username().as_bytes(), b"john") & constant_time_eq(c.password().as_bytes(), b"hello"))
            .then(|| "john".to_owned())
    }));
    let digest = Digest::new(DigestUsers::new("bench").with_password("john", "hello")).realm("bench");
    let api_key = Bearer::api_key("x-api-key", StaticTokens::new().with("demo-key-123", "svc"));
    let bearer = Bearer::new(bearer_check());
    AuthLayer::new(Multi::new(basic).or(digest).or(api_key).or(bearer))
}

/// The multi-scheme cases: the same Bearer request through Bearer alone and through four
/// schemes, and a request without credentials (one challenge against five: Digest offers two).
pub fn multi_cases() -> Vec<Case> {
    let good = Some(&*BEARER_GOOD);
    let mut cases = vec![
        case(FLOOR, good, StatusCode::NO_CONTENT, Handler::<AuthUser<String>>::new()),
        case(
            "bearer-alone/ok",
            good,
            StatusCode::OK,
            bearer_alone().layer(Handler::<AuthUser<String>>::new()),
        ),
        case(
            "multi4/ok",
            good,
            StatusCode::OK,
            multi4().layer(Handler::<AuthUser<String>>::new()),
        ),
        case(
            "bearer-alone/missing",
            None,
            StatusCode::UNAUTHORIZED,
            bearer_alone().layer(Handler::<AuthUser<String>>::new()),
        ),
        case(
            "multi4/missing",
            None,
            StatusCode::UNAUTHORIZED,
            multi4().layer(Handler::<AuthUser<String>>::new()),
        ),
    ];
    for c in &mut cases {
        c.check();
    }
    cases
}

/// The multi-scheme pair: four schemes against the chosen one alone.
pub const MULTI_PAIRS: &[(&str, &str, &str)] = &[("4 schemes, Bearer chosen last", "multi4/ok", "bearer-alone/ok")];
