//! Reading a credentials file: its options, its bounds, its line-numbered errors, and the
//! parse shared by the htpasswd and htdigest stores. Publishing it and reloading it are in
//! `reload.rs`.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The default bound on the size of a credentials file: 16 MiB.
pub(crate) const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;
/// The default bound on the number of lines of a credentials file.
pub(crate) const DEFAULT_MAX_LINES: usize = 100_000;
/// The default time between two checks of a file for changes.
pub(crate) const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(2);
/// At most this many malformed lines are listed in a [`LoadError`].
const MAX_LISTED_ERRORS: usize = 20;

/// How a file-backed store ([`Htpasswd`](super::Htpasswd), [`Htdigest`](super::Htdigest))
/// reads its file and notices changes.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use tower_httpauth::store::FileOptions;
///
/// let opts = FileOptions::default()
///     .reload_interval(Some(Duration::from_secs(10))) // look at the file every 10 s
///     .max_size(1 << 20)
///     .max_lines(10_000);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone)]
pub struct FileOptions {
    pub(crate) reload_interval: Option<Duration>,
    pub(crate) max_size: u64,
    pub(crate) max_lines: usize,
    pub(crate) allow_plaintext: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            reload_interval: Some(DEFAULT_RELOAD_INTERVAL),
            max_size: DEFAULT_MAX_FILE_SIZE,
            max_lines: DEFAULT_MAX_LINES,
            allow_plaintext: false,
        }
    }
}

impl FileOptions {
    /// How often a background task looks at the file (default every 2 seconds; an interval
    /// under 100 ms counts as 100 ms). `None`: no background task.
    ///
    /// Each time, the task compares the file's modification time, length and inode with
    /// those of the contents in use, and reads and parses the file again only when one of
    /// them changed; the new contents replace the old ones atomically. Requests never touch
    /// the file system: they read the contents in use. A rewrite that keeps the modification
    /// time (within the file system's timestamp granularity), the length and the inode is not
    /// noticed; editors and `htpasswd` change at least one of them.
    ///
    /// The background task needs the **`tokio` feature** and a tokio runtime with its timer
    /// enabled (as `#[tokio::main]` builds it). It starts when the store is opened inside
    /// such a runtime, or else at the store's first verification inside one; it reads and
    /// parses on tokio's blocking threads, and it ends once every clone of the store is
    /// dropped. **Without the `tokio` feature** nothing reloads on its own, whatever the
    /// interval: call the store's `reload` yourself (on `SIGHUP`, from an admin endpoint, or
    /// from a thread of your own), which works with or without the feature.
    pub fn reload_interval(mut self, interval: Option<Duration>) -> Self {
        self.reload_interval = interval;
        self
    }

    /// The largest file accepted, in bytes (default 16 MiB).
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = bytes;
        self
    }

    /// The most lines accepted, comments and blank lines included (default 100 000).
    pub fn max_lines(mut self, lines: usize) -> Self {
        self.max_lines = lines;
        self
    }

    /// [`Htpasswd`](super::Htpasswd) only: reads a hash in none of the formats `htpasswd`
    /// writes as the password itself (`htpasswd -p`). Off by default, as in Apache, which
    /// hands such a hash to `crypt(3)` and so never matches it outside Windows: a line
    /// whose hash is in no known format is then a malformed line.
    ///
    /// Even with plaintext allowed, an empty hash (`user:`), an unknown `{…}` scheme
    /// (`{SSHA}`, `{MD5}`, …) and an unknown `$…$` scheme stay malformed, and so does a
    /// plaintext password on a last line without a line ending: `htpasswd` ends every line
    /// with one, and rewrites the file in place, so such a line may be a password cut off
    /// by a write in progress (the reload then keeps the last good contents, and the next
    /// check after the write completes loads the file). A string of 13 characters of the
    /// `crypt(3)` alphabet (`./0-9A-Za-z`) is read as a DES hash, as Apache does on Unix.
    ///
    /// ```
    /// use tower_httpauth::store::{FileOptions, Htpasswd};
    /// # let dir = std::env::temp_dir().join(format!("htpasswd-plain-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join(".htpasswd");
    /// // Written by `htpasswd -nbp Mufasa 'Circle of Life'`.
    /// std::fs::write(&path, "Mufasa:Circle of Life\n").unwrap();
    /// assert!(Htpasswd::open(&path).is_err()); // line 1: no known hash format
    /// let users = Htpasswd::open_with(&path, FileOptions::default().allow_plaintext(true)).unwrap();
    /// assert!(users.contains("Mufasa"));
    /// ```
    pub fn allow_plaintext(mut self, allow: bool) -> Self {
        self.allow_plaintext = allow;
        self
    }
}

/// A malformed line: its 1-based number and what is wrong. The line's text is never
/// included, since it holds a password hash (or a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl LineError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        LineError {
            line,
            message: message.into(),
        }
    }
}

/// Why a credentials file could not be loaded. A store that fails to reload keeps its last
/// good contents.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is larger than [`FileOptions::max_size`].
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound.
        max: u64,
    },
    /// The file has more lines than [`FileOptions::max_lines`].
    TooManyLines {
        /// The file.
        path: PathBuf,
        /// The bound.
        max: usize,
    },
    /// Some lines are malformed; the file was not loaded.
    Malformed {
        /// The file (empty for contents parsed from memory).
        path: PathBuf,
        /// The first 20 malformed lines, in order: the 1-based line number and what is
        /// wrong with the line (never its text, which holds a password hash).
        errors: Vec<(usize, String)>,
        /// How many lines are malformed in all.
        count: usize,
    },
}

impl LoadError {
    /// The numbers of the malformed lines listed in the error (the first 20), in order;
    /// empty when the file failed to load for another reason.
    ///
    /// ```
    /// use tower_httpauth::store::Htpasswd;
    /// let err = Htpasswd::parse(b"# users\nno colon here\n").unwrap_err();
    /// assert_eq!(err.malformed_lines(), [2]);
    /// ```
    pub fn malformed_lines(&self) -> Vec<usize> {
        match self {
            LoadError::Malformed { errors, .. } => errors.iter().map(|(line, _)| *line).collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            LoadError::TooLarge { path, max } => write!(f, "{}: larger than {max} bytes", path.display()),
            LoadError::TooManyLines { path, max } => write!(f, "{}: more than {max} lines", path.display()),
            LoadError::Malformed { path, errors, count } => {
                write!(f, "{}: {count} malformed line(s)", path.display())?;
                for (line, message) in errors {
                    write!(f, "; line {line}: {message}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What a [`Parse`] implementation needs to know besides the lines (only the htpasswd parser
/// reads it so far).
#[cfg_attr(not(feature = "htpasswd"), allow(dead_code))]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ParseContext {
    /// [`FileOptions::allow_plaintext`].
    pub(crate) allow_plaintext: bool,
    /// The number of the last line when it has no line ending: it may have been cut off by
    /// a write in progress.
    pub(crate) unterminated: Option<usize>,
}

/// A file format a store parses.
pub(crate) trait Parse: Sized + Send + Sync + 'static {
    /// Parses the meaningful lines (1-based number, text without the line ending), or lists
    /// what is wrong.
    fn parse<'a>(lines: impl Iterator<Item = (usize, &'a str)>, cx: ParseContext) -> Result<Self, Vec<LineError>>;

    /// Called once after each successful load (the first one and every reload), to log
    /// what the new contents call for. `path` is empty for contents parsed from memory.
    fn loaded(&self, path: &Path) {
        let _ = path;
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Stamp {
    pub(crate) fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

/// Reads and parses `path` within the bounds of `opts`; the stamp is that of the file read.
pub(crate) fn load<T: Parse>(path: &Path, opts: &FileOptions) -> Result<(T, Stamp), LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let stamp = Stamp::of(&file.metadata().map_err(io)?);
    if stamp.len > opts.max_size {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            max: opts.max_size,
        });
    }
    let mut bytes = Vec::new();
    file.take(opts.max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok((parse_checked::<T>(path, &bytes, opts)?, stamp))
}

/// Checks `bytes` against the bounds of `opts` and parses them.
pub(crate) fn parse_checked<T: Parse>(path: &Path, bytes: &[u8], opts: &FileOptions) -> Result<T, LoadError> {
    if bytes.len() as u64 > opts.max_size {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            max: opts.max_size,
        });
    }
    parse_bytes::<T>(bytes, opts).map_err(|e| match e {
        ParseFailure::TooManyLines => LoadError::TooManyLines {
            path: path.to_owned(),
            max: opts.max_lines,
        },
        ParseFailure::Lines(mut errors) => {
            let count = errors.len();
            errors.truncate(MAX_LISTED_ERRORS);
            LoadError::Malformed {
                path: path.to_owned(),
                errors: errors.into_iter().map(|e| (e.line, e.message)).collect(),
                count,
            }
        }
    })
}

pub(crate) enum ParseFailure {
    TooManyLines,
    Lines(Vec<LineError>),
}

/// Splits `bytes` into lines (LF or CRLF), skips blank lines and `#` comments, and parses.
pub(crate) fn parse_bytes<T: Parse>(bytes: &[u8], opts: &FileOptions) -> Result<T, ParseFailure> {
    let terminated = bytes.ends_with(b"\n");
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if !bytes.is_empty() && bytes.split(|&b| b == b'\n').nth(opts.max_lines).is_some() {
        return Err(ParseFailure::TooManyLines);
    }
    let cx = ParseContext {
        allow_plaintext: opts.allow_plaintext,
        unterminated: (!terminated && !bytes.is_empty()).then(|| bytes.split(|&b| b == b'\n').count()),
    };
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    if !bytes.is_empty() {
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            match std::str::from_utf8(raw) {
                Ok(line) => {
                    let t = line.trim_start();
                    if !t.is_empty() && !t.starts_with('#') {
                        lines.push((i + 1, line));
                    }
                }
                Err(_) => errors.push(LineError::new(i + 1, "not UTF-8")),
            }
        }
    }
    match T::parse(lines.into_iter(), cx) {
        Ok(v) if errors.is_empty() => Ok(v),
        Ok(_) => Err(ParseFailure::Lines(errors)),
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|e| e.line);
            Err(ParseFailure::Lines(errors))
        }
    }
}
