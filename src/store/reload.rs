//! Publishing a parsed credentials file to the requests, and reloading it off their path.
//!
//! Requests only ever load the current table from an [`ArcSwap`]: no lock, no `stat`, no
//! read. A reload (the explicit `reload()` of a store, or the background task with the
//! `tokio` feature) checks the file, parses it on the thread it runs on and swaps the new
//! table in; a file that does not load leaves the last good table in place.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::{ArcSwap, Guard};

use super::file::{FileOptions, LoadError, Parse, Stamp, load, parse_checked};

/// Tells every table ever loaded apart, so that a credential cache can notice that the
/// table it was filled from has been replaced (see `CredentialCache::follow`).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One loaded version of a file.
pub(crate) struct Table<T> {
    id: u64,
    value: T,
}

impl<T> Table<T> {
    fn new(value: T) -> Self {
        Table {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            value,
        }
    }

    /// Unique to this load.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Deref for Table<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A parsed file and what reloads it. Clones share the table.
pub(crate) struct Reloading<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Reloading<T> {
    fn clone(&self) -> Self {
        Reloading {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<T> {
    /// Empty for contents parsed from memory, which never reload.
    path: PathBuf,
    opts: FileOptions,
    current: ArcSwap<Table<T>>,
    /// Held for the whole of a reload, so that two never overlap.
    check: Mutex<Check>,
    /// Whether the background task was started.
    #[cfg(feature = "tokio")]
    watching: std::sync::atomic::AtomicBool,
}

struct Check {
    /// The file the current table was read from (or the broken one last seen).
    stamp: Option<Stamp>,
    last_error: Option<Arc<LoadError>>,
}

impl<T: Parse> Reloading<T> {
    /// Loads `path`; with the `tokio` feature inside a runtime, starts the background task.
    pub(crate) fn open(path: &Path, opts: FileOptions) -> Result<Self, LoadError> {
        let (value, stamp) = load::<T>(path, &opts)?;
        value.loaded(path);
        let file = Self::new(path.to_owned(), opts, value, Some(stamp));
        file.watch();
        Ok(file)
    }

    /// Parses `bytes` as if they were the file's contents (same bounds and errors); the
    /// result has no file: its path is empty and it never reloads.
    pub(crate) fn from_bytes(bytes: &[u8], opts: FileOptions) -> Result<Self, LoadError> {
        let path = PathBuf::new();
        let value = parse_checked::<T>(&path, bytes, &opts)?;
        value.loaded(&path);
        Ok(Self::new(path, opts.reload_interval(None), value, None))
    }

    fn new(path: PathBuf, opts: FileOptions, value: T, stamp: Option<Stamp>) -> Self {
        Reloading {
            shared: Arc::new(Shared {
                path,
                opts,
                current: ArcSwap::from_pointee(Table::new(value)),
                check: Mutex::new(Check {
                    stamp,
                    last_error: None,
                }),
                #[cfg(feature = "tokio")]
                watching: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// The table in use: what a request reads. Never touches the file system.
    pub(crate) fn current(&self) -> Guard<Arc<Table<T>>> {
        self.shared.current.load()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Reloads now if the file changed: `Ok(true)` if a new table is in use. Reads the file
    /// on the calling thread.
    pub(crate) fn reload(&self) -> Result<bool, Arc<LoadError>> {
        self.shared.reload()
    }

    pub(crate) fn last_error(&self) -> Option<Arc<LoadError>> {
        self.shared.lock().last_error.clone()
    }

    /// Starts the background task if it is due: with the `tokio` feature, a reload
    /// interval, a file, inside a tokio runtime, once. Cheap once started (one atomic load):
    /// the stores call it on every verification, so that a store opened before the runtime
    /// existed starts reloading at its first request.
    #[cfg(feature = "tokio")]
    pub(crate) fn watch(&self) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let shared = &self.shared;
        if shared.watching.load(Acquire) {
            return;
        }
        let Some(interval) = shared.opts.reload_interval else {
            return;
        };
        if shared.path.as_os_str().is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if shared.watching.swap(true, AcqRel) {
            return;
        }
        let interval = interval.max(MIN_INTERVAL);
        // The task holds the table weakly: it ends once every clone of the store is gone.
        let weak = Arc::downgrade(shared);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(shared) = weak.upgrade() else {
                    return;
                };
                // `stat`, read and parse block: on the blocking pool, never on a worker
                // thread. The result is logged and kept in `last_error` by `reload`.
                let checked = tokio::task::spawn_blocking(move || {
                    let _ = shared.reload();
                });
                if checked.await.is_err() {
                    return; // the runtime is shutting down
                }
            }
        });
    }

    /// Without the `tokio` feature nothing reloads on its own: see
    /// `FileOptions::reload_interval`.
    #[cfg(not(feature = "tokio"))]
    pub(crate) fn watch(&self) {}
}

/// The shortest interval the background task waits between two looks at the file.
#[cfg(feature = "tokio")]
const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

impl<T: Parse> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Check> {
        // A panic during a reload leaves at worst an old stamp: the next check reloads.
        self.check.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reload(&self) -> Result<bool, Arc<LoadError>> {
        if self.path.as_os_str().is_empty() {
            return Ok(false); // parsed from memory: nothing to reload
        }
        let mut check = self.lock();
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => Some(Stamp::of(&m)),
            Err(_) => None, // reported by `load` below
        };
        if stamp.is_some() && stamp == check.stamp {
            return Ok(false);
        }
        match load::<T>(&self.path, &self.opts) {
            Ok((value, stamp)) => {
                value.loaded(&self.path);
                self.current.store(Arc::new(Table::new(value)));
                check.stamp = Some(stamp);
                check.last_error = None;
                tracing::info!(path = %self.path.display(), "credentials file reloaded");
                Ok(true)
            }
            Err(e) => {
                // Remember the stamp so that a broken (or vanished) file is logged once, not
                // at every check of the background task.
                let first = check.stamp != stamp || check.last_error.is_none();
                check.stamp = stamp;
                if first {
                    tracing::error!(error = %e, "credentials file not reloaded; keeping the last good version");
                }
                let e = Arc::new(e);
                check.last_error = Some(e.clone());
                Err(e)
            }
        }
    }
}
