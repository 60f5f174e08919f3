//! `mmsearch serve`: one engine, model loaded once, shared by every request,
//! behind an HTTP API and a web page (axum on tokio). It exists because a
//! one-shot command pays ~200 ms to start the model while a query costs a
//! few: a resident server answers the CLI, scripts and people in
//! milliseconds. It follows the index directory, or the Milvus collection
//! it serves (a new generation goes live without a restart), and announces
//! itself in the index directory's discovery file.

mod api;
mod assets;
pub mod client;
pub mod map;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;

use crate::collection::Sources;
use crate::embed::{self, Embedder, Role};
use crate::error::{Error, Result};
use crate::search::engine::{Engine, EngineConfig, Mode};

pub(crate) use state::SourcesNow;

/// The default address: loopback only.
pub(crate) const DEFAULT_ADDR: &str = "127.0.0.1:7700";
/// How often the server looks for a new index generation.
const WATCH_INTERVAL: Duration = Duration::from_millis(500);
/// Every this many looks it also checks whether the sources changed.
const SOURCE_CHECK_EVERY: u32 = 6;
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What happens while serving, for the CLI to show (the library never prints).
#[derive(Debug, Clone)]
pub enum ServeEvent {
    /// Accepting connections at this address.
    Listening {
        /// The bound address (the port, when 0 was asked for).
        addr: SocketAddr,
    },
    /// A new index generation went live.
    NewGeneration {
        /// Its directory name.
        generation: String,
    },
    /// A new generation could not be loaded; the current one keeps answering.
    RefreshFailed {
        /// Why.
        message: String,
    },
    /// SIGTERM or Ctrl-C: finishing requests in flight, then exiting.
    ShuttingDown,
}

/// What `serve` needs.
pub struct ServeConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The index directory, models and the event sink.
    pub engine: EngineConfig,
    /// The collection to open (and build if needed) at the start.
    pub sources: Sources,
    /// The collection's sources as they are now, to notice changes.
    pub sources_now: SourcesNow,
}

/// The router, for `serve` and for tests.
pub(crate) fn router(app: Arc<state::App>) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/search", get(api::search))
        .route("/api/similar", get(api::similar))
        .route("/api/papers/{id}", get(api::paper))
        .route("/api/health", get(api::health))
        .route("/api/map", get(api::map))
        .fallback(api::not_found)
        // The API takes no bodies; a client sending one is cut off early.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .layer(axum::middleware::map_response_with_state(
            app.clone(),
            add_index_header,
        ))
        .with_state(app)
}

/// Every answer names the index directory it comes from (and the Milvus
/// collection, when it serves one), so the CLI never takes a foreign
/// server's answer for this index's.
async fn add_index_header(
    axum::extract::State(app): axum::extract::State<Arc<state::App>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    app.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let value = client::encode(&app.index_dir.to_string_lossy());
    if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
        response.headers_mut().insert(client::INDEX_HEADER, value);
    }
    if let Some(backend) = &app.backend
        && let Ok(value) = axum::http::HeaderValue::from_str(&client::encode(backend))
    {
        response.headers_mut().insert(client::BACKEND_HEADER, value);
    }
    response
}

/// Loads the engine and the model, listens on `config.addr` and serves until
/// SIGTERM or Ctrl-C; then removes the discovery file and returns.
pub fn run(config: ServeConfig, events: impl Fn(ServeEvent) + Send + Sync + 'static) -> Result<()> {
    let engine = Engine::open(&config.engine, &config.sources, Mode::Hybrid)?;
    let generations = match &config.engine.backend {
        Some(address) => {
            state::Generations::Milvus(Box::new(crate::milvus::Watch::connect(address)?))
        }
        None => {
            state::Generations::Dir(crate::index::store::IndexDir::new(&config.engine.index_dir))
        }
    };
    let models_dir = embed::locate_models_dir(config.engine.models_dir.as_deref())?;
    let embedder = Embedder::load(&models_dir, Role::Query)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the server runtime: {e}")))?;
    let app = Arc::new(state::App::new(
        engine,
        embedder,
        config.engine.clone(),
        config.sources_now,
        generations,
    ));
    let events = Arc::new(events);
    runtime.block_on(serve(app, config.addr, events))
}

async fn serve(
    app: Arc<state::App>,
    addr: SocketAddr,
    events: Arc<impl Fn(ServeEvent) + Send + Sync + 'static>,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
    app.write_discovery(local.to_string())?;
    events(ServeEvent::Listening { addr: local });

    let watcher = {
        let app = app.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let mut tick = 0u32;
            let mut last_failure = String::new();
            loop {
                tokio::time::sleep(WATCH_INTERVAL).await;
                tick = tick.wrapping_add(1);
                let check_sources = tick.is_multiple_of(SOURCE_CHECK_EVERY);
                let app = app.clone();
                let result = tokio::task::spawn_blocking(move || {
                    app.refresh(check_sources)
                        .map(|swapped| swapped.then(|| app.live().generation.clone()))
                })
                .await;
                match result {
                    Ok(Ok(Some(generation))) => {
                        last_failure.clear();
                        events(ServeEvent::NewGeneration { generation })
                    }
                    Ok(Ok(None)) => {}
                    // Told once, not every half second.
                    Ok(Err(e)) if e.to_string() != last_failure => {
                        last_failure = e.to_string();
                        events(ServeEvent::RefreshFailed {
                            message: last_failure.clone(),
                        })
                    }
                    Ok(Err(_)) | Err(_) => {}
                }
            }
        })
    };

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = {
        let events = events.clone();
        async move {
            wait_for_signal().await;
            events(ServeEvent::ShuttingDown);
            let _ = stop_tx.send(true);
        }
    };
    let server = axum::serve(listener, router(app.clone()))
        .with_graceful_shutdown(shutdown)
        .into_future();
    let mut stop = stop_rx.clone();
    let result = tokio::select! {
        r = server => r,
        // Requests still running SHUTDOWN_GRACE after the signal are dropped.
        _ = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    };
    watcher.abort();
    app.remove_discovery();
    result.map_err(|e| Error::Usage(format!("the server stopped: {e}")))
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
