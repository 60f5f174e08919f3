//! The engine ties the parts together: it opens the index (building or
//! rebuilding it when the sources or the model changed), runs the keyword and
//! semantic legs, fuses them and puts exact lookups first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::corpus::{Collection, Paper, Sources};
use crate::embed::{self, Embedder, ModelCard};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::fusion::{self, Fused, Fusion};
use crate::keyword::KeywordIndex;
use crate::store::{IndexDir, Loaded, Manifest, WriteLock};
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
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub limit: usize,
    pub mode: Mode,
    pub fusion: Fusion,
    /// How many candidates each leg hands to fusion.
    pub depth: usize,
    /// Only papers matching this are returned.
    pub filter: Filter,
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
            filter: Filter::default(),
        }
    }
}

/// One result: the paper and how it was ranked (final score, each leg's
/// rank and score, and what each leg contributed).
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub paper: &'a Paper,
    pub ranking: Fused,
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
    /// Papers whose text went through the model in this build.
    pub embedded: usize,
    /// Papers whose vector was taken from the previous index.
    pub reused: usize,
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
        let located = embed::locate_models_dir(config.models_dir.as_deref())
            .and_then(|dir| embed::read_model_card(&dir).map(|card| (dir, card)));
        let (models_dir, card) = match located {
            Ok((dir, card)) => (Ok(dir), Some(card)),
            Err(e) if mode == Mode::Keyword => (Err(e), None),
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
        let lock = dir.lock(config.progress)?;
        // Another mmsearch may have built it while we waited for the lock.
        if let Ok(Some(loaded)) = dir.load()
            && staleness(&loaded.manifest, sources, card.as_ref()).is_none()
        {
            return Ok(Engine::from_loaded(loaded, Some(models_dir)));
        }
        if config.progress {
            eprintln!(
                "mmsearch: building the index at {} ({reason})",
                config.index_dir.display()
            );
        }
        build_locked(&dir, &lock, sources, &models_dir, true, config.progress)?;
        drop(lock);
        let loaded = dir.load()?.ok_or_else(|| {
            Error::index(&config.index_dir, "the new index is missing after a build")
        })?;
        Ok(Engine::from_loaded(loaded, Some(models_dir)))
    }

    /// Opens the index as it was last built, without comparing it with the
    /// sources: for when a remembered source cannot be read, so search keeps
    /// working on what it has.
    pub fn open_built(config: &EngineConfig, mode: Mode) -> Result<Engine> {
        let models_dir = match embed::locate_models_dir(config.models_dir.as_deref()) {
            Ok(dir) => Some(dir),
            Err(_) if mode == Mode::Keyword => None,
            Err(e) => return Err(e),
        };
        let loaded = IndexDir::new(&config.index_dir)
            .load()?
            .ok_or_else(|| Error::index(&config.index_dir, "no index has been built here"))?;
        Ok(Engine::from_loaded(loaded, models_dir))
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

    /// The query's embedding when `mode` uses the semantic leg.
    pub fn embed_if_needed(&mut self, query: &str, mode: Mode) -> Result<Option<Vec<f32>>> {
        match mode {
            Mode::Keyword => Ok(None),
            Mode::Hybrid | Mode::Semantic => self.embed_query(query).map(Some),
        }
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
        let vector = self.embed_if_needed(query, options.mode)?;
        self.search_with_vector(query, vector.as_deref(), options)
    }

    /// Runs a search whose query embedding (if the mode needs one) is given.
    pub fn search_with_vector(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Vec<Hit<'_>>> {
        let legs = self.legs(query, vector, options)?;
        self.rank(&legs, options)
    }

    /// Papers passing the filter, or `None` when there is no filter.
    fn allowed(&self, filter: &Filter) -> Option<Vec<usize>> {
        (!filter.is_empty()).then(|| {
            self.papers
                .iter()
                .enumerate()
                .filter(|(_, p)| filter.matches(p))
                .map(|(i, _)| i)
                .collect()
        })
    }

    /// The raw output of both legs for a query: what fusion works on. Split
    /// from `rank` so evaluation can try many fusion settings per query.
    /// With a filter the keyword leg looks at every match and the semantic
    /// leg searches the allowed papers exactly, so no short lists.
    pub fn legs(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        options: &SearchOptions,
    ) -> Result<Legs> {
        let depth = options.depth.max(options.limit);
        let allowed = self.allowed(&options.filter);
        let keep = |list: &mut Vec<(usize, f32)>| {
            if let Some(allowed) = &allowed {
                list.retain(|(doc, _)| allowed.binary_search(doc).is_ok());
                list.truncate(depth);
            }
        };
        let mut keyword = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => {
                let fetch = if allowed.is_some() {
                    self.papers.len()
                } else {
                    depth
                };
                self.keyword.search(query, fetch)?
            }
        };
        keep(&mut keyword);
        let semantic = match (options.mode, vector, &allowed) {
            (Mode::Keyword, _, _) => Vec::new(),
            (_, Some(v), Some(allowed)) => self.vectors.search_among(v, allowed, depth),
            (_, Some(v), None) => self.vectors.search(v, depth),
            (_, None, _) => return Err(Error::Usage("this mode needs a query embedding".into())),
        };
        let mut exact = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => self.keyword.exact(query)?,
        };
        if let Some(allowed) = &allowed {
            exact.retain(|doc| allowed.binary_search(doc).is_ok());
        }
        Ok(Legs {
            keyword,
            semantic,
            exact,
        })
    }

    /// Fuses the legs as `options` say and puts exact lookups first.
    pub fn rank(&self, legs: &Legs, options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
        let mut ranked = match options.mode {
            Mode::Keyword => fusion::fuse(&legs.keyword, &[], Fusion::Linear { alpha: 0.0 }),
            Mode::Semantic => fusion::fuse(&[], &legs.semantic, Fusion::Linear { alpha: 1.0 }),
            Mode::Hybrid => fusion::fuse(&legs.keyword, &legs.semantic, options.fusion),
        };
        // Single-leg scores are the leg's own (BM25 or cosine), not normalised.
        if options.mode != Mode::Hybrid {
            for f in &mut ranked {
                f.score = f64::from(f.keyword_score.or(f.semantic_score).unwrap_or(0.0));
            }
        }
        // Exact lookups win: they move to the front, keeping their relative
        // order; one that no leg returned is added.
        for &doc in &legs.exact {
            if !ranked.iter().any(|f| f.doc == doc) {
                ranked.push(Fused {
                    doc,
                    ..Fused::default()
                });
            }
        }
        ranked.sort_by_key(|f| !legs.exact.contains(&f.doc));
        ranked
            .into_iter()
            .take(options.limit)
            .map(|f| {
                let exact = legs.exact.contains(&f.doc);
                self.hit(f, exact)
            })
            .collect()
    }

    fn hit(&self, f: Fused, exact: bool) -> Result<Hit<'_>> {
        let paper = self.papers.get(f.doc).ok_or_else(|| {
            Error::index("", format!("document {} is not in the collection", f.doc))
        })?;
        Ok(Hit {
            paper,
            ranking: f,
            exact,
        })
    }

    /// Papers related to `seeds` (positions in `papers()`) and/or to `text`:
    /// nearest by embedding (the seeds' mean vector) fused with tantivy's
    /// More-Like-This on their text. The seeds themselves never come back.
    /// `text` comes with its embedding (see `embed_query`).
    pub fn similar(
        &self,
        seeds: &[usize],
        text: Option<(&str, &[f32])>,
        options: &SearchOptions,
    ) -> Result<Vec<Hit<'_>>> {
        let legs = self.similar_legs(seeds, text, options)?;
        self.rank(&legs, options)
    }

    /// The two legs of `similar`, before fusion (evaluation reuses them).
    pub fn similar_legs(
        &self,
        seeds: &[usize],
        text: Option<(&str, &[f32])>,
        options: &SearchOptions,
    ) -> Result<Legs> {
        let mut texts: Vec<String> = Vec::new();
        let mut sum = vec![0.0f32; self.vectors.dimensions()];
        for &seed in seeds {
            let paper = self
                .papers
                .get(seed)
                .ok_or_else(|| Error::Usage(format!("no paper number {seed}")))?;
            texts.push(paper.embedding_text());
            if let Some(v) = self.vectors.vector(seed) {
                sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
            }
        }
        if let Some((text, v)) = text {
            sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
            texts.push(text.to_string());
        }
        if texts.is_empty() {
            return Err(Error::Usage(
                "give a paper or --text to find related papers for".into(),
            ));
        }
        let vector = crate::vector::normalise(sum);
        let depth = options.depth.max(options.limit) + seeds.len();
        let allowed = self.allowed(&options.filter);
        let wanted = |doc: &usize| {
            !seeds.contains(doc)
                && allowed
                    .as_ref()
                    .is_none_or(|a| a.binary_search(doc).is_ok())
        };
        let mut keyword = match options.mode {
            Mode::Semantic => Vec::new(),
            _ => {
                let fetch = if allowed.is_some() {
                    self.papers.len()
                } else {
                    depth
                };
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                self.keyword.more_like_this(&refs, fetch)?
            }
        };
        keyword.retain(|(doc, _)| wanted(doc));
        let mut semantic = match (options.mode, &allowed) {
            (Mode::Keyword, _) => Vec::new(),
            (_, Some(allowed)) => self.vectors.search_among(&vector, allowed, depth),
            (_, None) => self.vectors.search(&vector, depth),
        };
        semantic.retain(|(doc, _)| wanted(doc));
        Ok(Legs {
            keyword,
            semantic,
            exact: Vec::new(),
        })
    }

    /// A highlighted passage of `text` for the query's words, if any occur.
    pub fn snippet(
        &self,
        query: &str,
        text: &str,
        max_chars: usize,
    ) -> Result<Option<tantivy::snippet::Snippet>> {
        self.keyword.snippet(query, text, max_chars)
    }
}

/// What the two legs returned for one query, best first, plus the papers
/// the query names exactly.
#[derive(Debug, Clone, Default)]
pub struct Legs {
    pub keyword: Vec<(usize, f32)>,
    pub semantic: Vec<(usize, f32)>,
    pub exact: Vec<usize>,
}

/// Builds the index for `sources` into `dir`: parse, embed what is new
/// (vectors of texts the live index already embedded with the same model
/// are reused, so an edit re-embeds only the edited papers), write a new
/// generation and swap it in. Takes the write lock for the whole build.
/// `reuse: false` embeds everything again.
pub fn build(
    dir: &IndexDir,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    progress: bool,
) -> Result<BuildReport> {
    let lock = dir.lock(true)?;
    build_locked(dir, &lock, sources, models_dir, reuse, progress)
}

fn build_locked(
    dir: &IndexDir,
    lock: &WriteLock,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    progress: bool,
) -> Result<BuildReport> {
    let started = std::time::Instant::now();
    let card = embed::read_model_card(models_dir)?;
    let collection = Collection::from_sources(sources)?;
    for warning in &collection.warnings {
        eprintln!("mmsearch: warning: {warning}");
    }
    if collection.papers.is_empty() {
        return Err(Error::Corpus {
            path: PathBuf::from(sources.name()),
            message: "no paper entries found".into(),
        });
    }
    let texts: Vec<String> = collection
        .papers
        .iter()
        .map(Paper::embedding_text)
        .collect();
    let mut known = if reuse {
        reusable_vectors(dir, &card)
    } else {
        HashMap::new()
    };
    let mut vectors: Vec<Option<Vec<f32>>> = texts.iter().map(|t| known.remove(t)).collect();
    let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
    if !missing.is_empty() {
        let mut embedder = Embedder::load(models_dir, false)?;
        let new_texts: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
        for (&i, v) in missing
            .iter()
            .zip(embed_with_progress(&mut embedder, &new_texts, progress)?)
        {
            vectors[i] = Some(v);
        }
    }
    let vectors: Vec<Vec<f32>> = vectors.into_iter().map(Option::unwrap_or_default).collect();
    dir.write(lock, &collection.papers, &vectors, &card, sources)?;
    Ok(BuildReport {
        papers: collection.papers.len(),
        with_abstract: collection
            .papers
            .iter()
            .filter(|p| p.abstract_text.is_some())
            .count(),
        embedded: missing.len(),
        reused: texts.len() - missing.len(),
        warnings: collection.warnings,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Text → vector from the live generation when it was embedded by `card`'s
/// model: the embedding cache, keyed by model and text.
fn reusable_vectors(dir: &IndexDir, card: &ModelCard) -> HashMap<String, Vec<f32>> {
    match dir.stored_vectors() {
        Some((model, papers, vectors)) if &model == card => papers
            .iter()
            .map(Paper::embedding_text)
            .zip(vectors)
            .collect(),
        _ => HashMap::new(),
    }
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
    // Texts of similar length share a batch, so little time goes on padding;
    // the vectors are put back in the caller's order afterwards.
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
    for chunk in order.chunks(embed::BATCH_SIZE * 8) {
        let batch: Vec<String> = chunk.iter().map(|&i| texts[i].clone()).collect();
        for (&i, vector) in chunk.iter().zip(embedder.embed(&batch)?) {
            vectors[i] = vector;
        }
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
