//! Refusals: the failure handler's response, with the rules every refusal follows.

use http::header::{
    CONNECTION, CONTENT_LENGTH, Entry, PROXY_AUTHENTICATE, RETRY_AFTER, TRANSFER_ENCODING, WWW_AUTHENTICATE,
};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, Version};

use super::Config;
use crate::failure::{AuthFailure, FailureHandler, FailureKind};
use crate::scheme::Scheme;

/// `Authentication-Info` (RFC 9110 §11.6.3).
const AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");
/// `Proxy-Authentication-Info` (RFC 9110 §11.7.3), the proxy's `Authentication-Info`.
const PROXY_AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("proxy-authentication-info");

/// The response for a refused request.
///
/// The scheme's challenges are put in the failure (a custom handler reads them with
/// [`AuthFailure::challenges`]), the handler builds the response, and then, whatever the
/// handler: a `400`, `401`, `403` (or `407`) without a challenge gets the scheme's (RFC 9110 §15.5.2
/// requires one on `401`; RFC 6750 §3.1 puts Bearer's errors there too); a `429` without
/// `Retry-After` gets it; in proxy mode `401` becomes `407` and the challenges become
/// `Proxy-Authenticate`; a refusal that leaves an HTTP/1 body unread says `Connection: close`.
pub(super) fn refuse<S, F, B>(config: &Config<S, F>, mut failure: AuthFailure, parts: &Parts) -> Response<B>
where
    S: Scheme,
    F: FailureHandler<B>,
{
    let mut challenges = HeaderMap::new();
    config.scheme.challenge(&failure, &mut challenges);
    failure.set_challenges(challenges);
    failure.set_proxy(config.proxy);
    log(&failure, parts);

    let mut res = config.failure.respond(&failure, parts);
    let status = res.status();
    let headers = res.headers_mut();
    let challenged = headers.contains_key(WWW_AUTHENTICATE) || headers.contains_key(PROXY_AUTHENTICATE);
    if matches!(status.as_u16(), 400 | 401 | 403 | 407) && !challenged {
        for value in failure.challenges().get_all(WWW_AUTHENTICATE) {
            headers.append(WWW_AUTHENTICATE, value.clone());
        }
    }
    if let Some(after) = failure.retry_after()
        && status == StatusCode::TOO_MANY_REQUESTS
        && !headers.contains_key(RETRY_AFTER)
    {
        // Whole seconds, rounded up: a client retrying early is refused again.
        let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        headers.insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    if config.proxy {
        if res.status() == StatusCode::UNAUTHORIZED {
            *res.status_mut() = StatusCode::PROXY_AUTHENTICATION_REQUIRED;
        }
        rename(res.headers_mut(), &WWW_AUTHENTICATE, &PROXY_AUTHENTICATE);
    }
    if body_left_unread(parts) {
        res.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// Put in a request's extensions by a layer that has read the body (Digest's `auth-int`
/// layer): a refusal then leaves nothing unread.
#[derive(Clone, Copy)]
pub(crate) struct BodyRead;

/// Whether a refused request leaves a body unread on an HTTP/1 connection, so that the
/// refusal must say `Connection: close`.
///
/// A refusal never reads the body (the inner service is not called). An HTTP/1 server
/// cannot read the next request before this one's body, so hyper, finding the body
/// incomplete once the response is written, closes the connection, and the response it
/// already sent did not say so: a client that reuses the connection (a Digest client
/// retrying a `POST` with its credentials) then writes into a closed socket. Saying
/// `Connection: close` lets it open a new connection instead. Draining the body first
/// would keep the connection, but needs the request body type to be a `Body`, a timer (a
/// runtime), and a bound on what a client may make the server read; a reconnect after a
/// refused upload is cheap next to that.
///
/// A request declares a body with `Transfer-Encoding` or a non-zero `Content-Length`
/// (RFC 9112 §6.3). HTTP/2 and HTTP/3 forbid `Connection` and cancel an unread body on its
/// own stream.
fn body_left_unread(parts: &Parts) -> bool {
    matches!(parts.version, Version::HTTP_10 | Version::HTTP_11)
        && (parts.headers.contains_key(TRANSFER_ENCODING)
            || parts
                .headers
                .get(CONTENT_LENGTH)
                .is_some_and(|v| v.to_str().ok().and_then(|n| n.trim().parse::<u64>().ok()) != Some(0)))
        && parts.extensions.get::<BodyRead>().is_none()
}

/// Proxy mode: a scheme's `Authentication-Info` goes out as `Proxy-Authentication-Info`.
pub(super) fn to_proxy_info(headers: &mut HeaderMap) {
    rename(headers, &AUTHENTICATION_INFO, &PROXY_AUTHENTICATION_INFO);
}

/// Logs a refusal: verifier failures as errors, the rest at `debug` (never a credential).
fn log(failure: &AuthFailure, parts: &Parts) {
    match failure.kind() {
        FailureKind::Internal => tracing::error!(
            method = %parts.method,
            path = parts.uri.path(),
            error = %failure,
            "authentication could not be completed"
        ),
        kind => tracing::debug!(
            method = %parts.method,
            path = parts.uri.path(),
            kind = kind.code(),
            scheme = failure.scheme().unwrap_or(""),
            "request refused"
        ),
    }
}

/// Moves every value of `from` to `to`, after any `to` already has.
fn rename(headers: &mut HeaderMap, from: &HeaderName, to: &HeaderName) {
    if let Entry::Occupied(e) = headers.entry(from) {
        let values: Vec<HeaderValue> = e.remove_entry_mult().1.collect();
        for v in values {
            headers.append(to, v);
        }
    }
}
