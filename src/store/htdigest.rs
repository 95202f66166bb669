//! [`Htdigest`]: an Apache `htdigest` file, for Digest.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::file::{FileOptions, LineError, LoadError, Parse, ParseContext};
use super::reload::Reloading;

struct Realms {
    /// realm -> user -> MD5 HA1.
    map: HashMap<Box<str>, HashMap<Box<str>, [u8; 16]>>,
}

impl Parse for Realms {
    /// Every field has a fixed shape (the HA1 is exactly 32 hex digits, and a line cut in its
    /// user or realm lacks a field), so a line cut off by a write in progress is malformed
    /// whether or not it ends with a line ending: the context is not needed.
    fn parse<'a>(lines: impl Iterator<Item = (usize, &'a str)>, _: ParseContext) -> Result<Self, Vec<LineError>> {
        let mut map = HashMap::new();
        let mut errors = Vec::new();
        for (n, line) in lines {
            let mut fields = line.splitn(3, ':');
            let (Some(user), Some(realm), Some(ha1)) = (fields.next(), fields.next(), fields.next()) else {
                errors.push(LineError::new(n, "expected `user:realm:HA1`"));
                continue;
            };
            if user.is_empty() {
                errors.push(LineError::new(n, "empty user name"));
                continue;
            }
            let Some(ha1) = decode_hex16(ha1) else {
                errors.push(LineError::new(n, "HA1 is not 32 hexadecimal digits (MD5)"));
                continue;
            };
            let users: &mut HashMap<Box<str>, [u8; 16]> = map.entry(realm.into()).or_default();
            users.entry(user.into()).or_insert(ha1);
        }
        if errors.is_empty() {
            Ok(Realms { map })
        } else {
            Err(errors)
        }
    }
}

fn decode_hex16(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 32 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// An Apache `htdigest` file: lines `user:realm:HA1` where
/// `HA1 = MD5(user ":" realm ":" password)` in lowercase hex, the H(A1) that Digest
/// authentication (RFC 7616 §3.4.2) needs with `algorithm=MD5` or `MD5-sess`.
///
/// `Htdigest` is the Digest scheme's store: `Digest::new(htdigest)` looks each user up in
/// the scheme's realm. A user not listed for that realm, and every lookup for a SHA-256 or
/// SHA-512-256 challenge, is an unknown user (`401`); so is a client's `userhash` (with
/// `Digest::userhash(true)`), by which an htdigest file cannot be searched. The file is
/// bounded, reports malformed lines by number, and is reloaded off the request path, as
/// [`Htpasswd`](super::Htpasswd) does: with the `tokio` feature by a background task every
/// [`FileOptions::reload_interval`], and without it only when you call
/// [`reload`](Htdigest::reload). Clones share the contents.
///
/// **MD5 only.** `htdigest` writes MD5 HA1s and nothing else; a `SHA-256` (or
/// `SHA-512-256`) Digest challenge needs `SHA-256(user ":" realm ":" password)` per user and
/// realm, which no htdigest file holds: keep those in a store of your own, or offer MD5
/// with `Digest::algorithms`.
///
/// **Password equivalents.** An HA1 is enough to answer any Digest challenge for that
/// realm: protect the file as you would the passwords.
///
/// **Non-ASCII names and passwords.** `Digest` looks users up by their RFC 8265 form (NFC;
/// fullwidth mapped), and clients hash that form: write lines for
/// [`precis::username`](crate::precis::username) and
/// [`precis::password`](crate::precis::password) of what users type (a terminal normally
/// gives NFC already; ASCII is unchanged).
///
/// ```
/// use tower_httpauth::store::Htdigest;
///
/// # let dir = std::env::temp_dir().join(format!("htdigest-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let path = dir.join(".htdigest");
/// // `htdigest -c file http-auth@example.org Mufasa`, password "Circle of Life".
/// std::fs::write(&path, "Mufasa:http-auth@example.org:3d78807defe7de2157e2b0b6573a855f\n").unwrap();
///
/// let file = Htdigest::open(&path).unwrap();
/// assert_eq!(
///     file.ha1_hex("Mufasa", "http-auth@example.org").as_deref(),
///     Some("3d78807defe7de2157e2b0b6573a855f")
/// );
/// assert_eq!(file.ha1("Mufasa", "another realm"), None);
/// ```
#[derive(Clone)]
pub struct Htdigest {
    file: Reloading<Realms>,
}

impl Htdigest {
    /// Loads `path` with the default [`FileOptions`].
    ///
    /// # Errors
    ///
    /// If the file cannot be read, is too large, or has malformed lines (numbered in the
    /// error).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        Htdigest::open_with(path, FileOptions::default())
    }

    /// Parses the contents of a htdigest file held in memory (from a secret store, an
    /// environment variable, a test), with the bounds of the default [`FileOptions`]. The
    /// result has no file: [`path`](Self::path) is empty and [`reload`](Self::reload) does
    /// nothing.
    ///
    /// # Errors
    ///
    /// As [`Htdigest::open`], without the I/O errors.
    ///
    /// ```
    /// use tower_httpauth::store::Htdigest;
    /// let file = Htdigest::parse(b"Mufasa:http-auth@example.org:3d78807defe7de2157e2b0b6573a855f\n").unwrap();
    /// assert!(file.ha1("Mufasa", "http-auth@example.org").is_some());
    /// assert!(Htdigest::parse(b"Mufasa:realm:not-hex").is_err());
    /// ```
    pub fn parse(contents: &[u8]) -> Result<Self, LoadError> {
        Ok(Htdigest {
            file: Reloading::from_bytes(contents, FileOptions::default())?,
        })
    }

    /// Loads `path` with `options`.
    ///
    /// # Errors
    ///
    /// As [`Htdigest::open`].
    pub fn open_with(path: impl AsRef<Path>, options: FileOptions) -> Result<Self, LoadError> {
        Ok(Htdigest {
            file: Reloading::open(path.as_ref(), options)?,
        })
    }

    /// The MD5 H(A1) of `username` in `realm`, if listed. For a user listed twice in a
    /// realm, the first line counts.
    pub fn ha1(&self, username: &str, realm: &str) -> Option<[u8; 16]> {
        self.file.watch();
        self.file.current().map.get(realm)?.get(username).copied()
    }

    /// [`Htdigest::ha1`] as 32 lowercase hex digits, the form Digest computations use.
    pub fn ha1_hex(&self, username: &str, realm: &str) -> Option<String> {
        self.ha1(username, realm).map(|h| hex(&h))
    }

    /// Reloads the file now if its modification time, length or inode changed: `Ok(true)`
    /// if new contents are in use. This reads the file on the calling thread: from async
    /// code, call it inside `tokio::task::spawn_blocking`.
    ///
    /// # Errors
    ///
    /// If the changed file does not load; the last good contents stay in use.
    pub fn reload(&self) -> Result<bool, Arc<LoadError>> {
        self.file.reload()
    }

    /// The error of the last failed reload, cleared by a successful one.
    pub fn last_error(&self) -> Option<Arc<LoadError>> {
        self.file.last_error()
    }

    /// The number of (user, realm) entries.
    pub fn len(&self) -> usize {
        self.file.current().map.values().map(HashMap::len).sum()
    }

    /// Whether the file has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file's path (empty for [`Htdigest::parse`]).
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

fn hex(bytes: &[u8; 16]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Debug for Htdigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Htdigest")
            .field("path", &self.file.path())
            .field("entries", &self.len())
            .finish()
    }
}

mod verifier {
    use std::future::{Ready, ready};

    use http::request::Parts;

    use super::{Htdigest, hex};
    use crate::digest::{Algorithm, DigestLookup, DigestUser};
    use crate::failure::AuthFailure;
    use crate::verify::Verifier;

    /// Finds the lookup's user in the lookup's realm. The user handed on is the user name.
    impl Verifier<DigestLookup> for Htdigest {
        type User = DigestUser<String>;
        type Future = Ready<Result<DigestUser<String>, AuthFailure>>;

        fn verify(&self, lookup: DigestLookup, _request: &Parts) -> Self::Future {
            // An htdigest file holds MD5 HA1s only: any other algorithm finds nobody. Nor
            // does a userhash: the file is keyed by plain names, and a line whose name is
            // spelled like the hash is not the user the client hashed.
            let found = (lookup.algorithm().base() == Algorithm::Md5 && !lookup.userhash())
                .then(|| self.ha1(lookup.username(), lookup.realm()))
                .flatten();
            ready(match found {
                Some(ha1) => Ok(DigestUser::with_ha1(lookup.username().to_owned(), hex(&ha1))),
                None => Err(AuthFailure::invalid()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::file::{ParseFailure, parse_bytes};
    use super::*;

    fn lines(max: usize) -> FileOptions {
        FileOptions::default().max_lines(max)
    }

    #[test]
    fn parse_and_errors() {
        let ok = parse_bytes::<Realms>(
            b"# comment\r\n\r\nMufasa:http-auth@example.org:3D78807DEFE7DE2157E2B0B6573A855F\r\n",
            &lines(10),
        );
        let Ok(r) = ok else { panic!("parses") };
        assert_eq!(r.map["http-auth@example.org"].len(), 1);
        let bad = parse_bytes::<Realms>(
            b"a:r:00\nb:r\n:r:3d78807defe7de2157e2b0b6573a855f\nok:r:3d78807defe7de2157e2b0b6573a855f\n",
            &lines(10),
        );
        let Err(ParseFailure::Lines(errs)) = bad else {
            panic!("errors")
        };
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(matches!(
            parse_bytes::<Realms>(b"\n\n\n", &lines(2)),
            Err(ParseFailure::TooManyLines)
        ));
    }
}
