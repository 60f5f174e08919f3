//! What every request shares: the live generation (an `Arc` swapped when a
//! new index generation appears, so requests in flight finish on the one
//! they started with), the one loaded embedding model behind a bound on
//! concurrent embeddings, and the discovery file that tells the CLI where
//! this server listens.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::collection::Sources;
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::index::store::IndexDir;
use crate::search::engine::{Engine, EngineConfig, Mode};

/// The collection's sources as they are now (the CLI's choice: the
/// remembered ones, else the shipped list), read again to notice changes.
pub(crate) type SourcesNow = Box<dyn Fn() -> Result<Sources> + Send + Sync>;

/// Name of the discovery file in the index directory.
pub(crate) const DISCOVERY_FILE: &str = "server.json";

/// One loaded generation of the index.
pub(crate) struct Live {
    /// The engine over it (its own model is never loaded: the server's is shared).
    pub engine: Engine,
    /// Directory name of the generation (what `current` points to).
    pub generation: String,
    /// The map document, computed on first request.
    pub map: OnceLock<Vec<u8>>,
}

impl Live {
    fn new(engine: Engine) -> Live {
        Live {
            generation: engine.generation().to_string(),
            engine,
            map: OnceLock::new(),
        }
    }
}

/// Where new generations appear: the index directory's `current` link, or
/// the Milvus collection's pointer (written by `mmsearch index` on any
/// machine).
pub enum Generations {
    /// The embedded engine's index directory.
    Dir(IndexDir),
    /// A Milvus collection, through a connection kept open for the watch.
    Milvus(Box<crate::milvus::Watch>),
}

impl Generations {
    /// The generation that is live now, if one was built.
    fn current(&self) -> Result<Option<String>> {
        match self {
            Generations::Dir(dir) => Ok(dir
                .current()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))),
            Generations::Milvus(watch) => watch.generation(),
        }
    }
}

/// What `serve` leaves in the index directory while it runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Discovery {
    /// `host:port` to connect to.
    pub addr: String,
    /// The server's process id (a dead one means a stale file).
    pub pid: u32,
    /// The generation it serves.
    pub generation: String,
    /// The index directory, canonical, so a server of another directory is
    /// never mistaken for this one's.
    pub index_dir: PathBuf,
    /// The Milvus collection it serves (`None`: the index directory's own
    /// index), so a command asks only a server of the same collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// The state every request shares.
pub(crate) struct App {
    live: RwLock<Arc<Live>>,
    embedder: Mutex<Embedder>,
    /// Bounds how many requests embed at once (one model, one at a time).
    embed_slots: Semaphore,
    /// Requests waiting for an embedding slot; past `MAX_WAITING` the
    /// server answers 503 at once instead of queueing without end.
    waiting: AtomicUsize,
    sources: SourcesNow,
    /// Where the index is and where events go.
    pub config: EngineConfig,
    /// The index directory, canonical.
    pub index_dir: PathBuf,
    /// The Milvus collection served (`milvus://HOST:PORT/NAME`), if any.
    pub backend: Option<String>,
    generations: Generations,
    /// The model's id and variant, for /api/health.
    pub model: String,
    discovery: Mutex<Option<(PathBuf, Discovery)>>,
    /// Requests answered so far (shown by /api/health).
    pub requests: std::sync::atomic::AtomicU64,
}

/// Requests that may wait for the model before new ones are turned away.
pub(crate) const MAX_WAITING: usize = 64;
/// How long a request may wait for the model.
pub(crate) const EMBED_WAIT: Duration = Duration::from_secs(10);

impl App {
    /// Shares `engine` (the live generation) and `embedder` (the model).
    pub fn new(
        engine: Engine,
        embedder: Embedder,
        config: EngineConfig,
        sources: SourcesNow,
        generations: Generations,
    ) -> App {
        let model = format!("{} ({})", embedder.card.id, embedder.card.variant);
        App {
            live: RwLock::new(Arc::new(Live::new(engine))),
            backend: config.backend.as_ref().map(ToString::to_string),
            generations,
            embedder: Mutex::new(embedder),
            embed_slots: Semaphore::new(1),
            waiting: AtomicUsize::new(0),
            sources,
            index_dir: config
                .index_dir
                .canonicalize()
                .unwrap_or_else(|_| config.index_dir.clone()),
            config,
            model,
            discovery: Mutex::new(None),
            requests: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The generation to answer this request from.
    pub fn live(&self) -> Arc<Live> {
        match self.live.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, live: Live) {
        let live = Arc::new(live);
        match self.live.write() {
            Ok(mut guard) => *guard = live,
            Err(poisoned) => *poisoned.into_inner() = live,
        }
    }

    /// Embeds a query text, waiting for the model at most `EMBED_WAIT`.
    pub async fn embed(self: &Arc<Self>, text: String) -> Result<Vec<f32>, Busy> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Busy::Overloaded);
        }
        let permit = tokio::time::timeout(EMBED_WAIT, self.embed_slots.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return Err(Busy::Timeout),
        };
        let app = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut embedder = app.embedder.lock().map_err(|_| {
                Error::Internal("the embedding model failed in another request".into())
            })?;
            embedder.embed_one(&text)
        })
        .await;
        drop(permit);
        match result {
            Ok(r) => r.map_err(Busy::Failed),
            Err(_) => Err(Busy::Failed(Error::Model(
                "embedding was interrupted".into(),
            ))),
        }
    }

    /// Loads a new generation when `current` (or the Milvus pointer) moved
    /// (after `mmsearch index` or `enrich`), or rebuilds when the
    /// collection's sources changed. Returns whether a new generation went
    /// live. Runs on a blocking thread.
    pub(crate) fn refresh(&self, check_sources: bool) -> Result<bool> {
        let live = self.live();
        let moved = self
            .generations
            .current()?
            .is_some_and(|g| g != live.generation);
        let sources = if check_sources || moved {
            (self.sources)().ok()
        } else {
            None
        };
        let stale = sources
            .as_ref()
            .is_some_and(|s| s.hash() != live.engine.manifest().sources_hash);
        if !moved && !stale {
            return Ok(false);
        }
        let engine = match &sources {
            Some(sources) => Engine::open(&self.config, sources, Mode::Hybrid)?,
            None => Engine::open_built(&self.config, Mode::Hybrid)?,
        };
        let next = Live::new(engine);
        if next.generation == live.generation && !stale {
            return Ok(false);
        }
        let generation = next.generation.clone();
        self.swap(next);
        self.update_discovery(&generation);
        Ok(true)
    }

    /// Writes the discovery file (atomically) for `addr`.
    pub(crate) fn write_discovery(&self, addr: String) -> Result<()> {
        let info = Discovery {
            addr,
            pid: std::process::id(),
            generation: self.live().generation.clone(),
            index_dir: self.index_dir.clone(),
            backend: self.backend.clone(),
        };
        let path = self.config.index_dir.join(DISCOVERY_FILE);
        write_json(&path, &info)?;
        if let Ok(mut slot) = self.discovery.lock() {
            *slot = Some((path, info));
        }
        Ok(())
    }

    fn update_discovery(&self, generation: &str) {
        if let Ok(mut slot) = self.discovery.lock()
            && let Some((path, info)) = slot.as_mut()
        {
            info.generation = generation.to_string();
            let _ = write_json(path, info);
        }
    }

    /// Removes the discovery file if it is still ours.
    pub(crate) fn remove_discovery(&self) {
        if let Ok(mut slot) = self.discovery.lock()
            && let Some((path, info)) = slot.take()
            && read_discovery(&path).is_some_and(|d| d.pid == info.pid)
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    crate::index::store::write_atomically(path, &bytes)
}

/// Reads a discovery file, if there is a readable one.
pub(crate) fn read_discovery(path: &Path) -> Option<Discovery> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Why a request could not get the model.
#[derive(Debug)]
pub(crate) enum Busy {
    /// Too many requests wait already.
    Overloaded,
    /// Waited `EMBED_WAIT` in vain.
    Timeout,
    /// The model failed.
    Failed(Error),
}
