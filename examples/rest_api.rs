//! A REST API with a real user database: register, log in with Basic, exchange the
//! password for a signed token, use it, an admin-only route, and the same users through
//! Digest.
//!
//! ```sh
//! cargo run --example rest_api          # http://127.0.0.1:8080 (PORT overrides)
//! ```
//!
//! The users live in an SQLite file, `rest_api.db` in the working directory, created on the
//! first run; `DATABASE_URL` points at another SQLite file (`sqlite://other.db?mode=rwc`).
//! SQLite only: the example builds sqlx with its SQLite driver alone, which keeps the first
//! build small (a PostgreSQL server would need sqlx's `postgres` feature, a `PgPool` and a
//! `BIGSERIAL` id). On start it prints a curl
//! walk-through. `RUST_LOG=debug` shows more of what the layer does; failed logins are
//! logged at `warn` with the username (never the password).
//!
//! | route | authentication | answer |
//! |---|---|---|
//! | `POST /api/users` `{"username","password"}` | none | `201` `{"username"}` + `Location`; `400` JSON error |
//! | `GET /api/users/{id}` | none | `200` `{"id","username"}`, `404` |
//! | `GET /api/token` | Basic, throttled | `{"token","duration":600}`; `429` + `Retry-After` when locked |
//! | `GET /api/resource` | Basic or Bearer token, throttled | `{"data":"Hello, <username>!"}` |
//! | `GET /api/admin` | Basic or Bearer token, role `admin`, throttled | `{"data":…}`; `403` for others |
//! | `GET /api/digest` | Digest (SHA-256, MD5), throttled | `{"data":"Hello, <username>!"}` |
//!
//! The first registered user is the admin. Every error is JSON (`{"error","message"}`), and
//! every `401` carries its `WWW-Authenticate` challenges.
//!
//! Password guessing is throttled on every authenticated route, as a real API should: one
//! [`Throttle`] with the crate's defaults counts wrong credentials per user-id (5 free, counted
//! case-insensitively) and per client address (20 free), across all routes; beyond that each
//! failure locks the user-id or address for 1 s, doubling up to 15 minutes, and a locked one
//! gets `429` + `Retry-After` (JSON `too_many_requests`) before any password is hashed. The
//! client address is the TCP peer (`main` serves with `ConnectInfo`); behind a reverse proxy,
//! use `ClientAddrSource::forwarded_for` instead.
//!
//! Usernames and passwords are stored in their RFC 8265 (PRECIS) forms, the forms Basic and
//! Digest compare with: `ｍｉｇｕｅｌ` registers and logs in as `miguel`, and a password with
//! an `é` works whether it was typed precomposed or decomposed.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::sqlite::{SqlitePool, SqlitePoolOptions};
use tower_httpauth::digest::{Algorithm, Digest, DigestLookup, DigestUser};
use tower_httpauth::header::{AuthParams, split_scheme};
use tower_httpauth::precis::{self, PrecisError};
use tower_httpauth::store::{HashPolicy, HashPool, HashedPasswords};
use tower_httpauth::throttle::Throttle;
use tower_httpauth::token::SignedTokens;
use tower_httpauth::{AuthFailure, AuthLayer, AuthUser, Basic, Bearer, FailureKind, Multi, Token};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The realm of every challenge; the Digest HA1s stored at registration are bound to it.
pub const REALM: &str = "rest-api example";
/// How long issued tokens live.
pub const TOKEN_TTL: Duration = Duration::from_secs(600);
/// The longest username and password accepted at registration, in characters.
pub const MAX_LEN: usize = 64;
/// The database used when `DATABASE_URL` is not set: a file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://rest_api.db?mode=rwc";

/// A user, as the handlers and the roles hook see it.
#[derive(Clone, Debug)]
pub struct User {
    /// The database id.
    pub id: i64,
    /// The username.
    pub username: String,
    /// `admin` or `user`.
    pub role: String,
}

/// Secrets that must be shared by every instance behind a load balancer.
#[derive(Clone)]
pub struct Secrets {
    /// Signs tokens (at least 32 bytes).
    pub token_key: Vec<u8>,
    /// Signs Digest nonces.
    pub digest_key: Vec<u8>,
}

impl Secrets {
    /// `TOKEN_SECRET` and `DIGEST_SECRET` from the environment (at least 32 bytes each), or
    /// random keys: tokens and nonces then die with the process.
    pub fn from_env() -> Self {
        let key = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|s| s.len() >= 32)
                .map(String::into_bytes)
                .unwrap_or_else(|| {
                    let mut k = vec![0u8; 32];
                    getrandom::fill(&mut k).expect("the system's random number generator");
                    k
                })
        };
        Secrets {
            token_key: key("TOKEN_SECRET"),
            digest_key: key("DIGEST_SECRET"),
        }
    }
}

/// Opens the SQLite database at `url` and migrates the schema.
pub async fn open_database(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new().max_connections(5).connect(url).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Schema version 1. A real application keeps numbered migrations (`sqlx migrate`); this
/// one is idempotent, so running it at every start is the migration.
async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            ha1_sha256 TEXT NOT NULL,
            ha1_md5 TEXT NOT NULL,
            role TEXT NOT NULL
        )",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One user row and the column asked for (a hash or an HA1).
async fn find_user(
    db: &SqlitePool,
    username: &str,
    secret_column: &str,
) -> Result<Option<(User, String)>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT id, username, role, {secret_column} FROM users WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok((
            User {
                id: r.try_get(0)?,
                username: r.try_get(1)?,
                role: r.try_get(2)?,
            },
            r.try_get(3)?,
        ))
    })
    .transpose()
}

#[derive(Clone)]
struct AppState {
    db: SqlitePool,
    hashes: HashPool,
    tokens: SignedTokens,
}

/// The application, with secrets from the environment (see [`Secrets::from_env`]).
pub fn app(db: SqlitePool) -> Router {
    app_with(db, Secrets::from_env())
}

/// The application with the given secrets.
pub fn app_with(db: SqlitePool, secrets: Secrets) -> Router {
    let tokens = SignedTokens::new("rest-api-1", secrets.token_key).ttl(TOKEN_TTL);
    // Argon2id runs on tokio's blocking threads, a few at a time, for logins and registrations.
    let hashes = HashPool::default();
    let state = AppState {
        db: db.clone(),
        hashes: hashes.clone(),
        tokens: tokens.clone(),
    };

    // Basic: the password is checked against the stored Argon2id hash.
    let basic = || {
        let db = db.clone();
        let verifier = HashedPasswords::new(move |username: String| {
            let db = db.clone();
            async move { find_user(&db, &username, "password_hash").await }
        })
        .pool(hashes.clone())
        .policy(HashPolicy::default());
        Basic::new(verifier).realm(REALM)
    };

    // Bearer: a token from /api/token; the user must still exist. Two kinds of `Err` are
    // kept apart: a refused token is a refusal with its reason for the client
    // (`AuthFailure::invalid().with_description(…)`: 401 invalid_token), while a database
    // error is a failure of the verifier (`AuthFailure::internal`: 500, logged, never a 401).
    let bearer = {
        let db = db.clone();
        Bearer::new(move |token: Token| {
            let claims = tokens.verify(token.as_str());
            let db = db.clone();
            async move {
                let claims = claims.map_err(|e| AuthFailure::invalid().with_description(e.description()))?;
                match find_user(&db, claims.subject(), "role").await {
                    Ok(Some((user, _))) => Ok(user),
                    Ok(None) => Err(AuthFailure::invalid()),
                    Err(e) => Err(AuthFailure::internal(e)),
                }
            }
        })
        .realm(REALM)
    };

    // Digest: the HA1 stored for the algorithm the client chose. `Ok(None)` is an unknown
    // user (401); an `sqlx::Error`, like any error type, is a failure of the store (500).
    let digest = {
        let db = db.clone();
        Digest::new(move |lookup: DigestLookup| {
            let db = db.clone();
            async move {
                let column = match lookup.algorithm().base() {
                    Algorithm::Sha256 => "ha1_sha256",
                    Algorithm::Md5 => "ha1_md5",
                    _ => return Ok(None),
                };
                let found = find_user(&db, lookup.username(), column).await?;
                Ok::<_, sqlx::Error>(found.map(|(user, ha1)| DigestUser::with_ha1(user, ha1)))
            }
        })
        .realm(REALM)
        .secret(&secrets.digest_key)
    };

    // One throttle for every route (clones share the counts), so guesses cannot be spread
    // over the routes. Per user-id and per client address, the crate's default limits.
    let throttle = Throttle::new();
    let basic_only = AuthLayer::new(basic())
        .on_failure(json_failure)
        .throttle(throttle.clone());
    let basic_or_token = AuthLayer::new(Multi::new(basic()).or(bearer))
        .roles_from(|u: &User| vec![u.role.clone()])
        .on_failure(json_failure)
        .throttle(throttle.clone());
    let admin = basic_or_token.clone().require_role("admin");
    let digest = AuthLayer::new(digest).on_failure(json_failure).throttle(throttle);

    Router::new()
        .route("/api/users", post(register))
        .route("/api/users/{id}", get(get_user))
        .route("/api/token", get(issue_token).route_layer(basic_only))
        .route("/api/resource", get(hello).route_layer(basic_or_token))
        .route("/api/admin", get(admin_area).route_layer(admin))
        .route("/api/digest", get(hello).route_layer(digest))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed",
            )
        })
        .with_state(state)
}

/// A JSON error response: `{"error": code, "message": message}`.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// Every refusal of the auth layers, as JSON. The layer adds the challenges to a `401` (and
/// `400`, `403`) and `Retry-After` to a `429`, so this only writes the body.
/// Failed logins are logged with the username the client sent, never its password.
fn json_failure(failure: &AuthFailure, parts: &Parts) -> Response<Body> {
    let kind = failure.kind();
    if kind == FailureKind::InvalidCredentials {
        match presented_username(parts) {
            Some(username) => tracing::warn!(?username, path = parts.uri.path(), "failed login"),
            None => tracing::warn!(scheme = failure.scheme(), path = parts.uri.path(), "failed login"),
        }
    }
    let message = match kind {
        FailureKind::MissingCredentials => "authentication required",
        FailureKind::InvalidCredentials => failure.description().unwrap_or("invalid credentials"),
        FailureKind::StaleNonce => "the nonce is stale; retry with a fresh one",
        FailureKind::Forbidden => "you do not have the role this route requires",
        FailureKind::Internal => "internal error",
        FailureKind::TooManyRequests => "too many failed logins; retry after the seconds in Retry-After",
        _ => failure.description().unwrap_or("the request was refused"),
    };
    error(failure.status(), kind.code(), message)
}

/// The username of Basic or Digest credentials, for the log (the password is not kept).
fn presented_username(parts: &Parts) -> Option<String> {
    let (scheme, rest) = split_scheme(parts.headers.get(AUTHORIZATION)?.as_bytes())?;
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = BASE64.decode(rest).ok()?;
        // Without a colon there is no user-id, and the text may be a password: log nothing.
        let colon = decoded.iter().position(|&b| b == b':')?;
        Some(String::from_utf8_lossy(&decoded[..colon]).into_owned())
    } else if scheme.eq_ignore_ascii_case("digest") {
        AuthParams::parse(rest).ok()?.get("username").map(str::to_owned)
    } else {
        None
    }
}

#[derive(Deserialize)]
struct NewUser {
    username: Option<String>,
    password: Option<String>,
}

/// Checks one registration field; the error is the message for the client.
fn field(value: Option<String>, name: &str) -> Result<String, String> {
    let value = value.ok_or_else(|| format!("missing field: {name}"))?;
    if value.is_empty() {
        return Err(format!("{name} must not be empty"));
    }
    if value.chars().count() > MAX_LEN {
        return Err(format!("{name} must be at most {MAX_LEN} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{name} must not contain control characters"));
    }
    Ok(value)
}

/// `POST /api/users`.
async fn register(State(state): State<AppState>, body: Result<Json<NewUser>, JsonRejection>) -> Response {
    let new = match body {
        Ok(Json(new)) => new,
        Err(JsonRejection::MissingJsonContentType(_)) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send JSON with Content-Type: application/json",
            );
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_json", &e.body_text()),
    };
    let (username, password) = match (field(new.username, "username"), field(new.password, "password")) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(msg), _) | (_, Err(msg)) => return error(StatusCode::BAD_REQUEST, "invalid_field", &msg),
    };
    // Store the forms Basic and Digest compare with (RFC 8265, PRECIS): a name typed in
    // fullwidth ("ｍｉｇｕｅｌ") is "miguel", and a password typed with a precomposed "é" or
    // with "e" + U+0301 is the same password at every login. ASCII is left as it is.
    let username = match precis::username(&username) {
        Ok(u) => u.into_owned(),
        // Basic cannot carry a user-id with a colon (RFC 7617 §2).
        Err(PrecisError::Colon) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_field",
                "username must not contain ':'",
            );
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_field", &format!("username: {e}")),
    };
    let password = match precis::password(&password) {
        Ok(p) => p.into_owned(),
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_field", &format!("password: {e}")),
    };
    let taken = || {
        error(
            StatusCode::BAD_REQUEST,
            "username_taken",
            "this username is already taken",
        )
    };
    match sqlx::query("SELECT id FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&state.db)
        .await
    {
        Ok(Some(_)) => return taken(),
        Ok(None) => {}
        Err(e) => return internal(e),
    }

    // Argon2id for Basic; H(A1) for Digest, per algorithm, bound to the realm.
    let pw = password.clone();
    let hash = match state.hashes.run(move || HashPolicy::default().hash(&pw)).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let ha1_sha256 = Algorithm::Sha256.ha1(&username, REALM, &password);
    let ha1_md5 = Algorithm::Md5.ha1(&username, REALM, &password);

    // The first user is the admin.
    let inserted = sqlx::query(
        "INSERT INTO users (username, password_hash, ha1_sha256, ha1_md5, role)
         VALUES ($1, $2, $3, $4, CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'user' ELSE 'admin' END)
         RETURNING id",
    )
    .bind(&username)
    .bind(&hash)
    .bind(ha1_sha256.as_str())
    .bind(ha1_md5.as_str())
    .fetch_one(&state.db)
    .await;
    let id: i64 = match inserted.and_then(|row| row.try_get(0)) {
        Ok(id) => id,
        // Two registrations of one name at once: the UNIQUE constraint decides.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return taken(),
        Err(e) => return internal(e),
    };
    tracing::info!(?username, id, "registered");
    let mut res = (StatusCode::CREATED, Json(json!({ "username": username }))).into_response();
    res.headers_mut().insert(
        LOCATION,
        HeaderValue::from_str(&format!("/api/users/{id}")).expect("digits"),
    );
    res
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error")
}

/// `GET /api/users/{id}`.
async fn get_user(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let not_found = || error(StatusCode::NOT_FOUND, "not_found", "no such user");
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    match sqlx::query("SELECT username FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db)
        .await
    {
        Ok(Some(row)) => match row.try_get::<String, _>(0) {
            Ok(username) => Json(json!({ "id": id, "username": username })).into_response(),
            Err(e) => internal(e),
        },
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

/// The answer of `/api/token`, fields in this order.
#[derive(Serialize)]
struct TokenAnswer {
    token: String,
    duration: u64,
}

/// `GET /api/token`: Basic credentials in, a signed token out.
async fn issue_token(State(state): State<AppState>, AuthUser(user): AuthUser<User>) -> Response {
    match state.tokens.issue(&user.username) {
        Ok(token) => Json(TokenAnswer {
            token,
            duration: TOKEN_TTL.as_secs(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /api/resource` and `GET /api/digest`.
async fn hello(AuthUser(user): AuthUser<User>) -> Json<serde_json::Value> {
    Json(json!({ "data": format!("Hello, {}!", user.username) }))
}

/// `GET /api/admin`.
async fn admin_area(AuthUser(user): AuthUser<User>) -> Json<serde_json::Value> {
    Json(json!({ "data": format!("Hello, {}! You are the admin.", user.username) }))
}

#[tokio::main]
async fn main() {
    // `RUST_LOG` as `target=level` directives (`debug`, `info,sqlx=warn`): the `Targets`
    // filter, which needs no regular-expression engine.
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(Level::INFO)
                .with_target("sqlx", Level::WARN)
        });
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(filter)
        .init();

    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned());
    let db = match open_database(&url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("cannot open the database {url}: {e}");
            std::process::exit(1);
        }
    };
    let app = app(db.clone());

    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (set PORT to another port)");
            std::process::exit(1);
        }
    };
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    println!("REST API on {base} (database: {url}; Ctrl-C stops)\n");
    println!("# 1. Register: 201 (the first user is the admin); run again on the same database: 400 username_taken:");
    println!(
        "curl -i -H 'Content-Type: application/json' -d '{{\"username\":\"miguel\",\"password\":\"python\"}}' {base}/api/users"
    );
    println!("# 2. Log in with Basic, keep the token:");
    println!(
        "TOKEN=$(curl -s -u miguel:python {base}/api/token | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/'); echo $TOKEN"
    );
    println!("# 3. Use it (or Basic); without credentials: 401 with both challenges:");
    println!("curl -i --oauth2-bearer \"$TOKEN\" {base}/api/resource");
    println!("curl -i -u miguel:python {base}/api/resource");
    println!("curl -i {base}/api/resource");
    println!("# 4. Admin only (403 for users registered after the first):");
    println!("curl -i --oauth2-bearer \"$TOKEN\" {base}/api/admin");
    println!("# 5. The same user through Digest:");
    println!("curl -i --digest -u miguel:python {base}/api/digest");
    println!("# 6. Look a user up:");
    println!("curl -i {base}/api/users/1");
    println!("# 7. Guessing is throttled: six wrong passwords, then 429 + Retry-After:");
    println!(
        "for i in 1 2 3 4 5 6 7; do curl -s -o /dev/null -w '%{{http_code}} ' -u miguel:wrong {base}/api/token; done; echo\n"
    );

    // With each connection's peer address (ConnectInfo), which the throttle counts by.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nShutting down.");
        })
        .await
        .expect("server");
    db.close().await;
}
