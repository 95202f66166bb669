//! Refusals: the failure handler's response, with the rules every refusal follows.

use http::header::{Entry, PROXY_AUTHENTICATE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};

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
/// `Proxy-Authenticate`.
pub(super) fn refuse<S, F, B>(config: &Config<S, F>, mut failure: AuthFailure, parts: &Parts) -> Response<B>
where
    S: Scheme,
    F: FailureHandler<B>,
{
    let mut challenges = HeaderMap::new();
    config.scheme.challenge(&failure, &mut challenges);
    failure.set_challenges(challenges);
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
    res
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
