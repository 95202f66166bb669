//! The password formats the real `htpasswd` (apache2-utils) writes: recognising a stored
//! hash, ranking its cost, and checking a password against it.

use std::sync::Arc;

use base64ct::{Base64, Encoding};

use crate::compare::constant_time_eq;

/// The password formats the real `htpasswd` (apache2-utils) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HtpasswdFormat {
    /// `-B`: bcrypt, `$2y$` (also `$2a$` and `$2b$`).
    Bcrypt,
    /// `-m`, the default: APR1-MD5, `$apr1$`.
    Apr1,
    /// `-s`: unsalted SHA-1, `{SHA}base64`. Weak.
    Sha1,
    /// `-2`: SHA-256-crypt, `$5$` (with `-r`: `$5$rounds=N$`).
    Sha256Crypt,
    /// `-5`: SHA-512-crypt, `$6$` (with `-r`: `$6$rounds=N$`).
    Sha512Crypt,
    /// `-d`: traditional DES `crypt(3)`, 13 characters; only the first 8 bytes of the
    /// password count. Weak.
    DesCrypt,
    /// `-p`: the password itself. Weak; Apache itself accepts it on Windows only, and
    /// `Htpasswd` only with `FileOptions::allow_plaintext`.
    Plaintext,
    /// A locked entry that no password matches: a hash starting with `*` or `!`, as in
    /// `/etc/shadow`. `htpasswd -2 -r 500` writes `*0` (glibc's failure token) this way.
    Locked,
}

impl HtpasswdFormat {
    /// Whether the format is weak enough to be refused by `Htpasswd::reject_weak`:
    /// unsalted SHA-1, DES crypt and plaintext.
    pub(crate) fn is_weak(self) -> bool {
        matches!(
            self,
            HtpasswdFormat::Sha1 | HtpasswdFormat::DesCrypt | HtpasswdFormat::Plaintext
        )
    }

    /// Whether verifying costs enough to run on the hash pool and to be worth caching.
    pub(crate) fn is_slow(self) -> bool {
        matches!(
            self,
            HtpasswdFormat::Bcrypt | HtpasswdFormat::Apr1 | HtpasswdFormat::Sha256Crypt | HtpasswdFormat::Sha512Crypt
        )
    }

    /// The name `Htpasswd::format_of` gives the format.
    pub(crate) fn name(self) -> &'static str {
        match self {
            HtpasswdFormat::Bcrypt => "bcrypt",
            HtpasswdFormat::Apr1 => "apr1",
            HtpasswdFormat::Sha1 => "sha1",
            HtpasswdFormat::Sha256Crypt => "sha256-crypt",
            HtpasswdFormat::Sha512Crypt => "sha512-crypt",
            HtpasswdFormat::DesCrypt => "des-crypt",
            HtpasswdFormat::Plaintext => "plaintext",
            HtpasswdFormat::Locked => "locked",
        }
    }
}

/// One stored password.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) format: HtpasswdFormat,
    pub(crate) hash: Arc<str>,
}

impl Entry {
    pub(crate) fn parse(hash: &str, allow_plaintext: bool) -> Result<Entry, String> {
        let format = classify(hash, allow_plaintext)?;
        Ok(Entry {
            format,
            hash: hash.into(),
        })
    }

    /// A rough cost, to pick the dummy entry unknown users are checked against.
    pub(crate) fn cost(&self) -> (u8, u64) {
        match self.format {
            HtpasswdFormat::Bcrypt => (4, self.hash.get(4..6).and_then(|c| c.parse().ok()).unwrap_or(0)),
            HtpasswdFormat::Sha256Crypt | HtpasswdFormat::Sha512Crypt => (3, sha_crypt_rounds(&self.hash)),
            HtpasswdFormat::Apr1 => (2, 0),
            HtpasswdFormat::DesCrypt => (1, 0),
            HtpasswdFormat::Sha1 | HtpasswdFormat::Plaintext | HtpasswdFormat::Locked => (0, 0),
        }
    }

    /// Which entries cost the same to verify, for the mixed-cost warning, with a name for
    /// the group (no hash in it); `None` for locked entries, which are verified like
    /// unknown users.
    pub(crate) fn cost_group(&self) -> Option<((u8, u64), String)> {
        let (rank, param) = match self.format {
            HtpasswdFormat::Locked => return None,
            // Both cost one fast hash or a comparison: one group.
            HtpasswdFormat::Sha1 | HtpasswdFormat::Plaintext => return Some(((0, 0), "{SHA} or plaintext".into())),
            HtpasswdFormat::DesCrypt => (1, 0),
            HtpasswdFormat::Apr1 => (2, 0),
            HtpasswdFormat::Sha256Crypt => (3, sha_crypt_rounds(&self.hash)),
            HtpasswdFormat::Sha512Crypt => (4, sha_crypt_rounds(&self.hash)),
            HtpasswdFormat::Bcrypt => (5, self.cost().1),
        };
        let name = match self.format {
            HtpasswdFormat::DesCrypt => "DES crypt".to_owned(),
            HtpasswdFormat::Apr1 => "APR1-MD5".to_owned(),
            HtpasswdFormat::Sha256Crypt => format!("SHA-256-crypt, {param} rounds"),
            HtpasswdFormat::Sha512Crypt => format!("SHA-512-crypt, {param} rounds"),
            _ => format!("bcrypt, cost {param}"),
        };
        Some(((rank, param), name))
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let stored = &*self.hash;
        match self.format {
            HtpasswdFormat::Bcrypt => bcrypt::verify(password, stored).unwrap_or(false),
            HtpasswdFormat::Apr1 => super::apr1::verify(password, stored),
            HtpasswdFormat::Sha1 => {
                use sha1::Digest;
                let computed = Base64::encode_string(&sha1::Sha1::digest(password));
                constant_time_eq(computed.as_bytes(), &stored.as_bytes()[5..])
            }
            HtpasswdFormat::Sha256Crypt | HtpasswdFormat::Sha512Crypt => {
                use sha_crypt::PasswordVerifier;
                sha_crypt::ShaCrypt::SHA512.verify_password(password, stored).is_ok()
            }
            HtpasswdFormat::DesCrypt => super::des::verify(password, stored),
            HtpasswdFormat::Plaintext => constant_time_eq(password, stored.as_bytes()),
            HtpasswdFormat::Locked => false,
        }
    }
}

fn sha_crypt_rounds(hash: &str) -> u64 {
    hash.get(3..)
        .and_then(|s| s.strip_prefix("rounds="))
        .and_then(|s| s.split('$').next())
        .and_then(|r| r.parse().ok())
        .unwrap_or(5000)
}

/// The highest bcrypt cost accepted: `htpasswd -C` allows 4 to 17.
const MAX_BCRYPT_COST: u32 = 17;
/// The most SHA-crypt rounds accepted. The format allows 999 999 999, about a hundred times
/// more, which would tie a hash thread up for that much longer per attempt, and unknown users
/// are checked against the costliest entry.
const MAX_SHA_CRYPT_ROUNDS: u32 = 10_000_000;

const CRYPT64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The format of a stored hash, or why the line is malformed. Without `allow_plaintext`,
/// a string in none of the formats `htpasswd` writes is malformed: Apache hands it to
/// `crypt(3)` (outside Windows), where it never matches. Every format but plaintext has a
/// fixed length and alphabet, so a hash cut off by a write in progress is malformed too.
pub(crate) fn classify(hash: &str, allow_plaintext: bool) -> Result<HtpasswdFormat, String> {
    let b = hash.as_bytes();
    if hash.is_empty() {
        return Err("empty hash (an empty password is never accepted)".into());
    }
    if let Some(rest) = hash.strip_prefix("$2") {
        let ok = matches!(rest.as_bytes().first(), Some(b'a' | b'b' | b'y'))
            && b.len() == 60
            && bcrypt_cost_ok(hash)
            && b[7..].iter().all(|c| CRYPT64.contains(c));
        return if ok {
            Ok(HtpasswdFormat::Bcrypt)
        } else {
            Err("malformed bcrypt hash (expected $2a$, $2b$ or $2y$, a cost 04-17, 53 characters)".into())
        };
    }
    if hash.starts_with("$apr1$") {
        return match super::apr1::parse(hash) {
            Some(_) => Ok(HtpasswdFormat::Apr1),
            None => Err("malformed $apr1$ hash".into()),
        };
    }
    if let Some(rest) = hash.strip_prefix("{SHA}") {
        return match Base64::decode_vec(rest) {
            Ok(d) if d.len() == 20 => Ok(HtpasswdFormat::Sha1),
            _ => Err("malformed {SHA} hash (expected base64 of 20 bytes)".into()),
        };
    }
    for (prefix, format, len) in [
        ("$5$", HtpasswdFormat::Sha256Crypt, 43),
        ("$6$", HtpasswdFormat::Sha512Crypt, 86),
    ] {
        if let Some(rest) = hash.strip_prefix(prefix) {
            return if sha_crypt_ok(rest, len) {
                Ok(format)
            } else {
                Err(format!("malformed {prefix} hash (or rounds outside 1000-10000000)"))
            };
        }
    }
    if hash.starts_with(['*', '!']) {
        return Ok(HtpasswdFormat::Locked);
    }
    if hash.starts_with('$') {
        return Err("unsupported hash format (htpasswd writes $2y$, $apr1$, $5$, $6$, {SHA}, DES or plain)".into());
    }
    // `{SSHA}`, `{MD5}`, `{CRYPT}`…: schemes of other tools, never a password.
    if hash.starts_with('{') && hash.contains('}') {
        return Err("unsupported {…} scheme (htpasswd writes {SHA} only)".into());
    }
    if b.len() == 13 && b.iter().all(|c| CRYPT64.contains(c)) {
        return Ok(HtpasswdFormat::DesCrypt);
    }
    if allow_plaintext {
        return Ok(HtpasswdFormat::Plaintext);
    }
    Err(
        "no hash format htpasswd writes ($2y$, $apr1$, $5$, $6$, {SHA}, 13-character DES); \
         a plaintext password (htpasswd -p) needs FileOptions::allow_plaintext"
            .into(),
    )
}

fn bcrypt_cost_ok(hash: &str) -> bool {
    hash.as_bytes().get(3) == Some(&b'$')
        && hash.as_bytes().get(6) == Some(&b'$')
        && hash
            .get(4..6)
            .and_then(|c| c.parse::<u32>().ok())
            .is_some_and(|c| (4..=MAX_BCRYPT_COST).contains(&c))
}

fn sha_crypt_ok(rest: &str, hash_len: usize) -> bool {
    let mut parts: Vec<&str> = rest.split('$').collect();
    if parts.first().is_some_and(|p| p.starts_with("rounds=")) {
        let rounds = parts.remove(0)["rounds=".len()..].parse::<u32>();
        if !rounds.is_ok_and(|r| (1000..=MAX_SHA_CRYPT_ROUNDS).contains(&r)) {
            return false;
        }
    }
    matches!(parts.as_slice(), [salt, hash]
        if !salt.is_empty() && salt.len() <= 16 && !salt.contains(':')
            && hash.len() == hash_len && hash.bytes().all(|c| CRYPT64.contains(&c)))
}
