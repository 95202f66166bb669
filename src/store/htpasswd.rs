//! Apache `htpasswd` files.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::file::{FileOptions, LineError, LoadError, Parse, Reloading};
use super::{BoxedVerifyFuture, CredentialCache, HashPool, PoolError};
use crate::basic::{BasicCredentials, BasicVerifier};
use crate::compare::constant_time_eq;

/// The password formats the real `htpasswd` (apache2-utils) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HtpasswdFormat {
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
    /// `-p`: the password itself. Weak; Apache itself accepts it on Windows only.
    Plaintext,
    /// A locked entry that no password matches: a hash starting with `*` or `!`, as in
    /// `/etc/shadow`. `htpasswd -2 -r 500` writes `*0` (glibc's failure token) this way.
    Locked,
}

impl HtpasswdFormat {
    /// Whether the format is weak enough to be refused by [`Htpasswd::reject_weak`]:
    /// unsalted SHA-1, DES crypt and plaintext.
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            HtpasswdFormat::Sha1 | HtpasswdFormat::DesCrypt | HtpasswdFormat::Plaintext
        )
    }

    /// Whether verifying costs enough to run on the [`HashPool`] and to be worth caching.
    fn is_slow(self) -> bool {
        matches!(
            self,
            HtpasswdFormat::Bcrypt | HtpasswdFormat::Apr1 | HtpasswdFormat::Sha256Crypt | HtpasswdFormat::Sha512Crypt
        )
    }

    /// The `htpasswd` flag that writes this format.
    pub fn flag(self) -> &'static str {
        match self {
            HtpasswdFormat::Bcrypt => "-B",
            HtpasswdFormat::Apr1 => "-m",
            HtpasswdFormat::Sha1 => "-s",
            HtpasswdFormat::Sha256Crypt => "-2",
            HtpasswdFormat::Sha512Crypt => "-5",
            HtpasswdFormat::DesCrypt => "-d",
            HtpasswdFormat::Plaintext => "-p",
            HtpasswdFormat::Locked => "",
        }
    }
}

/// One stored password.
#[derive(Clone)]
struct Entry {
    format: HtpasswdFormat,
    hash: Arc<str>,
}

impl Entry {
    fn parse(hash: &str) -> Result<Entry, String> {
        let format = classify(hash)?;
        Ok(Entry {
            format,
            hash: hash.into(),
        })
    }

    /// A rough cost, to pick the dummy entry unknown users are checked against.
    fn cost(&self) -> (u8, u64) {
        match self.format {
            HtpasswdFormat::Bcrypt => (4, self.hash.get(4..6).and_then(|c| c.parse().ok()).unwrap_or(0)),
            HtpasswdFormat::Sha256Crypt | HtpasswdFormat::Sha512Crypt => (3, sha_crypt_rounds(&self.hash)),
            HtpasswdFormat::Apr1 => (2, 0),
            HtpasswdFormat::DesCrypt => (1, 0),
            HtpasswdFormat::Sha1 | HtpasswdFormat::Plaintext | HtpasswdFormat::Locked => (0, 0),
        }
    }

    fn verify(&self, password: &[u8]) -> bool {
        let stored = &*self.hash;
        match self.format {
            HtpasswdFormat::Bcrypt => bcrypt::verify(password, stored).unwrap_or(false),
            HtpasswdFormat::Apr1 => super::apr1::verify(password, stored),
            HtpasswdFormat::Sha1 => {
                use sha1::Digest;
                let computed = STANDARD.encode(sha1::Sha1::digest(password));
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

/// The highest bcrypt cost accepted: `htpasswd -C` allows 4 to 17 (17 takes seconds).
const MAX_BCRYPT_COST: u32 = 17;
/// The most SHA-crypt rounds accepted (some seconds per login). The format allows
/// 999 999 999, which would tie a hash thread up for minutes per attempt, and unknown users
/// are checked against the costliest entry.
const MAX_SHA_CRYPT_ROUNDS: u32 = 10_000_000;

const CRYPT64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn classify(hash: &str) -> Result<HtpasswdFormat, String> {
    let b = hash.as_bytes();
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
        return match STANDARD.decode(rest) {
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
    if b.len() == 13 && b.iter().all(|c| CRYPT64.contains(c)) {
        return Ok(HtpasswdFormat::DesCrypt);
    }
    Ok(HtpasswdFormat::Plaintext)
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

/// The parsed contents of an htpasswd file.
struct Users {
    map: HashMap<Box<str>, Entry>,
    /// The costliest entry: unknown users are verified against it and refused.
    dummy: Option<Entry>,
    weak: usize,
}

impl Parse for Users {
    fn parse<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Result<Self, Vec<LineError>> {
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (n, line) in lines {
            let Some((user, hash)) = line.split_once(':') else {
                errors.push(LineError::new(n, "expected `user:hash`"));
                continue;
            };
            if user.is_empty() {
                errors.push(LineError::new(n, "empty user name"));
                continue;
            }
            match Entry::parse(hash) {
                // Apache uses the first line for a user; so do we.
                Ok(e) => {
                    map.entry(user.into()).or_insert(e);
                }
                Err(msg) => errors.push(LineError::new(n, msg)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let dummy = map.values().max_by_key(|e: &&Entry| e.cost()).cloned();
        let weak = map.values().filter(|e| e.format.is_weak()).count();
        Ok(Users { map, dummy, weak })
    }
}

/// An Apache `htpasswd` file as a Basic verifier; the user is the user name (`String`).
///
/// Reads every format the real `htpasswd` writes (see [`HtpasswdFormat`]): bcrypt (`-B`),
/// APR1-MD5 (`-m`, the default), `{SHA}` (`-s`), SHA-256/512-crypt (`-2`, `-5`, with or
/// without `-r rounds`), DES crypt (`-d`) and plaintext (`-p`). Blank lines and lines
/// starting with `#` are skipped; for a user listed twice the first line counts, as in
/// Apache.
///
/// - **Reloading.** At most once per [`FileOptions::reload_interval`] (2 s by default) a
///   verification checks the file's modification time, length and inode, and reloads it
///   when they changed; the new contents replace the old atomically. A file that no longer
///   loads (malformed lines, too large, unreadable) leaves the last good contents in place;
///   the error is logged with `tracing` and kept in [`Htpasswd::last_error`].
/// - **Slow hashes** (bcrypt, APR1, SHA-crypt) run on the [`HashPool`] (tokio's blocking
///   threads with the `tokio` feature, at most as many at once as there are CPUs by
///   default), and a successful verification is remembered in a [`CredentialCache`] (on by
///   default), which the store clears when it reloads.
/// - **Unknown users** are verified against the file's costliest entry and refused, so the
///   time taken does not tell which user names exist.
/// - **Locked entries** (a hash starting with `*` or `!`) never match. `htpasswd -2 -r 500`
///   writes such a line (`user:*0`, glibc's failure token): a plaintext reading would let
///   `*0` in.
/// - **Bounded cost.** bcrypt costs above 17 (`htpasswd -C`'s maximum) and SHA-crypt rounds
///   above 10 000 000 are malformed lines: each attempt would hold a hash thread for
///   minutes, and unknown users are checked against the costliest entry.
/// - **Weak formats** (`{SHA}`, DES, plaintext) are accepted unless
///   [`reject_weak`](Htpasswd::reject_weak) is set; loading logs how many there are.
/// - **Non-ASCII names and passwords** reach the file in their RFC 8265 forms (NFC,
///   fullwidth user-ids mapped) unless [`Basic::precis`](crate::Basic::precis) is off: the
///   lines must hold those forms (a terminal normally types NFC; ASCII is unchanged).
///
/// The verification future is boxed (one allocation per request, nothing next to a
/// password hash).
///
/// ```
/// use tower_httpauth::{AuthLayer, Basic};
/// use tower_httpauth::store::Htpasswd;
///
/// # let dir = std::env::temp_dir().join(format!("htpasswd-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join(".htpasswd");
/// // Written by `htpasswd -nbm Mufasa 'Circle of Life'`.
/// std::fs::write(&path, "# staff\nMufasa:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n").unwrap();
///
/// let users = Htpasswd::open(&path).expect("a valid htpasswd file");
/// assert!(users.contains("Mufasa"));
/// let layer = AuthLayer::new(Basic::new(users).realm("staff"));
/// # let _ = layer;
/// ```
pub struct Htpasswd {
    file: Reloading<Users>,
    cache: Option<CredentialCache>,
    pool: HashPool,
    reject_weak: bool,
}

impl Htpasswd {
    /// Loads `path` with the default [`FileOptions`].
    ///
    /// # Errors
    ///
    /// If the file cannot be read, is too large, or has malformed lines (numbered in the
    /// error).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Htpasswd::open_with(path, FileOptions::default())
    }

    /// Parses the contents of a htpasswd file held in memory (from a secret store, an
    /// environment variable, a test), with the bounds of the default [`FileOptions`]. The
    /// result has no file: [`path`](Self::path) is empty and [`reload`](Self::reload) does
    /// nothing.
    ///
    /// # Errors
    ///
    /// As [`Htpasswd::open`], without the I/O errors.
    ///
    /// ```
    /// use tower_httpauth::store::Htpasswd;
    /// let users = Htpasswd::parse(b"# staff\nMufasa:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n").unwrap();
    /// assert!(users.contains("Mufasa"));
    /// assert_eq!(users.reload().unwrap(), false); // no file to reload
    /// assert!(Htpasswd::parse(b"no colon here").is_err());
    /// ```
    pub fn parse(contents: &[u8]) -> Result<Self, LoadError> {
        Self::from_file(Reloading::<Users>::from_bytes(contents, FileOptions::default())?)
    }

    /// Loads `path` with `options`.
    ///
    /// # Errors
    ///
    /// As [`Htpasswd::open`].
    pub fn open_with(path: impl AsRef<Path>, options: FileOptions) -> Result<Self, LoadError> {
        Self::from_file(Reloading::<Users>::open(path.as_ref(), options)?)
    }

    fn from_file(file: Reloading<Users>) -> Result<Self, LoadError> {
        let weak = file.current().weak;
        if weak > 0 {
            tracing::warn!(path = %file.path().display(), weak, "htpasswd file holds weak password hashes (SHA-1, DES or plaintext)");
        }
        Ok(Htpasswd {
            file,
            cache: Some(CredentialCache::default()),
            pool: HashPool::default(),
            reject_weak: false,
        })
    }

    /// Sets the verified-credential cache; `None` turns caching off.
    pub fn cache(mut self, cache: Option<CredentialCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Sets where slow hashes run.
    pub fn pool(mut self, pool: HashPool) -> Self {
        self.pool = pool;
        self
    }

    /// Refuses users whose password is stored in a weak format (`{SHA}`, DES, plaintext).
    pub fn reject_weak(mut self, reject: bool) -> Self {
        self.reject_weak = reject;
        self
    }

    /// The verified-credential cache, if on.
    pub fn credential_cache(&self) -> Option<&CredentialCache> {
        self.cache.as_ref()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Reloads the file now if it changed. `Ok(true)` if it was reloaded.
    ///
    /// # Errors
    ///
    /// If the changed file does not load; the last good contents stay in use.
    pub fn reload(&self) -> Result<bool, Arc<LoadError>> {
        let reloaded = self.file.reload(false)?;
        if reloaded {
            self.clear_cache();
        }
        Ok(reloaded)
    }

    /// The error of the last failed reload, cleared by a successful one.
    pub fn last_error(&self) -> Option<Arc<LoadError>> {
        self.file.last_error()
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.file.current().map.len()
    }

    /// Whether the file has no users.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `username` is listed.
    pub fn contains(&self, username: &str) -> bool {
        self.file.current().map.contains_key(username)
    }

    /// The format `username`'s password is stored in.
    pub fn format_of(&self, username: &str) -> Option<HtpasswdFormat> {
        self.file.current().map.get(username).map(|e| e.format)
    }

    fn clear_cache(&self) {
        if let Some(c) = &self.cache {
            c.clear();
        }
    }

    /// Checks `username` and `password`; `Ok(true)` if they match an entry.
    ///
    /// # Errors
    ///
    /// If the hash job failed (panicked, or the runtime is shutting down).
    pub async fn check(&self, username: &str, password: &str) -> Result<bool, PoolError> {
        let user = BasicVerifier::verify(self, BasicCredentials::new(username, password)).await?;
        Ok(user.is_some())
    }
}

impl fmt::Debug for Htpasswd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Htpasswd")
            .field("path", &self.file.path())
            .field("users", &self.len())
            .field("cache", &self.cache)
            .field("pool", &self.pool)
            .field("reject_weak", &self.reject_weak)
            .finish()
    }
}

impl BasicVerifier for Htpasswd {
    type User = String;
    type Error = PoolError;
    type Future = BoxedVerifyFuture<String, PoolError>;

    fn verify(&self, credentials: BasicCredentials) -> Self::Future {
        let (users, reloaded) = self.file.get();
        if reloaded {
            self.clear_cache();
        }
        let (username, password) = credentials.into_parts();
        let (entry, known) = match users.map.get(username.as_str()) {
            Some(e) => (e.clone(), true),
            None => match &users.dummy {
                Some(d) => (d.clone(), false),
                None => return Box::pin(std::future::ready(Ok(None))),
            },
        };
        drop(users);
        let refused = known && self.reject_weak && entry.format.is_weak();
        if !entry.format.is_slow() {
            let ok = entry.verify(password.as_bytes()) & known & !refused;
            return Box::pin(std::future::ready(Ok(ok.then_some(username))));
        }
        let key = match (&self.cache, known) {
            (Some(cache), true) => match cache.check(&username, &password, entry.hash.as_bytes()) {
                Ok(()) => return Box::pin(std::future::ready(Ok(Some(username)))),
                Err(key) => Some(key),
            },
            _ => None,
        };
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        Box::pin(async move {
            let ok = pool.run(move || entry.verify(password.as_bytes())).await?;
            if !(ok && known) {
                return Ok(None);
            }
            if let (Some(cache), Some(key)) = (cache, key) {
                cache.remember(key);
            }
            Ok(Some(username))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_every_format() {
        let cases = [
            (
                "$2y$05$Eh2GNyzdPIhWzP7HGCeiv.zdxxRPeed0Qh4zvUs3vueQgcNgGhpq2",
                HtpasswdFormat::Bcrypt,
            ),
            ("$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.", HtpasswdFormat::Apr1),
            ("{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=", HtpasswdFormat::Sha1),
            (
                "$5$YCcXNseKzOdslEY/$1HoR4ALvo2orPC13I0i2hKmQmbJ0F25YWfQhIkLfdy6",
                HtpasswdFormat::Sha256Crypt,
            ),
            ("OWRgIIQdIJTko", HtpasswdFormat::DesCrypt),
            ("Circle of Life", HtpasswdFormat::Plaintext),
        ];
        for (hash, format) in cases {
            let e = Entry::parse(hash).unwrap();
            assert_eq!(e.format, format, "{hash}");
            assert!(e.verify(b"Circle of Life"), "{hash}");
            assert!(!e.verify(b"Circle Of Life"), "{hash}");
        }
    }

    #[test]
    fn locked_entries_never_verify() {
        for hash in ["*0", "*", "!", "!$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq."] {
            let e = Entry::parse(hash).unwrap();
            assert_eq!(e.format, HtpasswdFormat::Locked);
            assert!(!e.verify(hash.as_bytes()));
            assert!(!e.verify(b""));
        }
    }

    #[test]
    fn malformed_hashes_are_line_errors() {
        for bad in [
            "$2y$05$short",
            "$2y$99$Eh2GNyzdPIhWzP7HGCeiv.zdxxRPeed0Qh4zvUs3vueQgcNgGhpq2",
            "$apr1$x",
            "{SHA}bm90IDIwIGJ5dGVz",
            "$5$salt$tooshort",
            "$5$rounds=10$YCcXNseKzOdslEY/$1HoR4ALvo2orPC13I0i2hKmQmbJ0F25YWfQhIkLfdy6",
            "$5$rounds=999999999$vSQw2wpo7EUXJExv$uI7d20qxe.lIsofotJFrB8zoRX4nYtws8GVpg.oQC78",
            "$2y$18$Eh2GNyzdPIhWzP7HGCeiv.zdxxRPeed0Qh4zvUs3vueQgcNgGhpq2",
            "$1$md5crypt$notwrittenbyhtpasswd",
        ] {
            assert!(Entry::parse(bad).is_err(), "{bad}");
        }
        let text = "# c\n\nok:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\nnocolon\n:x\nb:$2y$05$x\n";
        let Err(super::super::file::ParseFailure::Lines(errs)) =
            super::super::file::parse_bytes::<Users>(text.as_bytes(), 100)
        else {
            panic!("expected line errors");
        };
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [4, 5, 6]);
        assert!(
            errs.iter().all(|e| !e.message.contains("$2y$05$x")),
            "no hash in messages"
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A small xorshift generator: deterministic, no dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"$:{}SHA2aby15apr1rounds=./0123456789AZaz*!#\r\n \xff\x00";
        for _ in 0..3000 {
            let len = (next() % 90) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(users) = super::super::file::parse_bytes::<Users>(&bytes, 1000) {
                for e in users.map.values() {
                    let _ = e.verify(b"pw");
                    let _ = e.cost();
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = super::super::apr1::verify(b"pw", text);
                let _ = super::super::des::verify(b"pw", text);
                let _ = classify(text);
            }
        }
    }
}
