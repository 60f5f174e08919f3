//! The engine ties the parts together: it opens the index (building or
//! rebuilding it when the sources or the model changed), runs the keyword and
//! semantic legs, fuses them and puts exact lookups first.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::corpus::{Collection, Paper, Sources};
use crate::embed::{self, Embedder, ModelCard};
use crate::error::{Error, Result};
use crate::fusion::{self, Fusion};
use crate::keyword::KeywordIndex;
use crate::store::{IndexDir, Loaded, Manifest};
use crate::vector::VectorIndex;

/// Which legs answer a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Hybrid,
    Keyword,
    Semantic,
}

/// How a search is run.
#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    pub limit: usize,
    pub mode: Mode,
    pub fusion: Fusion,
    /// How many candidates each leg hands to fusion.
    pub depth: usize,
}

/// Candidates per leg: enough for Recall@100 and for fusion to reorder.
pub const DEFAULT_DEPTH: usize = 100;

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 10,
            mode: Mode::Hybrid,
            fusion: Fusion::default(),
            depth: DEFAULT_DEPTH,
        }
    }
}

/// One result: the paper, its final score and where each leg ranked it.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub paper: &'a Paper,
    pub score: f64,
    pub keyword_rank: Option<usize>,
    pub semantic_rank: Option<usize>,
    /// The query equals this paper's title, tag, arXiv id or id.
    pub exact: bool,
}

/// Where the engine keeps its index and finds its model.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub index_dir: PathBuf,
    pub models_dir: Option<PathBuf>,
    /// Show progress bars and build messages on stderr.
    pub progress: bool,
}

/// What a build did, for the user and for benchmarks.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub papers: usize,
    pub with_abstract: usize,
    pub warnings: Vec<String>,
    pub seconds: f64,
}

pub struct Engine {
    papers: Vec<Paper>,
    keyword: KeywordIndex,
    vectors: VectorIndex,
    manifest: Manifest,
    models_dir: Option<PathBuf>,
    embedder: Option<Embedder>,
}

/// Why an existing index cannot be used as it is, if it cannot.
fn staleness(manifest: &Manifest, sources: &Sources, model: Option<&ModelCard>) -> Option<String> {
    if manifest.sources_hash != sources.hash() {
        return Some("the paper list changed".into());
    }
    match model {
        Some(card) if card != &manifest.model => Some(format!(
            "the index was built with {} ({}), the model now is {} ({})",
            manifest.model.id, manifest.model.variant, card.id, card.variant
        )),
        _ => None,
    }
}

impl Engine {
    /// Opens the index for `sources`, building it first when there is none or
    /// when it is stale (sources or model changed). In keyword mode a built
    /// index is used even when the model files are missing.
    pub fn open(config: &EngineConfig, sources: &Sources, mode: Mode) -> Result<Engine> {
        let dir = IndexDir::new(&config.index_dir);
        let models_dir = embed::locate_models_dir(config.models_dir.as_deref());
        let card = match models_dir
            .as_deref()
            .map_err(clone_model_error)
            .and_then(embed::read_model_card)
        {
            Ok(card) => Some(card),
            Err(_) if mode == Mode::Keyword => None,
            Err(e) => return Err(e),
        };
        let reason = match dir.load() {
            Ok(Some(loaded)) => match staleness(&loaded.manifest, sources, card.as_ref()) {
                None => return Ok(Engine::from_loaded(loaded, models_dir.ok())),
                Some(reason) => reason,
            },
            Ok(None) => "no index yet".to_string(),
            Err(e) => format!("the index could not be read ({e})"),
        };
        let models_dir = models_dir?;
        if config.progress {
            eprintln!(
                "mmsearch: building the index at {} ({reason})",
                config.index_dir.display()
            );
        }
        let mut embedder = Embedder::load(&models_dir, false)?;
        build(&dir, sources, &mut embedder, config.progress)?;
        let loaded = dir.load()?.ok_or_else(|| {
            Error::index(&config.index_dir, "the new index is missing after a build")
        })?;
        let mut engine = Engine::from_loaded(loaded, Some(models_dir));
        engine.embedder = Some(embedder);
        Ok(engine)
    }

    fn from_loaded(loaded: Loaded, models_dir: Option<PathBuf>) -> Engine {
        Engine {
            papers: loaded.papers,
            keyword: loaded.keyword,
            vectors: loaded.vectors,
            manifest: loaded.manifest,
            models_dir,
            embedder: None,
        }
    }

    pub fn papers(&self) -> &[Paper] {
        &self.papers
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The model is loaded on first use: keyword searches never pay for it.
    fn embedder(&mut self) -> Result<&mut Embedder> {
        if self.embedder.is_none() {
            let dir = self
                .models_dir
                .as_deref()
                .ok_or_else(|| Error::Model("embedding model not found".into()))?;
            self.embedder = Some(Embedder::load(dir, true)?);
        }
        self.embedder
            .as_mut()
            .ok_or_else(|| Error::Model("embedding model not loaded".into()))
    }

    /// Embeds a query; exposed so benchmarks can time it separately.
    pub fn embed_query(&mut self, query: &str) -> Result<Vec<f32>> {
        self.embedder()?.embed_one(query)
    }

    pub fn search(&mut self, query: &str, options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::Usage(
                "empty query: give some words to search for".into(),
            ));
        }
        let vector = match options.mode {
            Mode::Keyword => None,
            Mode::Hybrid | Mode::Semantic => Some(self.embed_query(query)?),
        };
        self.search_with_vector(query, vector.as_deref(), options)
    }

    /// Runs a search whose query embedding (if the mode needs one) is given.
    pub fn search_with_vector(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Vec<Hit<'_>>> {
        let depth = options.depth.max(options.limit);
        let keyword = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => self.keyword.search(query, depth)?,
        };
        let semantic = match (options.mode, vector) {
            (Mode::Keyword, _) => Vec::new(),
            (_, Some(v)) => self.vectors.search(v, depth),
            (_, None) => return Err(Error::Usage("this mode needs a query embedding".into())),
        };
        let mut ranked = match options.mode {
            Mode::Keyword => fusion::fuse(&keyword, &[], Fusion::Linear { alpha: 0.0 }),
            Mode::Semantic => fusion::fuse(&[], &semantic, Fusion::Linear { alpha: 1.0 }),
            Mode::Hybrid => fusion::fuse(&keyword, &semantic, options.fusion),
        };
        // Single-leg scores are the leg's own (BM25 or cosine), not normalised.
        if options.mode != Mode::Hybrid {
            let raw = if options.mode == Mode::Keyword {
                &keyword
            } else {
                &semantic
            };
            for (f, &(_, score)) in ranked.iter_mut().zip(raw.iter()) {
                f.score = f64::from(score);
            }
        }
        let exact = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => self.keyword.exact(query)?,
        };
        // Exact lookups win: they move to the front, keeping their relative order.
        ranked.sort_by_key(|f| !exact.contains(&f.doc));
        let mut hits: Vec<Hit<'_>> = Vec::with_capacity(options.limit);
        for f in ranked.into_iter().take(options.limit) {
            let paper = self.papers.get(f.doc).ok_or_else(|| {
                Error::index("", format!("document {} is not in the collection", f.doc))
            })?;
            hits.push(Hit {
                paper,
                score: f.score,
                keyword_rank: f.keyword_rank,
                semantic_rank: f.semantic_rank,
                exact: exact.contains(&f.doc),
            });
        }
        Ok(hits)
    }
}

/// `Error` is not `Clone` (it wraps I/O errors); model errors are plain text.
fn clone_model_error(e: &Error) -> Error {
    Error::Model(match e {
        Error::Model(m) => m.clone(),
        other => other.to_string(),
    })
}

/// Builds the index for `sources` into `dir`: parse, embed (with a progress
/// bar), write a new generation and swap it in.
pub fn build(
    dir: &IndexDir,
    sources: &Sources,
    embedder: &mut Embedder,
    progress: bool,
) -> Result<BuildReport> {
    let started = std::time::Instant::now();
    let collection = Collection::from_sources(sources);
    for warning in &collection.warnings {
        eprintln!("mmsearch: warning: {warning}");
    }
    if collection.papers.is_empty() {
        return Err(Error::Corpus {
            path: PathBuf::from(&sources.list_name),
            message: "no paper entries found".into(),
        });
    }
    let texts: Vec<String> = collection
        .papers
        .iter()
        .map(Paper::embedding_text)
        .collect();
    let vectors = embed_with_progress(embedder, &texts, progress)?;
    dir.write(
        &collection.papers,
        &vectors,
        &embedder.card,
        &sources.hash(),
    )?;
    Ok(BuildReport {
        papers: collection.papers.len(),
        with_abstract: collection
            .papers
            .iter()
            .filter(|p| p.abstract_text.is_some())
            .count(),
        warnings: collection.warnings,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Embeds in small chunks so a progress bar can follow and memory stays flat.
pub fn embed_with_progress(
    embedder: &mut Embedder,
    texts: &[String],
    progress: bool,
) -> Result<Vec<Vec<f32>>> {
    let bar = if progress {
        ProgressBar::new(texts.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("embedding {bar:40} {pos}/{len} papers, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(embed::BATCH_SIZE * 8) {
        vectors.extend(embedder.embed(chunk)?);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(vectors)
}

/// The default index directory: `MMSEARCH_INDEX_DIR`, else the user data directory.
pub fn default_index_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MMSEARCH_INDEX_DIR").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    crate::project_dirs()
        .map(|d| d.data_dir().join("index"))
        .ok_or_else(|| Error::Usage("no home directory: pass --index-dir".into()))
}
