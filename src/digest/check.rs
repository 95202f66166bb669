//! The verification once the request is read: the store's answer, the response check, the
//! replay store, and `Authentication-Info`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use http::{HeaderName, HeaderValue};

use super::algorithm;
use super::hex::Hex;
use super::nonce::now_ms;
use super::replay::{NonceCheck, NonceUse};
use super::request::Pending;
use super::store::{self, DigestSecret, DigestUser};
use super::{Config, SCHEME};
use crate::compare::constant_time_eq;
use crate::failure::{AuthFailure, FailureKind};
use crate::header::write_quoted;
use crate::scheme::Authenticated;

/// The `Authentication-Info` response header (RFC 9110 §11.6.3). The layer renames it
/// `Proxy-Authentication-Info` in proxy mode.
const AUTHENTICATION_INFO: HeaderName = HeaderName::from_static("authentication-info");

fn invalid(description: &'static str) -> AuthFailure {
    AuthFailure::invalid().with_scheme(SCHEME).with_description(description)
}

fn stale(description: &'static str) -> AuthFailure {
    AuthFailure::new(FailureKind::StaleNonce)
        .with_scheme(SCHEME)
        .with_description(description)
}

/// The Digest scheme's verification, after [`read`](super::request::read): waits for the
/// store's `lookup`, checks the response, then records the (nonce, nc) in the replay store.
pub(super) async fn verify<U>(
    config: Arc<Config>,
    request: Pending,
    lookup: impl Future<Output = Result<DigestUser<U>, AuthFailure>>,
) -> Result<Authenticated<U>, AuthFailure> {
    let found = lookup.await.map_err(crate::scheme::presented);
    let (user, ha1, now) = check_response(&config, &request, found)?;
    let nonce_use = NonceUse {
        nonce: &request.nonce,
        nc: request.nc,
        issued_ms: request.nonce_info.issued_ms,
        expires_ms: request.nonce_info.expires_ms,
        now_ms: now,
    };
    let check = config.nonces.check_and_record(&nonce_use).await.map_err(|e| {
        AuthFailure::internal(e)
            .with_scheme(SCHEME)
            .with_description("nonce store failed")
    })?;
    if check != NonceCheck::Fresh {
        return Err(stale("nonce count replayed or not increasing"));
    }
    let mut auth = Authenticated::new(user).with_scheme(SCHEME);
    if let Some(info) = authentication_info(&config, &request, &ha1, now) {
        auth.response_headers.insert(AUTHENTICATION_INFO, info);
    }
    Ok(auth)
}

/// Checks the response against what the store found: the user, the session H(A1) and the
/// time, or why the request fails. A right response on an expired or used-up nonce is
/// stale; a wrong one never is (the client must ask the user again).
fn check_response<U>(
    config: &Config,
    p: &Pending,
    found: Result<DigestUser<U>, AuthFailure>,
) -> Result<(U, Hex, u64), AuthFailure> {
    let alg = p.alg;
    let hex_len = alg.hex_len();
    // A store that answers with passwords costs an H(A1) and PRECIS per known user: once it
    // has, unknown users (and users stored by H(A1), in a store that holds both) pay the same
    // over a dummy password, so the time taken does not tell which users exist. A store of
    // H(A1)s only never pays it.
    let passwords = &*config.passwords_seen;
    // The user a right response proves, or the refusal to give after the same work.
    let (user, ha1): (Result<U, AuthFailure>, Hex) = match found {
        Ok(DigestUser { user, secret, username }) => match secret {
            DigestSecret::Ha1(h) => {
                let ha1 = Hex::parse(&h, hex_len).ok_or_else(|| {
                    AuthFailure::internal(format!(
                        "the credential store returned an H(A1) that is not {hex_len} hex digits for {alg}"
                    ))
                    .with_scheme(SCHEME)
                })?;
                if passwords.load(Relaxed) {
                    std::hint::black_box(dummy_password_ha1(config, p));
                }
                (Ok(user), ha1)
            }
            DigestSecret::Password(pw) => {
                if !passwords.load(Relaxed) {
                    passwords.store(true, Relaxed);
                }
                // RFC 7616 §4: A1 over the enforced forms (NFC UTF-8). A stored form the
                // profiles refuse never matches, after the same work.
                let (ha1, refused) = store::password_ha1(
                    alg,
                    &config.realm,
                    config.precis.enforces(),
                    &p.username,
                    username.as_deref(),
                    &pw,
                );
                (
                    if refused {
                        Err(invalid("wrong credentials"))
                    } else {
                        Ok(user)
                    },
                    ha1,
                )
            }
        },
        // Unknown user: a stand-in H(A1), then the same hashing and comparison. It is refused
        // as a wrong password is, unless the store said more.
        Err(f) if f.kind() == FailureKind::InvalidCredentials => {
            let refusal = match f.description() {
                Some(_) => f.with_scheme(SCHEME),
                None => invalid("wrong credentials"),
            };
            let ha1 = if passwords.load(Relaxed) {
                dummy_password_ha1(config, p)
            } else {
                Hex::encode(&config.dummy[..hex_len / 2])
            };
            (Err(refusal), ha1)
        }
        // The store failed (`500`) or refused otherwise: as it says.
        Err(f) => return Err(f.with_scheme(SCHEME)),
    };
    let ha1 = algorithm::session_ha1(alg, &ha1, &p.nonce, &p.cnonce);
    let expected = p.kd(&ha1, &p.ha2).finish_raw();
    let presented = p.response.as_ref();
    let matches = constant_time_eq(
        presented.map_or(expected.as_bytes(), |r| r.as_bytes()),
        expected.as_bytes(),
    ) & presented.is_some();
    let user = match user {
        Ok(u) if matches => u,
        Ok(_) => return Err(invalid("wrong credentials")),
        Err(refusal) => return Err(refusal),
    };
    let now = now_ms();
    if now >= p.nonce_info.expires_ms {
        return Err(stale("nonce expired"));
    }
    if config.max_nonce_uses.is_some_and(|max| p.nc > max) {
        return Err(stale("nonce used up"));
    }
    Ok((user, ha1, now))
}

/// What a store's password costs (`store::password_ha1`), over a dummy password (random per
/// `Digest`) and the request's own name: the work done for a user the store did not answer
/// with a password, once it has answered another with one.
fn dummy_password_ha1(config: &Config, p: &Pending) -> Hex {
    let password = Hex::encode(&config.dummy[..8]);
    let plain_name = p.userhash.then_some(p.username.as_str());
    let (ha1, _) = store::password_ha1(
        p.alg,
        &config.realm,
        config.precis.enforces(),
        &p.username,
        plain_name,
        password.as_str(),
    );
    ha1
}

/// `Authentication-Info` for a verified request (RFC 7616 §3.5), when it is on: `rspauth`
/// (the response formula over `":" uri`), the request's `qop`, `nc` and `cnonce`, and
/// `nextnonce` when the nonce nears its end or its last use. `ha1` is the session H(A1).
fn authentication_info(config: &Config, p: &Pending, ha1: &Hex, now: u64) -> Option<HeaderValue> {
    let rspauth = p.kd(ha1, p.rspauth_ha2.as_ref()?).finish();
    let within = config.nextnonce_within.unwrap_or(config.signer.lifetime() / 5);
    let within_ms = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
    let used_up = config.max_nonce_uses.is_some_and(|max| p.nc >= max);
    let near_end = p.nonce_info.expires_ms.saturating_sub(now) <= within_ms;
    let nextnonce = (used_up || near_end).then(|| config.signer.issue_at(now));
    let qop = p.qop.map(|q| (q, p.nc_text.as_str(), p.cnonce.as_str()));
    info_value(&rspauth, qop, nextnonce.as_deref())
}

/// The `Authentication-Info` value: `rspauth`, `cnonce` and `nextnonce` quoted, `qop` and
/// `nc` not (RFC 7616 §3.5).
fn info_value(
    rspauth: &Hex,
    qop: Option<(algorithm::Qop, &str, &str)>,
    nextnonce: Option<&str>,
) -> Option<HeaderValue> {
    let mut out = format!("rspauth=\"{}\"", rspauth.as_str());
    if let Some((qop, nc, cnonce)) = qop {
        out.push_str(&format!(", qop={qop}, nc={nc}, cnonce="));
        // The cnonce came from a quoted-string, so it has no control characters.
        write_quoted(&mut out, cnonce).ok()?;
    }
    if let Some(n) = nextnonce {
        out.push_str(", nextnonce=");
        write_quoted(&mut out, n).ok()?;
    }
    HeaderValue::try_from(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::Qop;

    #[test]
    fn authentication_info_quotes_what_it_must() {
        let rspauth = Hex::encode(&[0xab; 32]);
        let v = info_value(&rspauth, Some((Qop::Auth, "00000001", "c\"n")), None).unwrap();
        assert_eq!(
            v,
            format!(r#"rspauth="{}", qop=auth, nc=00000001, cnonce="c\"n""#, "ab".repeat(32)).as_str()
        );
        // Long cnonces, with quotes to escape throughout, and a nextnonce.
        for len in [150, 170, 180, 190, 1024] {
            let cnonce: String = (0..len).map(|i| if i % 7 == 0 { '"' } else { 'x' }).collect();
            let v = info_value(&rspauth, Some((Qop::AuthInt, "0000000a", &cnonce)), Some("NN")).unwrap();
            let escaped = cnonce.replace('"', "\\\"");
            assert_eq!(
                v.to_str().unwrap(),
                format!(
                    r#"rspauth="{}", qop=auth-int, nc=0000000a, cnonce="{escaped}", nextnonce="NN""#,
                    "ab".repeat(32)
                )
            );
        }
        // RFC 2069 form: the rspauth alone.
        let v = info_value(&rspauth, None, None).unwrap();
        assert_eq!(v, format!(r#"rspauth="{}""#, "ab".repeat(32)).as_str());
    }
}
