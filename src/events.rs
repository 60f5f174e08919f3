//! The library never prints. What a person should hear about while work goes
//! on (progress, warnings, what a build is doing) goes through one channel:
//! an [`Events`] sink given by the caller. The CLI prints the events and draws
//! bars; a server or a test may log, collect or drop them.

use std::path::PathBuf;
use std::sync::Arc;

/// Long-running work that reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Papers through the embedding model during a build.
    Embedding,
    /// Papers looked up on arXiv by `enrich`.
    Enriching,
    /// Judged queries run by `eval`.
    Evaluating,
    /// Papers sent to a search server (Milvus) during a build.
    Uploading,
}

/// One thing worth telling the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Work on `task` starts: `total` items.
    Started {
        /// Which work.
        task: Task,
        /// How many items it will go through.
        total: usize,
    },
    /// `done` of the task's items are finished; `detail` says what is being done now.
    Progress {
        /// Which work.
        task: Task,
        /// Items finished so far.
        done: usize,
        /// What is being worked on, when worth showing.
        detail: Option<String>,
    },
    /// The task is over (finished or stopped).
    Finished {
        /// Which work.
        task: Task,
    },
    /// Something was skipped or repaired; the work went on.
    Warning(String),
    /// The index is being (re)built, and why.
    Building {
        /// The index directory.
        index_dir: PathBuf,
        /// Why a build is needed ("no index yet", "the paper list changed"...).
        reason: String,
    },
    /// A directory that held no index was given the shipped list (the
    /// default collection), worth telling a script that expected its own.
    ShippedListIndexed {
        /// The index directory.
        index_dir: PathBuf,
    },
    /// Another process holds the index's write lock; this one waits.
    WaitingForLock {
        /// The index directory.
        index_dir: PathBuf,
    },
}

/// A function that receives events, from any thread.
pub(crate) type Sink = dyn Fn(&Event) + Send + Sync;

/// Where events go. Cheap to clone and shareable between threads.
#[derive(Clone)]
pub struct Events(Option<Arc<Sink>>);

impl Events {
    /// A sink that drops everything.
    pub fn none() -> Self {
        Events(None)
    }

    /// A sink that hands every event to `f`.
    pub fn new(f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        Events(Some(Arc::new(f)))
    }

    /// Sends one event.
    pub(crate) fn emit(&self, event: Event) {
        if let Some(f) = &self.0 {
            f(&event);
        }
    }

    /// Sends a warning.
    pub(crate) fn warn(&self, message: impl Into<String>) {
        self.emit(Event::Warning(message.into()));
    }
}

impl Default for Events {
    fn default() -> Self {
        Events::none()
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Events(sink)"
        } else {
            "Events(none)"
        })
    }
}
