//! Stateless signed nonces: timestamp + lifetime + randomness + HMAC-SHA256 under a server
//! secret.
//!
//! The lifetime is part of the signed payload because layers built from clones of one
//! `Digest` share the secret and the replay store but may have different lifetimes. The
//! replay store forgets a (nonce, nc) record at the expiry it is told; were that expiry each
//! layer's own, a nonce used on a short-lived layer would be forgotten while a long-lived one
//! still accepted it, and the same (nonce, nc) would be accepted twice. So every layer uses
//! the expiry the nonce carries, and a layer refuses (as stale) a nonce meant to live longer
//! than its own lifetime: no layer accepts a nonce past the expiry every record of it has.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const TS_LEN: usize = 8;
/// The lifetime in milliseconds, 48 bits (longer lifetimes are cut to about 8900 years).
const LIFE_LEN: usize = 6;
const RAND_LEN: usize = 16;
const MAC_LEN: usize = 32;
/// Everything the tag covers: timestamp, lifetime, randomness.
const SIGNED_LEN: usize = TS_LEN + LIFE_LEN + RAND_LEN;
const RAW_LEN: usize = SIGNED_LEN + MAC_LEN;
/// The longest lifetime a nonce can carry, in milliseconds.
const MAX_LIFE_MS: u64 = (1 << (8 * LIFE_LEN)) - 1;
/// The length of a nonce on the wire: base64url (no padding) of 62 bytes.
pub(crate) const NONCE_LEN: usize = (RAW_LEN * 4).div_ceil(3);

/// The shortest server secret accepted, in bytes.
pub(crate) const MIN_SECRET_LEN: usize = 16;

/// Fills `buf` from the operating system's CSPRNG.
///
/// # Panics
///
/// If the operating system has no randomness to give, which leaves no safe way to run.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Decodes a nonce's base64url (no padding) into its raw bytes. `base64ct` refuses
/// non-zero trailing bits, so each raw nonce has one text form, and decodes in constant time.
fn decode_nonce(text: &[u8]) -> Option<[u8; RAW_LEN]> {
    if text.len() != NONCE_LEN {
        return None;
    }
    let mut raw = [0u8; RAW_LEN];
    let decoded = Base64UrlUnpadded::decode(text, &mut raw).ok()?;
    (decoded.len() == RAW_LEN).then_some(raw)
}

/// What an authentic nonce says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NonceInfo {
    /// When it was issued (ms since the epoch).
    pub(crate) issued_ms: u64,
    /// When it stops being valid here (ms since the epoch): the expiry it carries, the one
    /// every layer sharing the secret uses (and tells the replay store); or 0 when it was
    /// issued with a longer lifetime than this signer's (it is then answered as stale).
    pub(crate) expires_ms: u64,
}

/// Issues and checks signed nonces.
#[derive(Clone)]
pub(crate) struct NonceSigner {
    mac: Hmac<Sha256>,
    lifetime: Duration,
}

impl fmt::Debug for NonceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceSigner")
            .field("secret", &"<redacted>")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

impl NonceSigner {
    /// A signer keyed with `secret`; `context` (the realm) is bound into every signature,
    /// so a nonce issued for one realm is refused by another that shares the secret.
    pub(crate) fn new(secret: &[u8], context: &str, lifetime: Duration) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"tower-httpauth digest nonce v1\0");
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        NonceSigner { mac, lifetime }
    }

    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The lifetime as carried in a nonce.
    fn lifetime_ms(&self) -> u64 {
        u64::try_from(self.lifetime.as_millis())
            .unwrap_or(u64::MAX)
            .min(MAX_LIFE_MS)
    }

    fn sign(&self, ts_and_rand: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = self.mac.clone();
        mac.update(ts_and_rand);
        mac.finalize().into_bytes().into()
    }

    /// A fresh nonce issued now.
    pub(crate) fn issue(&self) -> String {
        self.issue_at(now_ms())
    }

    pub(crate) fn issue_at(&self, now_ms: u64) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[..TS_LEN].copy_from_slice(&now_ms.to_be_bytes());
        raw[TS_LEN..TS_LEN + LIFE_LEN].copy_from_slice(&self.lifetime_ms().to_be_bytes()[8 - LIFE_LEN..]);
        random_bytes(&mut raw[TS_LEN + LIFE_LEN..SIGNED_LEN]);
        let tag = self.sign(&raw[..SIGNED_LEN]);
        raw[SIGNED_LEN..].copy_from_slice(&tag);
        Base64UrlUnpadded::encode_string(&raw)
    }

    /// Checks the signature of `nonce`; `None` for a forged, tampered or foreign nonce.
    /// Expiry is not checked here (see [`NonceInfo::expires_ms`]).
    pub(crate) fn verify(&self, nonce: &str) -> Option<NonceInfo> {
        if nonce.len() != NONCE_LEN {
            return None;
        }
        let raw = decode_nonce(nonce.as_bytes())?;
        let mut mac = self.mac.clone();
        mac.update(&raw[..SIGNED_LEN]);
        mac.verify_slice(&raw[SIGNED_LEN..]).ok()?;
        let issued_ms = u64::from_be_bytes(raw[..TS_LEN].try_into().ok()?);
        let mut life = [0u8; 8];
        life[8 - LIFE_LEN..].copy_from_slice(&raw[TS_LEN..TS_LEN + LIFE_LEN]);
        let carried_ms = u64::from_be_bytes(life);
        // See the module docs: a nonce that would outlive this signer's lifetime is not
        // accepted here, and an accepted one expires when it says, on every layer.
        let expires_ms = if carried_ms <= self.lifetime_ms() {
            issued_ms.saturating_add(carried_ms)
        } else {
            0
        };
        Some(NonceInfo { issued_ms, expires_ms })
    }

    /// An opaque value derived from the secret, the same on every instance sharing it.
    pub(crate) fn opaque(&self) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"\0opaque");
        let tag = mac.finalize().into_bytes();
        Base64UrlUnpadded::encode_string(&tag[..18])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn round_trip_and_tamper() {
        let s = NonceSigner::new(b"0123456789abcdef0123456789abcdef", "realm", Duration::from_secs(60));
        let n = s.issue_at(1_000);
        assert_eq!(n.len(), NONCE_LEN);
        assert!(!n.contains('"'));
        let info = s.verify(&n).unwrap();
        assert_eq!(
            info,
            NonceInfo {
                issued_ms: 1_000,
                expires_ms: 61_000
            }
        );
        // Every single-character change is refused.
        for i in 0..n.len() {
            let mut b = n.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            if t != n {
                assert!(s.verify(&t).is_none(), "tampered at {i}");
            }
        }
        assert!(s.verify("").is_none());
        assert!(s.verify(&"A".repeat(NONCE_LEN)).is_none());
        // A signer with a longer lifetime honours the nonce's own expiry; a shorter one sees
        // it as expired (0). Changing the carried lifetime breaks the signature.
        let long = NonceSigner::new(b"0123456789abcdef0123456789abcdef", "realm", Duration::from_secs(3600));
        assert_eq!(long.verify(&n).unwrap().expires_ms, 61_000);
        let short = NonceSigner::new(b"0123456789abcdef0123456789abcdef", "realm", Duration::from_secs(59));
        assert_eq!(short.verify(&n).unwrap().expires_ms, 0);
        let mut raw = decode_nonce(n.as_bytes()).unwrap();
        raw[TS_LEN + LIFE_LEN - 1] ^= 1;
        assert!(s.verify(&URL_SAFE_NO_PAD.encode(raw)).is_none());
        assert!(long.verify(&URL_SAFE_NO_PAD.encode(raw)).is_none());
        // Lifetimes beyond 48 bits of milliseconds are carried cut, and still honoured.
        let forever = NonceSigner::new(b"0123456789abcdef0123456789abcdef", "realm", Duration::MAX);
        let f = forever.issue_at(1_000);
        assert_eq!(forever.verify(&f).unwrap().expires_ms, 1_000 + MAX_LIFE_MS);
        assert_eq!(s.verify(&f).unwrap().expires_ms, 0);
        // Another secret or realm does not accept it.
        let other = NonceSigner::new(b"0123456789abcdef0123456789abcdeX", "realm", Duration::from_secs(60));
        assert!(other.verify(&n).is_none());
        let other = NonceSigner::new(b"0123456789abcdef0123456789abcdef", "realm2", Duration::from_secs(60));
        assert!(other.verify(&n).is_none());
        // The decoder agrees with the base64 crate on nonce-length inputs: valid ones, every
        // single-character change (any byte), and trailing bits.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let mut raw = [0u8; RAW_LEN];
            raw.iter_mut().for_each(|b| *b = next() as u8);
            let text = URL_SAFE_NO_PAD.encode(raw);
            assert_eq!(decode_nonce(text.as_bytes()), Some(raw));
            let at = (next() % NONCE_LEN as u64) as usize;
            for c in 0..=255u8 {
                let mut t = text.clone().into_bytes();
                t[at] = c;
                let mut want = [0u8; RAW_LEN];
                let want = match URL_SAFE_NO_PAD.decode_slice(&t, &mut want) {
                    Ok(RAW_LEN) => Some(want),
                    _ => None,
                };
                assert_eq!(decode_nonce(&t), want, "byte {c:#x} at {at}");
            }
        }
        assert_eq!(decode_nonce(&[b'A'; NONCE_LEN - 1]), None);
        assert_eq!(decode_nonce(&[b'A'; NONCE_LEN + 1]), None);
        // Two nonces differ.
        assert_ne!(s.issue(), s.issue());
        assert_eq!(s.opaque(), s.clone().opaque());
    }
}
