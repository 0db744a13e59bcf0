//! Partition files still being written, so that a reader can follow one as it grows:
//! the final stage's output streams to the client while its tasks still run.
//!
//! ```text
//!   writer:   LiveWrite::start ──▶ committed(bytes) … ──▶ finished()  (or dropped: failed)
//!   follower: subscribe(path) ──▶ reads [offset, committed) as each batch lands ──▶ read(offset)
//! ```
//!
//! The query's result is paced by its reader: its writer waits while it is more than
//! [`MAX_UNREAD_RESULT_BYTES`] ahead of the furthest any follower has read, so a result
//! nobody reads (or a reader that stalls) holds a bounded amount of disk.
//!
//! The registry is process-wide and keyed by the file's path: a path names one attempt of
//! one task, so two writers never share an entry, and executors of one process (standalone)
//! never see each other's files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use tokio::sync::watch;

/// Bytes a result partition's writer may have on disk beyond what its reader has read
/// before it waits for the reader: enough to keep a reader that keeps up from ever
/// waiting on the writer's pauses, small enough that an unread result costs each running
/// final task at most this much disk.
pub const MAX_UNREAD_RESULT_BYTES: u64 = 64 << 20;

/// How far the writer of a partition file has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteProgress {
    /// A reader asked before the writer started.
    NotStarted,
    /// The first `committed` bytes of the file are whole IPC messages, flushed to the file.
    Writing { committed: u64 },
    /// The file is complete, end-of-stream marker included.
    Finished,
    /// The writer stopped before the end: its task failed or was cancelled.
    Failed,
}

/// One file being written (or waited for): the writer's progress, and the furthest any
/// follower has read, in bytes.
#[derive(Debug)]
struct LiveFile {
    progress: watch::Sender<WriteProgress>,
    read: watch::Sender<u64>,
}

impl LiveFile {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            progress: watch::Sender::new(WriteProgress::NotStarted),
            read: watch::Sender::new(0),
        })
    }
}

type Registry = HashMap<PathBuf, Arc<LiveFile>>;

fn registry() -> MutexGuard<'static, Registry> {
    static LIVE: LazyLock<Mutex<Registry>> = LazyLock::new(Default::default);
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The writer's side: publishes progress until the file is finished. Dropping it before
/// [`LiveWrite::finished`] tells followers the write failed.
#[derive(Debug)]
pub(crate) struct LiveWrite {
    path: PathBuf,
    file: Arc<LiveFile>,
    /// Bytes committed so far.
    committed: u64,
    finished: bool,
}

impl LiveWrite {
    /// Announces that the file at `path` is being written; followers waiting for it wake.
    pub(crate) fn start(path: &Path) -> Self {
        let mut live = registry();
        let file = Arc::clone(live.entry(path.to_path_buf()).or_insert_with(LiveFile::new));
        // Under the registry's lock: a follower that gives up drops an entry nobody has
        // started (`LiveProgress::drop`), and must not drop this one between our taking it
        // and marking it started, or the next follower would wait on a fresh entry no
        // writer ever updates.
        file.progress
            .send_replace(WriteProgress::Writing { committed: 0 });
        drop(live);
        Self {
            path: path.to_path_buf(),
            file,
            committed: 0,
            finished: false,
        }
    }

    /// The first `bytes` of the file are flushed and hold whole messages.
    pub(crate) fn committed(&mut self, bytes: u64) {
        self.committed = bytes;
        self.file
            .progress
            .send_replace(WriteProgress::Writing { committed: bytes });
    }

    /// Waits, holding no thread, until some follower has read to within
    /// [`MAX_UNREAD_RESULT_BYTES`] of what is committed.
    pub(crate) async fn wait_for_readers(&self) {
        let behind = |read: &u64| self.committed.saturating_sub(*read) <= MAX_UNREAD_RESULT_BYTES;
        let mut read = self.file.read.subscribe();
        // Never closed: `self.file` holds the sender.
        let _ = read.wait_for(behind).await;
    }

    /// The file is complete. Later readers find it on disk, without the registry.
    pub(crate) fn finished(mut self) {
        self.finished = true;
        self.end(WriteProgress::Finished);
    }

    fn end(&self, progress: WriteProgress) {
        // Removed before the last update, under the lock: a reader that finds no entry
        // then finds the whole file (or, after a failure, no usable one). Only our own
        // entry: one a follower created since is left for its writer.
        let mut live = registry();
        if live
            .get(&self.path)
            .is_some_and(|file| Arc::ptr_eq(file, &self.file))
        {
            live.remove(&self.path);
        }
        drop(live);
        self.file.progress.send_replace(progress);
    }
}

impl Drop for LiveWrite {
    fn drop(&mut self) {
        if !self.finished {
            self.end(WriteProgress::Failed);
        }
    }
}

/// A follower's view of one file's progress.
#[derive(Debug)]
pub(crate) enum Subscription {
    /// The file is being written (or not yet started): progress arrives on the receiver.
    Live(LiveProgress),
    /// Nobody writes the file: it is complete if it exists.
    Settled,
}

/// Subscribes to the file at `path`. A file that neither exists nor is being written is
/// waited for: the reader may ask before the writer's task has started.
pub(crate) fn subscribe(path: &Path) -> Subscription {
    let mut live = registry();
    if let Some(file) = live.get(path) {
        return Subscription::Live(LiveProgress::new(path, Arc::clone(file)));
    }
    if path.exists() {
        return Subscription::Settled;
    }
    let file = LiveFile::new();
    live.insert(path.to_path_buf(), Arc::clone(&file));
    Subscription::Live(LiveProgress::new(path, file))
}

/// Whether the file at `path` is being written or complete, rather than only waited for.
pub(crate) fn is_started(path: &Path) -> bool {
    let live = registry();
    match live.get(path) {
        Some(file) => *file.progress.borrow() != WriteProgress::NotStarted,
        None => path.exists(),
    }
}

/// Progress updates of one file; a writer that never came leaves no entry behind once its
/// last follower goes.
#[derive(Debug)]
pub(crate) struct LiveProgress {
    path: PathBuf,
    file: Arc<LiveFile>,
    receiver: watch::Receiver<WriteProgress>,
}

impl LiveProgress {
    fn new(path: &Path, file: Arc<LiveFile>) -> Self {
        Self {
            path: path.to_path_buf(),
            receiver: file.progress.subscribe(),
            file,
        }
    }

    /// This follower has read the first `bytes` of the file: a writer waiting for its
    /// readers may go on.
    pub(crate) fn read(&self, bytes: u64) {
        self.file.read.send_if_modified(|read| {
            let further = bytes > *read;
            *read = (*read).max(bytes);
            further
        });
    }

    /// The latest progress, marking it seen.
    pub(crate) fn current(&mut self) -> WriteProgress {
        self.receiver.borrow_and_update().clone()
    }

    /// Waits for the next update; `false` when none can come any more.
    pub(crate) async fn changed(&mut self) -> bool {
        self.receiver.changed().await.is_ok()
    }
}

impl Drop for LiveProgress {
    fn drop(&mut self) {
        let mut live = registry();
        let abandoned = live.get(&self.path).is_some_and(|file| {
            *file.progress.borrow() == WriteProgress::NotStarted
                && file.progress.receiver_count() <= 1
        });
        if abandoned {
            live.remove(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_follower_sees_progress_and_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0.arrow");
        let Subscription::Live(mut progress) = subscribe(&path) else {
            panic!("a missing file is waited for");
        };
        assert_eq!(progress.current(), WriteProgress::NotStarted);
        let mut writer = LiveWrite::start(&path);
        assert!(progress.changed().await);
        assert_eq!(progress.current(), WriteProgress::Writing { committed: 0 });
        writer.committed(10);
        assert!(progress.changed().await);
        assert_eq!(progress.current(), WriteProgress::Writing { committed: 10 });
        std::fs::write(&path, b"done").unwrap();
        writer.finished();
        assert_eq!(progress.current(), WriteProgress::Finished);
        assert!(matches!(subscribe(&path), Subscription::Settled));
    }

    #[tokio::test]
    async fn a_writer_dropped_midway_fails_its_followers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.arrow");
        let writer = LiveWrite::start(&path);
        let Subscription::Live(mut progress) = subscribe(&path) else {
            panic!("a file being written is live");
        };
        drop(writer);
        assert_eq!(progress.current(), WriteProgress::Failed);
        assert!(registry().get(&path).is_none());
    }

    #[test]
    fn a_file_only_waited_for_is_not_started() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("3.arrow");
        let waiting = subscribe(&path);
        assert!(!is_started(&path));
        let writer = LiveWrite::start(&path);
        assert!(is_started(&path));
        drop((writer, waiting));
        assert!(!is_started(&path), "a failed write left no file");
        std::fs::write(&path, b"whole").unwrap();
        assert!(is_started(&path));
    }

    #[tokio::test]
    async fn a_writer_too_far_ahead_of_its_readers_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("4.arrow");
        let mut writer = LiveWrite::start(&path);
        writer.committed(MAX_UNREAD_RESULT_BYTES);
        writer.wait_for_readers().await;
        writer.committed(MAX_UNREAD_RESULT_BYTES + 10);
        let Subscription::Live(follower) = subscribe(&path) else {
            panic!("a file being written is live");
        };
        let mut waiting = std::pin::pin!(writer.wait_for_readers());
        assert!(futures::poll!(waiting.as_mut()).is_pending(), "nobody read");
        follower.read(5);
        assert!(
            futures::poll!(waiting.as_mut()).is_pending(),
            "still too far"
        );
        follower.read(10);
        assert!(futures::poll!(waiting.as_mut()).is_ready());
    }

    #[tokio::test]
    async fn the_furthest_follower_sets_the_writers_pace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("5.arrow");
        // Followers asking before the writer starts count as well.
        let Subscription::Live(ahead) = subscribe(&path) else {
            panic!("a missing file is waited for");
        };
        let mut writer = LiveWrite::start(&path);
        let Subscription::Live(behind) = subscribe(&path) else {
            panic!("a file being written is live");
        };
        writer.committed(MAX_UNREAD_RESULT_BYTES + 100);
        ahead.read(100);
        behind.read(1);
        writer.wait_for_readers().await;
    }

    #[test]
    fn a_follower_giving_up_on_a_writer_that_never_came_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2.arrow");
        drop(subscribe(&path));
        assert!(registry().get(&path).is_none());
    }
}
