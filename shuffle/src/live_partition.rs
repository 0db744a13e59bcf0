//! Partition files still being written, so that a reader can follow one as it grows:
//! the final stage's output streams to the client while its tasks still run.
//!
//! ```text
//!   writer:   LiveWrite::start ──▶ committed(bytes) … ──▶ finished()  (or dropped: failed)
//!   follower: subscribe(path) ──▶ reads [offset, committed) as each batch lands
//! ```
//!
//! The registry is process-wide and keyed by the file's path: a path names one attempt of
//! one task, so two writers never share an entry, and executors of one process (standalone)
//! never see each other's files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard};

use tokio::sync::watch;

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

type Registry = HashMap<PathBuf, watch::Sender<WriteProgress>>;

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
    progress: watch::Sender<WriteProgress>,
    finished: bool,
}

impl LiveWrite {
    /// Announces that the file at `path` is being written; followers waiting for it wake.
    pub(crate) fn start(path: &Path) -> Self {
        let progress = registry()
            .entry(path.to_path_buf())
            .or_insert_with(|| watch::Sender::new(WriteProgress::NotStarted))
            .clone();
        progress.send_replace(WriteProgress::Writing { committed: 0 });
        Self {
            path: path.to_path_buf(),
            progress,
            finished: false,
        }
    }

    /// The first `bytes` of the file are flushed and hold whole messages.
    pub(crate) fn committed(&self, bytes: u64) {
        self.progress
            .send_replace(WriteProgress::Writing { committed: bytes });
    }

    /// The file is complete. Later readers find it on disk, without the registry.
    pub(crate) fn finished(mut self) {
        self.finished = true;
        self.end(WriteProgress::Finished);
    }

    fn end(&self, progress: WriteProgress) {
        // Removed before the last update, under the lock: a reader that finds no entry
        // then finds the whole file (or, after a failure, no usable one).
        registry().remove(&self.path);
        self.progress.send_replace(progress);
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
    if let Some(progress) = live.get(path) {
        return Subscription::Live(LiveProgress::new(path, progress.subscribe()));
    }
    if path.exists() {
        return Subscription::Settled;
    }
    let progress = watch::Sender::new(WriteProgress::NotStarted);
    let receiver = progress.subscribe();
    live.insert(path.to_path_buf(), progress);
    Subscription::Live(LiveProgress::new(path, receiver))
}

/// Progress updates of one file; a writer that never came leaves no entry behind once its
/// last follower goes.
#[derive(Debug)]
pub(crate) struct LiveProgress {
    path: PathBuf,
    receiver: watch::Receiver<WriteProgress>,
}

impl LiveProgress {
    fn new(path: &Path, receiver: watch::Receiver<WriteProgress>) -> Self {
        Self {
            path: path.to_path_buf(),
            receiver,
        }
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
        let abandoned = live.get(&self.path).is_some_and(|progress| {
            *progress.borrow() == WriteProgress::NotStarted && progress.receiver_count() <= 1
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
        let writer = LiveWrite::start(&path);
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
    fn a_follower_giving_up_on_a_writer_that_never_came_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2.arrow");
        drop(subscribe(&path));
        assert!(registry().get(&path).is_none());
    }
}
