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

/// One loaded version of a file. (The id is read by `Htpasswd`'s credential cache only: a
/// build without the `htpasswd` feature never reads it.)
#[cfg_attr(not(feature = "htpasswd"), allow(dead_code))]
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
    #[cfg_attr(not(feature = "htpasswd"), allow(dead_code))]
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
        let watcher = Watcher(Arc::downgrade(shared));
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(shared) = watcher.0.upgrade() else {
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

/// The background task's hold on the table. When the task is dropped (its runtime shut
/// down) while the store lives on, the next verification inside a runtime starts a new one.
/// A task that panicked (a runtime without its timer) is not started again.
#[cfg(feature = "tokio")]
struct Watcher<T>(std::sync::Weak<Shared<T>>);

#[cfg(feature = "tokio")]
impl<T> Drop for Watcher<T> {
    fn drop(&mut self) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        if std::thread::panicking() {
            tracing::error!(
                path = %shared.path.display(),
                "the credentials file's reload task stopped (a tokio runtime without its timer?); \
                 the file is no longer reloaded on its own"
            );
        } else {
            shared.watching.store(false, std::sync::atomic::Ordering::Release);
        }
    }
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

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::file::{LineError, ParseContext};

    /// A file format that keeps its lines.
    struct Lines(Vec<String>);

    impl Parse for Lines {
        fn parse<'a>(lines: impl Iterator<Item = (usize, &'a str)>, _: ParseContext) -> Result<Self, Vec<LineError>> {
            Ok(Lines(lines.map(|(_, l)| l.to_owned()).collect()))
        }
    }

    fn file(contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tower-httpauth-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.txt", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn paused_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    const INTERVAL: Duration = Duration::from_secs(1);

    #[test]
    fn a_store_outliving_its_runtime_is_watched_again_from_the_next_one() {
        let path = file("a\n");
        let opts = FileOptions::default().reload_interval(Some(INTERVAL));
        let loaded = paused_runtime().block_on(async { Reloading::<Lines>::open(&path, opts).unwrap() });
        // That runtime is gone, and its task with it.
        assert!(!loaded.shared.watching.load(Ordering::Acquire));
        paused_runtime().block_on(async {
            loaded.watch(); // what a verification does
            std::fs::write(&path, "a\nb\n").unwrap();
            // The clock is paused: the task's check (due at INTERVAL) runs first.
            tokio::time::sleep(INTERVAL + Duration::from_millis(1)).await;
            assert_eq!(loaded.current().0, ["a", "b"]);
        });
    }

    #[test]
    fn a_runtime_without_a_timer_does_not_respawn_the_task_at_every_request() {
        let path = file("a\n");
        let opts = FileOptions::default().reload_interval(Some(INTERVAL));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let loaded = Reloading::<Lines>::open(&path, opts).unwrap();
            // Let the task run: its first sleep panics without a timer.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            assert!(loaded.shared.watching.load(Ordering::Acquire), "not started again");
            loaded.watch();
            assert!(loaded.shared.watching.load(Ordering::Acquire));
            // The explicit reload still works.
            std::fs::write(&path, "a\nb\n").unwrap();
            assert_eq!(loaded.reload().ok(), Some(true));
            assert_eq!(loaded.current().0, ["a", "b"]);
        });
    }
}
