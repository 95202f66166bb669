//! A Digest client's computation (RFC 7616 §3.4), written from the RFC's formulas and
//! independent of the crate's own: what a test sends, and the `rspauth` it expects back.
//!
//! ```text
//! H(d) = <alg>(d) as lowercase hex        KD(s, d) = H(s ":" d)
//! A1   = username ":" realm ":" passwd                                  ; <alg>
//! A1   = H(username ":" realm ":" passwd) ":" nonce ":" cnonce          ; <alg>-sess
//! A2   = Method ":" request-uri [ ":" H(entity-body) ]                  ; auth-int
//! response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))       ; with qop
//! response = KD(H(A1), nonce ":" H(A2))                                 ; RFC 2069, no qop
//! ```

use md5::Md5;
use sha2::{Digest as _, Sha256, Sha512_256};
use tower_httpauth::digest::{Algorithm, Qop};

/// `H(data)`: the algorithm's hash of `data` as lowercase hex.
pub fn hash(alg: Algorithm, data: &[u8]) -> String {
    let bytes: Vec<u8> = match alg.base() {
        Algorithm::Md5 => Md5::digest(data).to_vec(),
        Algorithm::Sha256 => Sha256::digest(data).to_vec(),
        _ => Sha512_256::digest(data).to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The client's `response` (or, with `method` empty, the server's `rspauth`, RFC 7616 §3.5)
/// for a password. `body` is the entity-body of an `auth-int` request.
#[allow(clippy::too_many_arguments)]
pub fn client_response(
    alg: Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    nonce: &str,
    nc: &str,
    cnonce: &str,
    qop: Option<Qop>,
    method: &str,
    uri: &str,
    body: Option<&[u8]>,
) -> String {
    let mut ha1 = hash(alg, format!("{username}:{realm}:{password}").as_bytes());
    if alg.is_session() {
        ha1 = hash(alg, format!("{ha1}:{nonce}:{cnonce}").as_bytes());
    }
    let a2 = match body {
        Some(body) => format!("{method}:{uri}:{}", hash(alg, body)),
        None => format!("{method}:{uri}"),
    };
    let ha2 = hash(alg, a2.as_bytes());
    let kd = match qop {
        Some(qop) => format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"),
        None => format!("{ha1}:{nonce}:{ha2}"),
    };
    hash(alg, kd.as_bytes())
}
