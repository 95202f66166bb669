//! [`Htpasswd`]: an Apache `htpasswd` file as a Basic verifier.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use http::request::Parts;

use super::file::{FileOptions, LineError, LoadError, Parse, ParseContext};
use super::reload::Reloading;
use super::{BoxFuture, CredentialCache, HashError, HashPool};
use crate::basic::BasicCredentials;
use crate::failure::AuthFailure;
use crate::verify::Verifier;

mod apr1;
mod des;
mod format;

use format::{Entry, HtpasswdFormat};

/// The parsed contents of an htpasswd file.
struct Users {
    map: HashMap<Box<str>, Entry>,
    /// The costliest entry that is not locked: unknown users (and locked ones) are verified
    /// against it and refused.
    dummy: Option<Entry>,
    weak: usize,
    /// The entries that cost the same to verify, by group (cheapest first): more than one
    /// group means a mixed-cost file.
    costs: Vec<(String, usize)>,
}

impl Parse for Users {
    fn parse<'a>(lines: impl Iterator<Item = (usize, &'a str)>, cx: ParseContext) -> Result<Self, Vec<LineError>> {
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
            match Entry::parse(hash, cx.allow_plaintext) {
                // Any prefix of a plaintext password is a plaintext password: on a last line
                // without a line ending (htpasswd ends every line with one, and rewrites the
                // file in place) it may be cut off by a write in progress.
                Ok(e) if e.format == HtpasswdFormat::Plaintext && cx.unterminated == Some(n) => {
                    errors.push(LineError::new(
                        n,
                        "plaintext password on a last line without a line ending (possibly cut off by a write in progress)",
                    ));
                }
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
        let dummy = map
            .values()
            .filter(|e| e.format != HtpasswdFormat::Locked)
            .max_by_key(|e: &&Entry| e.cost())
            .cloned();
        let weak = map.values().filter(|e| e.format.is_weak()).count();
        let mut groups: std::collections::BTreeMap<(u8, u64), (String, usize)> = Default::default();
        for (key, name) in map.values().filter_map(Entry::cost_group) {
            groups.entry(key).or_insert((name, 0)).1 += 1;
        }
        let costs = groups.into_values().collect();
        Ok(Users {
            map,
            dummy,
            weak,
            costs,
        })
    }

    fn loaded(&self, path: &Path) {
        if self.weak > 0 {
            tracing::warn!(path = %path.display(), weak = self.weak, "htpasswd file holds weak password hashes (SHA-1, DES or plaintext)");
        }
        if self.costs.len() > 1 {
            let costs = self
                .costs
                .iter()
                .map(|(name, n)| format!("{name}: {n} user{}", if *n == 1 { "" } else { "s" }))
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(
                path = %path.display(),
                costs = %costs,
                "htpasswd file mixes password hash costs: unknown users are checked against the costliest \
                 entry, so a user whose hash is cheaper answers faster, which tells that the user exists. \
                 Rehash every user with one format and cost; Htpasswd::reject_weak(true) answers users of \
                 weak formats ({{SHA}}, DES, plaintext) as unknown ones"
            );
        }
    }
}

impl Users {
    /// The entry a verification of `username` runs against, and whether a match logs the
    /// user in. Unknown users, locked entries and, with `reject_weak`, weak ones are
    /// verified against the costliest entry and refused: they take the time an unknown user
    /// takes. `None` when there is nothing to verify against (no unlocked entry).
    fn target(&self, username: &str, reject_weak: bool) -> Option<(Entry, bool)> {
        match self.map.get(username) {
            Some(e) if e.format != HtpasswdFormat::Locked && !(reject_weak && e.format.is_weak()) => {
                Some((e.clone(), true))
            }
            _ => self.dummy.clone().map(|d| (d, false)),
        }
    }
}

/// An Apache `htpasswd` file as a Basic verifier; the user is the user name (`String`).
///
/// Reads every format the real `htpasswd` writes: bcrypt (`-B`),
/// APR1-MD5 (`-m`, the default), `{SHA}` (`-s`), SHA-256/512-crypt (`-2`, `-5`, with or
/// without `-r rounds`), DES crypt (`-d`), and plaintext (`-p`) only with
/// [`FileOptions::allow_plaintext`]. Blank lines and lines starting with `#` are skipped;
/// for a user listed twice the first line counts, as in Apache.
///
/// - **Malformed lines** refuse the whole file, with their numbers in the [`LoadError`]
///   (never their text): a line without `user:`, an empty hash (`user:`), a hash of a known
///   format with the wrong length, alphabet or cost, an unknown `$…$` or `{…}` scheme
///   (`{SSHA}`), and, unless plaintext is allowed, a string in none of the formats. Apache
///   outside Windows hands such a string to `crypt(3)`, where it never matches; reading it
///   as a plaintext password would let in whoever types it (an empty hash: anyone).
/// - **Reloading, off the request path.** Requests read the contents in use and never
///   touch the file system. With the `tokio` feature a background task looks at the file
///   every [`FileOptions::reload_interval`] (2 s by default) and, when its modification
///   time, length or inode changed, reads and parses it on tokio's blocking threads; the new
///   contents replace the old atomically. Without the `tokio` feature nothing reloads on
///   its own: call [`reload`](Htpasswd::reload) (on `SIGHUP`, from an admin endpoint).
///   A file that no longer loads (malformed lines, too large, unreadable) leaves the last
///   good contents in place; the error is logged with `tracing` and kept in
///   [`Htpasswd::last_error`].
/// - **Files rewritten in place.** `htpasswd` truncates the file and writes it again, so a
///   reload may read it cut off anywhere. Every line `htpasswd` writes ends with a line
///   ending, and every format but plaintext has a fixed length and alphabet: a line cut off
///   in its user name or hash is malformed, the reload keeps the last good contents, and
///   the next reload after the write loads the whole file. With plaintext allowed, a
///   plaintext password on a last line without a line ending is malformed for the same
///   reason. A file cut at a line ending loads with the users written so far (the others
///   are refused until the next reload).
/// - **Slow hashes** (bcrypt, APR1, SHA-crypt) run on the [`HashPool`] (tokio's blocking
///   threads with the `tokio` feature, at most as many at once as there are CPUs by
///   default), and a successful verification is remembered in a [`CredentialCache`] (on by
///   default), which is cleared when the file is reloaded.
/// - **Unknown users** are verified against the file's costliest entry and refused. In a
///   file whose hashes all have the same format and cost, the time taken does not tell
///   which user names exist. In a **mixed-cost file** it does: a user whose hash is cheaper
///   than the costliest (a `{SHA}` line in a bcrypt file answers far sooner than an
///   unknown user) shows that the user exists. Loading logs a warning
///   naming the formats and costs when they are mixed; rehash every user with one format
///   and cost, and refuse the weak ones with [`reject_weak`](Htpasswd::reject_weak), which
///   verifies them like unknown users.
/// - **Locked entries** (a hash starting with `*` or `!`) never match, and are verified
///   like unknown users. `htpasswd -2 -r 500` writes such a line (`user:*0`, glibc's
///   failure token): a plaintext reading would let `*0` in.
/// - **Empty passwords** are never accepted ([`Basic`](crate::Basic) refuses them before
///   any verifier; [`check`](Htpasswd::check) refuses them too).
/// - **Bounded cost.** bcrypt costs above 17 (`htpasswd -C`'s maximum) and SHA-crypt rounds
///   above 10 000 000 are malformed lines: each attempt would hold a hash thread for a
///   long time, and unknown users are checked against the costliest entry.
/// - **Weak formats** (`{SHA}`, DES, plaintext) are accepted unless
///   [`reject_weak`](Htpasswd::reject_weak) is set; loading logs how many there are.
/// - **Non-ASCII names and passwords** reach the file in their RFC 8265 forms (NFC,
///   fullwidth user-ids mapped) unless [`Basic::precis`](crate::Basic::precis) is off: the
///   lines must hold those forms (a terminal normally types NFC; ASCII is unchanged).
///
/// Clones share the contents, the cache and the background task: keep one to call
/// [`reload`](Htpasswd::reload) or [`last_error`](Htpasswd::last_error) while the layer
/// holds another.
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
#[derive(Clone)]
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

    /// Loads `path` with `options`.
    ///
    /// # Errors
    ///
    /// As [`Htpasswd::open`].
    pub fn open_with(path: impl AsRef<Path>, options: FileOptions) -> Result<Self, LoadError> {
        Ok(Self::from_file(Reloading::open(path.as_ref(), options)?))
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
        Ok(Self::from_file(Reloading::from_bytes(
            contents,
            FileOptions::default(),
        )?))
    }

    fn from_file(file: Reloading<Users>) -> Self {
        Htpasswd {
            file,
            cache: Some(CredentialCache::default()),
            pool: HashPool::default(),
            reject_weak: false,
        }
    }

    /// Sets the verified-credential cache (default [`CredentialCache::default`]); `None`
    /// turns caching off.
    pub fn cache(mut self, cache: Option<CredentialCache>) -> Self {
        self.cache = cache;
        self
    }

    /// Sets where slow hashes run (default [`HashPool::default`]).
    pub fn pool(mut self, pool: HashPool) -> Self {
        self.pool = pool;
        self
    }

    /// Refuses users whose password is stored in a weak format (`{SHA}`, DES, plaintext).
    /// They are verified against the file's costliest entry, as unknown users are, so in a
    /// file that mixes weak and slow hashes their answer takes as long as an unknown user's.
    pub fn reject_weak(mut self, reject: bool) -> Self {
        self.reject_weak = reject;
        self
    }

    /// The verified-credential cache, if on: for its [`hits`](CredentialCache::hits) and
    /// [`misses`](CredentialCache::misses).
    pub fn credential_cache(&self) -> Option<&CredentialCache> {
        self.cache.as_ref()
    }

    /// The file's path (empty for [`Htpasswd::parse`]).
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Reloads the file now if its modification time, length or inode changed: `Ok(true)`
    /// if new contents are in use (and the cache was cleared). This reads the file on the
    /// calling thread: from async code, call it inside `tokio::task::spawn_blocking`.
    /// Reloads never overlap; the background task (see [`FileOptions::reload_interval`])
    /// does the same.
    ///
    /// # Errors
    ///
    /// If the changed file does not load; the last good contents stay in use.
    pub fn reload(&self) -> Result<bool, Arc<LoadError>> {
        let reloaded = self.file.reload()?;
        if reloaded && let Some(c) = &self.cache {
            c.clear();
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

    /// The format `username`'s password is stored in, by the name of its hash:
    /// `"bcrypt"` (`htpasswd -B`), `"apr1"` (`-m`, the default), `"sha1"` (`-s`),
    /// `"sha256-crypt"` (`-2`), `"sha512-crypt"` (`-5`), `"des-crypt"` (`-d`), `"plaintext"`
    /// (`-p`), or `"locked"` (a hash starting with `*` or `!`, which nothing matches).
    /// `sha1`, `des-crypt` and `plaintext` are the weak ones that
    /// [`reject_weak`](Self::reject_weak) refuses.
    ///
    /// ```
    /// use tower_httpauth::store::Htpasswd;
    /// let users = Htpasswd::parse(b"Mufasa:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n").unwrap();
    /// assert_eq!(users.format_of("Mufasa"), Some("apr1"));
    /// assert_eq!(users.format_of("Scar"), None);
    /// ```
    pub fn format_of(&self, username: &str) -> Option<&'static str> {
        self.file.current().map.get(username).map(|e| e.format.name())
    }

    /// Checks `username` and `password` as the layer would (the cache and the pool
    /// included), for a login form or a test: `Ok(true)` if they match an entry. An empty
    /// password never matches.
    ///
    /// # Errors
    ///
    /// If the hash job failed (panicked, or the runtime is shutting down).
    pub async fn check(&self, username: &str, password: &str) -> Result<bool, HashError> {
        let verifying = self.verify_parts(username.to_owned(), password.to_owned(), || None, Some);
        match verifying.await {
            Ok(_) => Ok(true),
            Err(None) => Ok(false),
            Err(Some(e)) => Err(e),
        }
    }

    /// Verifies; a refusal is `refused()`, a failed hash job `failed(e)`.
    fn verify_parts<E: Send + 'static>(
        &self,
        username: String,
        password: String,
        refused: fn() -> E,
        failed: fn(HashError) -> E,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, E>> + Send>> {
        self.file.watch();
        let users = self.file.current();
        if let Some(cache) = &self.cache {
            cache.follow(users.id());
        }
        let Some((entry, known)) = users.target(&username, self.reject_weak) else {
            return Box::pin(std::future::ready(Err(refused())));
        };
        drop(users);
        // An empty password is never accepted (`Basic` refuses it before any verifier; this
        // covers `check` and direct calls), after the same work.
        let known = known & !password.is_empty();
        if !entry.format.is_slow() {
            let ok = entry.verify(password.as_bytes()) & known;
            return Box::pin(std::future::ready(if ok { Ok(username) } else { Err(refused()) }));
        }
        let key = match (&self.cache, known) {
            (Some(cache), true) => match cache.check(&username, &password, entry.hash.as_bytes()) {
                Ok(()) => return Box::pin(std::future::ready(Ok(username))),
                Err(key) => Some(key),
            },
            _ => None,
        };
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        Box::pin(async move {
            let ok = pool
                .run(move || entry.verify(password.as_bytes()))
                .await
                .map_err(failed)?;
            if !(ok && known) {
                return Err(refused());
            }
            if let (Some(cache), Some(key)) = (cache, key) {
                cache.remember(key);
            }
            Ok(username)
        })
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

impl Verifier<BasicCredentials> for Htpasswd {
    type User = String;
    type Future = BoxFuture<String>;

    fn verify(&self, credentials: BasicCredentials, _request: &Parts) -> Self::Future {
        let (username, password) = credentials.into_parts();
        self.verify_parts(username, password, AuthFailure::invalid, AuthFailure::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::format::classify;
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
            let e = Entry::parse(hash, true).unwrap();
            assert_eq!(e.format, format, "{hash}");
            assert!(e.verify(b"Circle of Life"), "{hash}");
            assert!(!e.verify(b"Circle Of Life"), "{hash}");
        }
    }

    #[test]
    fn plaintext_only_with_the_opt_in_and_never_empty_or_a_foreign_scheme() {
        // What Apache (outside Windows) never matches: no format, so malformed by default.
        for hash in [
            "Circle of Life",
            "OWRgIIQdIJTk", // a DES hash cut off at 12 characters
            "OWRgIIQdIJTko!",
            "{SH", // `{SHA}…` cut off
            "{no closing brace",
        ] {
            let err = Entry::parse(hash, false).err().unwrap_or_else(|| panic!("{hash}"));
            assert!(err.contains("allow_plaintext"), "{err}");
            assert_eq!(Entry::parse(hash, true).unwrap().format, HtpasswdFormat::Plaintext);
        }
        // Never a password, whatever the option.
        for hash in [
            "",
            "{SSHA}DkMTwBl+a/3DQTxCYEApdUtNXGgdUac3",
            "{MD5}xhuRf8KFT/RQ3e0MPd6vJg==",
            "{CRYPT}OWRgIIQdIJTko",
            "{}",
        ] {
            for allow in [false, true] {
                assert!(Entry::parse(hash, allow).is_err(), "{hash:?} allow_plaintext={allow}");
            }
        }
    }

    #[test]
    fn plaintext_on_an_unterminated_last_line_is_malformed() {
        let opts = FileOptions::default().allow_plaintext(true);
        let parse = |text: &str| super::super::file::parse_bytes::<Users>(text.as_bytes(), &opts);
        assert!(parse("a:one\nb:two\n").is_ok());
        let Err(super::super::file::ParseFailure::Lines(errs)) = parse("a:one\nb:tw") else {
            panic!("a plaintext last line without a line ending loads");
        };
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [2]);
        // Hashes of fixed length are complete or malformed wherever the file ends.
        assert!(parse("a:one\nb:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=").is_ok());
        assert!(parse("a:one\n# a comment without a line ending").is_ok());
    }

    #[test]
    fn every_cut_of_a_last_line_is_malformed() {
        // What `htpasswd` writes for `Circle of Life`, one line per format.
        let lines = [
            "bob:$2y$04$HJvzxkpP9/03Y4zgUveoCO57LGDPXocGqTw.ID0apnoHkV6HMNWTm",
            "bob:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.",
            "bob:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=",
            "bob:$5$rounds=1000$qfH/ybC6w9jzKXfy$OrlLX35m88U65/RW5motamUah2BDh47ROQAJIsnPYW0",
            "bob:$5$YCcXNseKzOdslEY/$1HoR4ALvo2orPC13I0i2hKmQmbJ0F25YWfQhIkLfdy6",
            "bob:$6$rounds=1000$fv17XxRvwNz61Z2H$SLxPEiyV9hzeHs9.yaUbYslZfLJY1cr8OAzR0vsbPpUxL4fG3wvOuQtfycBdsszC2jAKopzaJJ4DqrhVZTTce0",
            "bob:$6$JsMm8zPMvwlfrxuM$wlbovpjkVW2O0YHobwGgpCIDgvVylnQ8rzGQtpxrGfVdq743nGKC8Jg1EBvelTDJasNTtvWnQIRdzZxrDiEzE1",
            "bob:OWRgIIQdIJTko",
            "bob:Circle of Life",
        ];
        let base = "alice:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n";
        for line in lines {
            for allow_plaintext in [false, true] {
                let opts = FileOptions::default().allow_plaintext(allow_plaintext);
                let parse = |text: &str| super::super::file::parse_bytes::<Users>(text.as_bytes(), &opts).ok();
                let plaintext = line == "bob:Circle of Life";
                // Complete, the line loads (plaintext only when allowed).
                let complete = parse(&format!("{base}{line}\n"));
                assert_eq!(complete.is_some(), !plaintext || allow_plaintext, "{line}");
                // Cut anywhere short of the end, it never does. A plaintext password without
                // its line ending may be cut off too.
                let end = if plaintext { line.len() + 1 } else { line.len() };
                for cut in 1..end {
                    let text = format!("{base}{}", &line[..cut.min(line.len())]);
                    assert!(
                        parse(&text).is_none(),
                        "{text:?} loads (allow_plaintext: {allow_plaintext})"
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_locked_and_refused_weak_users_verify_against_the_costliest_entry() {
        let text = "weak:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\n\
                    locked:*0\n\
                    apr1:$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq.\n\
                    bcrypt:$2y$05$Eh2GNyzdPIhWzP7HGCeiv.zdxxRPeed0Qh4zvUs3vueQgcNgGhpq2\n";
        let Ok(users) = super::super::file::parse_bytes::<Users>(text.as_bytes(), &FileOptions::default()) else {
            panic!("parses");
        };
        let costliest = |t: Option<(Entry, bool)>| {
            let (e, known) = t.unwrap();
            (e.format, known)
        };
        assert_eq!(
            costliest(users.target("nobody", false)),
            (HtpasswdFormat::Bcrypt, false)
        );
        assert_eq!(
            costliest(users.target("locked", false)),
            (HtpasswdFormat::Bcrypt, false)
        );
        assert_eq!(costliest(users.target("weak", true)), (HtpasswdFormat::Bcrypt, false));
        assert_eq!(costliest(users.target("weak", false)), (HtpasswdFormat::Sha1, true));
        assert_eq!(costliest(users.target("apr1", true)), (HtpasswdFormat::Apr1, true));
        // A file of locked entries only has nothing to verify against.
        let Ok(locked) = super::super::file::parse_bytes::<Users>(b"a:*\nb:!x\n", &FileOptions::default()) else {
            panic!("parses");
        };
        assert!(locked.target("a", false).is_none() && locked.target("c", false).is_none());
        // Cost groups: {SHA}, APR1, bcrypt cost 5; the locked entry in none.
        let names: Vec<&str> = users.costs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["{SHA} or plaintext", "APR1-MD5", "bcrypt, cost 5"]);
    }

    #[test]
    fn locked_entries_never_verify() {
        for hash in ["*0", "*", "!", "!$apr1$SFEr/xiz$uDWk3HJkJ9aVYpKvfyXiq."] {
            let e = Entry::parse(hash, true).unwrap();
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
            assert!(Entry::parse(bad, true).is_err(), "{bad}");
        }
        let text = "# c\n\nok:{SHA}y/waJdy9m/a+D8VTRQ/e2awAzpQ=\nnocolon\n:x\nb:$2y$05$x\nempty:\n";
        let Err(super::super::file::ParseFailure::Lines(errs)) =
            super::super::file::parse_bytes::<Users>(text.as_bytes(), &FileOptions::default().max_lines(100))
        else {
            panic!("expected line errors");
        };
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [4, 5, 6, 7]);
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
            for allow in [false, true] {
                let opts = FileOptions::default().max_lines(1000).allow_plaintext(allow);
                if let Ok(users) = super::super::file::parse_bytes::<Users>(&bytes, &opts) {
                    for e in users.map.values() {
                        assert!(!e.hash.is_empty(), "an empty hash never loads");
                        let _ = e.verify(b"pw");
                        let _ = e.cost();
                        let _ = e.cost_group();
                    }
                    users.loaded(Path::new(""));
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let _ = super::apr1::verify(b"pw", text);
                let _ = super::des::verify(b"pw", text);
                let _ = classify(text, false);
                let _ = classify(text, true);
            }
        }
    }
}
