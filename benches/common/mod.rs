//! Shared set-up for the benches: which collection to use (SciFact when the
//! BEIR data is beside the repo, else the shipped list), its queries and
//! where its index is cached between runs.

#![allow(dead_code)] // each bench uses a different part of this module

use std::path::{Path, PathBuf};

use mmsearch::collection::Sources;
use mmsearch::eval::Judgments;
use mmsearch::search::engine::{Engine, EngineConfig, Mode};

/// Where the SciFact BEIR directory is looked for unless
/// `MMSEARCH_BENCH_SCIFACT` names another one.
const DEFAULT_SCIFACT: &str = "../shared/data/scifact";

/// The collection a bench runs on.
pub struct Collection {
    /// `scifact` or `shipped`: used in bench names and the cache path.
    pub label: &'static str,
    pub sources: Sources,
    /// The BEIR directory, for SciFact.
    pub beir_dir: Option<PathBuf>,
}

/// The SciFact BEIR directory, if its corpus is there.
pub fn scifact_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MMSEARCH_BENCH_SCIFACT")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SCIFACT));
    dir.join("corpus.jsonl").is_file().then_some(dir)
}

/// SciFact when present; otherwise says so and falls back to the shipped list.
/// `max_docs` keeps only the first documents of the corpus.
pub fn collection(max_docs: Option<usize>) -> Collection {
    match scifact_dir() {
        Some(dir) => {
            let path = dir.join("corpus.jsonl");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let corpus = match max_docs {
                Some(n) => {
                    let mut kept: String = text
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .take(n)
                        .collect::<Vec<_>>()
                        .join("\n");
                    kept.push('\n');
                    kept
                }
                None => text,
            };
            Collection {
                label: "scifact",
                sources: Sources::beir(path.display().to_string(), corpus),
                beir_dir: Some(dir),
            }
        }
        None => {
            eprintln!(
                "mmsearch bench: SciFact not found at {DEFAULT_SCIFACT} (or MMSEARCH_BENCH_SCIFACT); \
                 skipping the SciFact figures and using the shipped list instead"
            );
            Collection {
                label: "shipped",
                sources: Sources::shipped(),
                beir_dir: None,
            }
        }
    }
}

/// A fixed set of `n` judged test queries of the collection, in id order.
pub fn queries(collection: &Collection, n: usize) -> Vec<String> {
    let judgments = match &collection.beir_dir {
        Some(dir) => Judgments::beir(dir, "test").expect("SciFact test queries and qrels read"),
        None => Judgments::shipped().expect("shipped judgments read"),
    };
    judgments
        .queries
        .into_iter()
        .map(|(_, text)| text)
        .take(n)
        .collect()
}

/// The cached index for the collection: `MMSEARCH_BENCH_SCIFACT_INDEX` for
/// SciFact when set, else `target/bench-index/<label>`.
pub fn index_dir(collection: &Collection) -> PathBuf {
    if collection.label == "scifact"
        && let Some(dir) =
            std::env::var_os("MMSEARCH_BENCH_SCIFACT_INDEX").filter(|v| !v.is_empty())
    {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-index")
        .join(collection.label)
}

/// Opens the collection's index, building it first when it is missing or
/// stale. It is then opened a second time, so the query embedder is loaded
/// the way a normal start loads it (lazily, configured for queries) rather
/// than reusing the one the build used.
pub fn open_engine(collection: &Collection) -> Engine {
    let config = EngineConfig {
        index_dir: index_dir(collection),
        models_dir: None,
        events: mmsearch::Events::none(),
        backend: None,
    };
    let started = std::time::Instant::now();
    drop(
        Engine::open(&config, &collection.sources, Mode::Hybrid)
            .expect("index opened or built (are the models fetched? run models/fetch)"),
    );
    eprintln!(
        "mmsearch bench: {} index ready at {} ({:.1} s)",
        collection.label,
        config.index_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Engine::open(&config, &collection.sources, Mode::Hybrid).expect("index reopened")
}
