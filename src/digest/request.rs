//! Reading a request's Digest credentials into what the verification needs. Everything that
//! can be checked before the store is asked is checked here: the grammar, the realm, the
//! offer (algorithm, qop, `opaque`), the `uri`, and the nonce's signature.

use std::borrow::Cow;
use std::sync::Arc;

use http::header::HOST;
use http::request::Parts;

use super::algorithm::{self, Algorithm, Hasher, Qop};
use super::body::DigestBody;
use super::credentials::{DigestCredentials, DigestParseError};
use super::hex::{Hex, RawDigest};
use super::nonce::NonceInfo;
use super::store::DigestLookup;
use super::{Config, SCHEME};
use crate::compare::constant_time_eq;
use crate::failure::AuthFailure;
use crate::precis::Precis;
use crate::scheme::AuthRequest;

/// What the verification needs from the request, owned: it goes on after the request head
/// is gone.
pub(super) struct Pending {
    pub(super) alg: Algorithm,
    pub(super) qop: Option<Qop>,
    pub(super) userhash: bool,
    /// The username the store is asked for: in its RFC 8265 enforced form unless PRECIS is
    /// off; a userhash as sent.
    pub(super) username: String,
    pub(super) nonce: String,
    pub(super) nonce_info: NonceInfo,
    /// The nonce count, and as the client wrote it (8 hex digits); `0` and empty without
    /// qop.
    pub(super) nc: u32,
    pub(super) nc_text: String,
    /// The client nonce; empty without qop.
    pub(super) cnonce: String,
    /// The client's response decoded, or `None` when it is not a hex digest of the right
    /// length (it then matches nothing, after the same work).
    pub(super) response: Option<RawDigest>,
    /// H(A2) of the request.
    pub(super) ha2: Hex,
    /// With `Authentication-Info`: H(A2) of the `rspauth` (RFC 7616 §3.5).
    pub(super) rspauth_ha2: Option<Hex>,
}

impl Pending {
    /// What the store is asked for.
    pub(super) fn lookup(&self, realm: &Arc<str>) -> DigestLookup {
        DigestLookup {
            username: self.username.clone(),
            realm: realm.clone(),
            algorithm: self.alg,
            userhash: self.userhash,
        }
    }

    /// `KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))`, or RFC 2069's
    /// `KD(H(A1), nonce ":" H(A2))` without qop (RFC 7616 §3.4.1), with `ha1` the session
    /// H(A1) for `-sess` algorithms.
    pub(super) fn kd(&self, ha1: &Hex, ha2: &Hex) -> Hasher {
        let mut h = Hasher::new(self.alg);
        for part in [ha1.as_bytes(), b":", self.nonce.as_bytes(), b":"] {
            h.update(part);
        }
        if let Some(qop) = self.qop {
            for part in [
                self.nc_text.as_bytes(),
                b":",
                self.cnonce.as_bytes(),
                b":",
                qop.name().as_bytes(),
                b":",
            ] {
                h.update(part);
            }
        }
        h.update(ha2.as_bytes());
        h
    }
}

fn malformed(description: impl Into<Cow<'static, str>>) -> AuthFailure {
    AuthFailure::malformed(description).with_scheme(SCHEME)
}

fn invalid(description: &'static str) -> AuthFailure {
    AuthFailure::invalid().with_scheme(SCHEME).with_description(description)
}

/// Reads and checks everything that needs no user: `Ok(None)` when the request has no
/// Digest credentials.
pub(super) fn read(config: &Config, request: &AuthRequest<'_>) -> Result<Option<Pending>, AuthFailure> {
    let Some(params) = request.credentials(SCHEME).map_err(|f| f.with_scheme(SCHEME))? else {
        return Ok(None);
    };
    let creds = match DigestCredentials::parse_params(params) {
        Ok(c) => c,
        Err(DigestParseError::UnknownAlgorithm) => return Err(invalid("algorithm not offered")),
        Err(DigestParseError::UnknownQop) => return Err(invalid("qop not offered")),
        Err(e) => return Err(malformed(e.to_string())),
    };
    if creds.realm() != &*config.realm {
        return Err(invalid("realm mismatch"));
    }
    let alg = creds.algorithm();
    if !config.algorithms.contains(&alg) {
        return Err(invalid("algorithm not offered"));
    }
    // Our `opaque` is a constant and the nonce carries its own signature, so a response
    // without it proves as much as one with it; RFC 7616 §3.4 says clients SHOULD (not
    // MUST) return it, and axios-digest-auth never does. One that differs is refused.
    if let Some(o) = creds.opaque()
        && !constant_time_eq(o.as_bytes(), config.opaque.as_bytes())
    {
        return Err(invalid("opaque mismatch"));
    }
    match creds.qop() {
        Some(q) if config.qops.contains(&q) => {}
        Some(_) => return Err(invalid("qop not offered")),
        None if alg.is_session() => return Err(malformed("-sess algorithms need qop, nc and cnonce")),
        None if !config.allow_rfc2069 => return Err(invalid("RFC 2069 responses (no qop) are not accepted")),
        None => {}
    }
    let parts = request.parts();
    let uri = creds.uri();
    if !uri_matches(uri, parts) {
        return Err(malformed("uri does not match the request-target"));
    }
    let Some(nonce_info) = config.signer.verify(creds.nonce()) else {
        return Err(invalid("unknown or tampered nonce"));
    };
    let body_hash = match creds.qop() {
        Some(Qop::AuthInt) => match parts.extensions.get::<DigestBody>() {
            Some(body) => Some(alg.hash(&[&body.0])),
            None => {
                return Err(AuthFailure::internal(
                    "Digest qop=auth-int needs DigestBodyLayer around the auth layer (it is missing)",
                )
                .with_scheme(SCHEME)
                .with_description("auth-int body unavailable"));
            }
        },
        _ => None,
    };
    // RFC 7616 §4: the name in its UsernameCasePreserved form. A userhash is hex: looked up
    // as sent.
    let username = match config.precis {
        Precis::Enforce if !creds.userhash() => crate::precis::username(creds.username())
            .map_err(|_| invalid("username refused by RFC 8265 (PRECIS)"))?
            .into_owned(),
        _ => creds.username().to_owned(),
    };
    Ok(Some(Pending {
        alg,
        qop: creds.qop(),
        userhash: creds.userhash(),
        username,
        nonce: creds.nonce().to_owned(),
        nonce_info,
        nc: creds.nc().unwrap_or(0),
        nc_text: creds.nc_str().unwrap_or("").to_owned(),
        cnonce: creds.cnonce().unwrap_or("").to_owned(),
        response: RawDigest::from_hex(creds.response(), alg.hex_len()),
        ha2: algorithm::ha2(alg, parts.method.as_str(), uri, body_hash.as_ref()),
        rspauth_ha2: config
            .authentication_info
            .then(|| algorithm::ha2(alg, "", uri, body_hash.as_ref())),
    }))
}

/// Whether the Digest `uri` parameter names the request-target (RFC 7616 §3.4.6).
fn uri_matches(uri: &str, parts: &Parts) -> bool {
    let target = &parts.uri;
    let pq = target.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if target.scheme().is_none() {
        // origin-form (or `*`): the exact path and query, or an absolute URI for this host.
        if uri == pq {
            return true;
        }
        let Ok(u) = uri.parse::<http::Uri>() else {
            return false;
        };
        let (Some(_), Some(auth)) = (u.scheme(), u.authority()) else {
            return false;
        };
        let host = parts.headers.get(HOST).and_then(|h| h.to_str().ok());
        u.path_and_query().map(|p| p.as_str()).unwrap_or("/") == pq
            && host.is_some_and(|h| h.eq_ignore_ascii_case(auth.as_str()))
    } else {
        // absolute-form (a request to a proxy): the same absolute URI (scheme and host compare
        // case-insensitively), or its path and query alone, as curl sends through a proxy.
        if uri == pq {
            return true;
        }
        let Ok(u) = uri.parse::<http::Uri>() else {
            return false;
        };
        u.scheme() == target.scheme()
            && u.authority().map(|a| a.as_str().to_ascii_lowercase())
                == target.authority().map(|a| a.as_str().to_ascii_lowercase())
            && u.path_and_query().map(|p| p.as_str()).unwrap_or("/") == pq
    }
}
