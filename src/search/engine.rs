//! The engine ties the parts together: it opens the index (building or
//! rebuilding it when the sources or the model changed), runs the keyword and
//! semantic legs, fuses them and puts exact lookups first.

use std::path::PathBuf;
use std::sync::Mutex;

use super::feedback::{self, DEFAULT_FEEDBACK, Feedback};
use super::filter::Filter;
use super::fusion::{self, Fused, Fusion};
use super::results::{Hit, ResultHit, Results, Snippet, readable_abstract};
use super::word_feedback::{self, DEFAULT_WORD_FEEDBACK, WordFeedback, WordsUsed};
use crate::collection::Sources;
use crate::config::DEFAULT_LIMIT;
use crate::embed::{self, Embedder, Role};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::index::build::build_locked;
use crate::index::store::{IndexDir, Loaded, Manifest, staleness};
use crate::index::{DocId, KeywordLeg, Ranked, VectorLeg};
use crate::paper::Paper;

pub use super::Mode;

/// How a search is run.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// How many hits to return.
    pub limit: usize,
    /// Which legs answer.
    pub mode: Mode,
    /// How hybrid mode fuses them.
    pub fusion: Fusion,
    /// How many candidates each leg hands to fusion.
    pub depth: usize,
    /// Only papers matching this are returned.
    pub filter: Filter,
    /// Pseudo-relevance feedback for the semantic leg (`feedback`), if any.
    pub feedback: Option<Feedback>,
    /// Word feedback from the fused results into the keyword part
    /// (`word_feedback`; bounded hybrid fusion only), if any.
    pub word_feedback: Option<WordFeedback>,
}

/// Candidates per leg: enough for Recall@100 and for fusion to reorder.
pub(crate) const DEFAULT_DEPTH: usize = 100;

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: DEFAULT_LIMIT,
            mode: Mode::Hybrid,
            fusion: Fusion::default(),
            depth: DEFAULT_DEPTH,
            filter: Filter::default(),
            feedback: DEFAULT_FEEDBACK,
            word_feedback: DEFAULT_WORD_FEEDBACK,
        }
    }
}

/// Where the engine keeps its index, finds its model, and sends its events.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The index directory.
    pub index_dir: PathBuf,
    /// The models directory, when given (else `config` decides).
    pub models_dir: Option<PathBuf>,
    /// Where progress, warnings and build messages go.
    pub events: Events,
    /// A Milvus collection to keep the index in instead of `index_dir`
    /// (which then holds only the enrichment cache and the write lock).
    pub backend: Option<crate::milvus::Address>,
}

/// An opened index, ready to answer queries from any number of threads:
/// `Engine` is `Send + Sync` and every query method takes `&self`. The
/// embedding model is loaded on the first query that needs it (keyword
/// searches and `similar` never pay for it) and then shared.
pub struct Engine {
    papers: Vec<Paper>,
    keyword: Box<dyn KeywordLeg>,
    vectors: Box<dyn VectorLeg>,
    manifest: Manifest,
    generation: String,
    models_dir: Option<PathBuf>,
    embedder: Mutex<Option<Embedder>>,
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
        if let Some(address) = &config.backend {
            let found = models_dir.as_ref().ok().cloned();
            let opened = crate::milvus::open(
                address,
                &config.index_dir,
                sources,
                card.as_ref(),
                models_dir,
                &config.events,
            )?;
            return Ok(Engine::from_opened(opened, found));
        }
        let (reason, first_shipped) = match dir.load() {
            Ok(Some(loaded)) => match staleness(&loaded.manifest, sources, card.as_ref()) {
                None => return Ok(Engine::from_loaded(loaded, models_dir.ok())),
                Some(reason) => (reason, false),
            },
            Ok(None) if sources.is_shipped() => {
                ("no index yet; indexing the shipped list".into(), true)
            }
            Ok(None) => ("no index yet".to_string(), false),
            Err(e) => (format!("the index could not be read ({e})"), false),
        };
        let models_dir = models_dir?;
        let lock = dir.lock(&config.events)?;
        // Another mmsearch may have built it while we waited for the lock.
        if let Ok(Some(loaded)) = dir.load()
            && staleness(&loaded.manifest, sources, card.as_ref()).is_none()
        {
            return Ok(Engine::from_loaded(loaded, Some(models_dir)));
        }
        config.events.emit(Event::Building {
            index_dir: config.index_dir.clone(),
            reason,
        });
        build_locked(&dir, &lock, sources, &models_dir, true, &config.events)?;
        if first_shipped {
            config.events.emit(Event::ShippedListIndexed {
                index_dir: config.index_dir.clone(),
            });
        }
        drop(lock);
        let loaded = dir.load()?.ok_or_else(|| {
            Error::index(&config.index_dir, "the new index is missing after a build")
        })?;
        Ok(Engine::from_loaded(loaded, Some(models_dir)))
    }

    /// Opens the index as it was last built, without comparing it with the
    /// sources: for when a remembered source cannot be read, so search keeps
    /// working on what it has.
    pub(crate) fn open_built(config: &EngineConfig, mode: Mode) -> Result<Engine> {
        let models_dir = match embed::locate_models_dir(config.models_dir.as_deref()) {
            Ok(dir) => Some(dir),
            Err(_) if mode == Mode::Keyword => None,
            Err(e) => return Err(e),
        };
        if let Some(address) = &config.backend {
            let opened = crate::milvus::open_built(address)?;
            return Ok(Engine::from_opened(opened, models_dir));
        }
        let loaded = IndexDir::new(&config.index_dir)
            .load()?
            .ok_or_else(|| Error::index(&config.index_dir, "no index has been built here"))?;
        Ok(Engine::from_loaded(loaded, models_dir))
    }

    fn from_opened(opened: crate::milvus::Opened, models_dir: Option<PathBuf>) -> Engine {
        Engine {
            papers: opened.papers,
            keyword: opened.keyword,
            vectors: opened.vectors,
            manifest: opened.manifest,
            generation: opened.generation,
            models_dir,
            embedder: Mutex::new(None),
        }
    }

    fn from_loaded(loaded: Loaded, models_dir: Option<PathBuf>) -> Engine {
        Engine {
            papers: loaded.papers,
            keyword: Box::new(loaded.keyword),
            vectors: Box::new(loaded.vectors),
            manifest: loaded.manifest,
            generation: loaded.generation,
            models_dir,
            embedder: Mutex::new(None),
        }
    }

    /// Which generation this engine answers from: the index directory's
    /// generation, or the Milvus collection that was live when it opened.
    pub fn generation(&self) -> &str {
        &self.generation
    }

    /// Every paper's stored vector, in document order.
    pub fn vectors(&self) -> Result<Vec<Option<Vec<f32>>>> {
        self.vectors.vectors()
    }

    /// The papers; a document id is a position in this slice.
    pub fn papers(&self) -> &[Paper] {
        &self.papers
    }

    /// What the open index was built from and with.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The stored vector of a paper (for the server's map of the collection).
    pub fn vector(&self, doc: usize) -> Option<Vec<f32>> {
        self.vectors.vector(doc)
    }

    /// The query's embedding when `mode` uses the semantic leg.
    pub(crate) fn embed_if_needed(&self, query: &str, mode: Mode) -> Result<Option<Vec<f32>>> {
        match mode {
            Mode::Keyword => Ok(None),
            Mode::Hybrid | Mode::Semantic => self.embed_query(query).map(Some),
        }
    }

    /// Embeds a query (loading the model on first use); exposed so
    /// benchmarks can time it separately. Queries from several threads take
    /// turns on the one model.
    pub fn embed_query(&self, query: &str) -> Result<Vec<f32>> {
        let mut slot = self
            .embedder
            .lock()
            .map_err(|_| Error::Internal("the embedding model failed in another thread".into()))?;
        if slot.is_none() {
            let dir = self
                .models_dir
                .as_deref()
                .ok_or_else(|| Error::Model("embedding model not found".into()))?;
            *slot = Some(Embedder::load(dir, Role::Query)?);
        }
        match slot.as_mut() {
            Some(embedder) => embedder.embed_one(query),
            None => Err(Error::Internal("embedding model not loaded".into())),
        }
    }

    /// Searches: the legs `options.mode` asks for, fused, exact lookups first.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
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
        let keyword = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => match &allowed {
                Some(allowed) => {
                    self.keyword
                        .search_where(query, &options.filter, allowed, depth)?
                }
                None => self.keyword.search(query, depth)?,
            },
        };
        let vector_search = |v: &[f32]| match &allowed {
            Some(allowed) => self
                .vectors
                .search_where(v, &options.filter, allowed, depth),
            None => self.vectors.search(v, depth),
        };
        let (semantic, keyword_cosines, searched_with) = match (options.mode, vector) {
            (Mode::Keyword, _) => (Vec::new(), Vec::new(), None),
            (mode, Some(v)) => {
                let first = vector_search(v)?;
                let moved = options
                    .feedback
                    .and_then(|fb| feedback::moved_query(v, &first, self.vectors.as_ref(), fb));
                let semantic = match &moved {
                    Some(moved) => vector_search(moved)?,
                    None => first,
                };
                // Only bounded fusion adds scores, so only it needs them
                // (on Milvus this is a round trip).
                let needs_cosines =
                    mode == Mode::Hybrid && matches!(options.fusion, Fusion::Bounded { .. });
                let searched_with = moved.unwrap_or_else(|| v.to_vec());
                let cosines = if needs_cosines {
                    self.cosines_beyond(&keyword, &[&semantic], &searched_with)?
                } else {
                    Vec::new()
                };
                (semantic, cosines, Some(searched_with))
            }
            (_, None) => return Err(Error::Usage("this mode needs a query embedding".into())),
        };
        let mut exact = match options.mode {
            Mode::Semantic => Vec::new(),
            Mode::Hybrid | Mode::Keyword => self.keyword.exact(query)?,
        };
        let mut authored = match options.mode {
            Mode::Hybrid => super::author::papers_by_named_author(query, &self.papers),
            Mode::Semantic | Mode::Keyword => Vec::new(),
        };
        if let Some(allowed) = &allowed {
            exact.retain(|doc| allowed.binary_search(doc).is_ok());
            authored.retain(|doc| allowed.binary_search(doc).is_ok());
        }
        let keyword_bound = match options.mode {
            Mode::Semantic => 0.0,
            Mode::Hybrid | Mode::Keyword => self.keyword.bound(query)?,
        };
        Ok(Legs {
            query: query.to_string(),
            searched_with,
            keyword,
            semantic,
            keyword_cosines,
            exact,
            authored,
            keyword_bound,
            allowed,
        })
    }

    /// The cosine of every candidate (of the keyword leg, or of word
    /// feedback) that none of `scored` has, best first. Without it bounded
    /// fusion scores such a paper as if its cosine were 0, so a strong keyword match just past the
    /// semantic leg's depth loses to weaker papers both legs found (SciFact
    /// test .7205 → .7273, README "Cosines for every keyword candidate").
    fn cosines_beyond(
        &self,
        candidates: &Ranked,
        scored: &[&Ranked],
        vector: &[f32],
    ) -> Result<Ranked> {
        let found: std::collections::HashSet<DocId> = scored
            .iter()
            .flat_map(|ranked| ranked.iter().map(|&(doc, _)| doc))
            .collect();
        let missing: Vec<DocId> = candidates
            .iter()
            .map(|&(doc, _)| doc)
            .filter(|doc| !found.contains(doc))
            .collect();
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let mut cosines = self.vectors.cosines(vector, &missing)?;
        cosines.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(cosines)
    }

    /// Fuses the legs as `options` say and puts exact lookups first, then
    /// the papers of the author the query names (`author`). With word
    /// feedback (bounded hybrid fusion) the first papers of that ranking
    /// give the words of a second keyword search, and the legs are fused
    /// again with it (`word_feedback`).
    pub fn rank(&self, legs: &Legs, options: &SearchOptions) -> Result<Vec<Hit<'_>>> {
        let first = self.fuse(legs, options, None);
        let found = self.feedback_words(legs, options, &first)?;
        let ranked = match &found {
            Some(found) => self.fuse(legs, options, Some(found)),
            None => first,
        };
        let completes = options.mode == Mode::Hybrid
            && matches!(options.fusion, Fusion::Bounded { .. })
            && (!legs.keyword_cosines.is_empty()
                || found.as_ref().is_some_and(|f| !f.cosines.is_empty()));
        // Past this rank a paper's cosine was computed for fusion, not
        // returned by the semantic leg (the explanation says so).
        let semantic_depth = completes.then_some(legs.semantic.len());
        let used = found.map(|f| std::sync::Arc::new(f.used));
        let authored = self.authored(legs, options);
        ranked
            .into_iter()
            .take(options.limit)
            .map(|f| {
                let exact = legs.exact.contains(&f.doc);
                let author = authored.contains(&f.doc);
                let mut hit = self.hit(f, exact, author, semantic_depth)?;
                hit.word_feedback = used.clone();
                Ok(hit)
            })
            .collect()
    }

    /// The named author's papers, which hybrid search ranks first (after
    /// exact lookups).
    fn authored<'l>(&self, legs: &'l Legs, options: &SearchOptions) -> &'l [DocId] {
        match options.mode {
            Mode::Hybrid => &legs.authored,
            Mode::Keyword | Mode::Semantic => &[],
        }
    }

    /// The whole fused ranking (before the limit), with the word-feedback
    /// search as a third leg when `words` is given; exact lookups and the
    /// named author's papers first.
    fn fuse(
        &self,
        legs: &Legs,
        options: &SearchOptions,
        words: Option<&FeedbackWords>,
    ) -> Vec<Fused> {
        let mut ranked = match options.mode {
            Mode::Keyword => fusion::fuse(&legs.keyword, &[], Fusion::Linear { alpha: 0.0 }),
            Mode::Semantic => fusion::fuse(&[], &legs.semantic, Fusion::Linear { alpha: 1.0 }),
            Mode::Hybrid => {
                // Bounded fusion adds scores, so a keyword candidate needs its
                // real cosine; RRF and min-max fusion stay on the leg's own
                // ranking (a rank past its depth is not known).
                let completed: Ranked;
                let semantic = match (options.fusion, words) {
                    (Fusion::Bounded { .. }, _) => {
                        let extra = words.map_or(&[][..], |w| &w.cosines[..]);
                        completed = [&legs.semantic[..], &legs.keyword_cosines[..], extra].concat();
                        &completed
                    }
                    _ => &legs.semantic,
                };
                match (options.fusion, words) {
                    (Fusion::Bounded { alpha }, Some(words)) => fusion::fuse_with_words(
                        &legs.keyword,
                        semantic,
                        legs.keyword_bound,
                        fusion::WordsLeg {
                            ranked: &words.ranked,
                            bound: words.used.bound,
                            keep: words.used.keep,
                        },
                        alpha,
                    ),
                    _ => fusion::fuse_bounded(
                        &legs.keyword,
                        semantic,
                        legs.keyword_bound,
                        options.fusion,
                    ),
                }
            }
        };
        // Single-leg scores are the leg's own (BM25 or cosine), not normalised.
        if options.mode != Mode::Hybrid {
            for f in &mut ranked {
                f.score = f64::from(f.keyword_score.or(f.semantic_score).unwrap_or(0.0));
            }
        }
        // Exact lookups win, then the named author's papers: they move to
        // the front, keeping their fused order; one that no leg returned is added.
        let authored = self.authored(legs, options);
        for &doc in legs.exact.iter().chain(authored) {
            if !ranked.iter().any(|f| f.doc == doc) {
                ranked.push(Fused {
                    doc,
                    ..Fused::default()
                });
            }
        }
        ranked.sort_by_key(|f| (!legs.exact.contains(&f.doc), !authored.contains(&f.doc)));
        ranked
    }

    /// Word feedback for a hybrid, bounded search: the words of the first
    /// papers of `first` that the query lacks, what they find (within the
    /// filter), and the cosine of each paper they find that no leg scored.
    /// `None` when there is no feedback to give (turned off, another fusion,
    /// `similar`, a backend that cannot analyse words, no words left).
    fn feedback_words(
        &self,
        legs: &Legs,
        options: &SearchOptions,
        first: &[Fused],
    ) -> Result<Option<FeedbackWords>> {
        let (Some(feedback), Some(vector), Mode::Hybrid, Fusion::Bounded { .. }) = (
            options.word_feedback,
            legs.searched_with.as_deref(),
            options.mode,
            options.fusion,
        ) else {
            return Ok(None);
        };
        if legs.query.is_empty() {
            return Ok(None);
        }
        let Some(query_words) = self.keyword.analysed_words(&legs.query)? else {
            return Ok(None);
        };
        let query_words: std::collections::HashSet<String> = query_words.into_iter().collect();
        let mut first_words = Vec::new();
        for f in first.iter().take(feedback.papers) {
            let paper = self.papers.get(f.doc).ok_or_else(|| {
                Error::Internal(format!("document {} is not in the collection", f.doc))
            })?;
            let mut words = self
                .keyword
                .analysed_words(&paper.title)?
                .unwrap_or_default();
            if let Some(text) = &paper.abstract_text {
                words.extend(self.keyword.analysed_words(text)?.unwrap_or_default());
            }
            first_words.push(words);
        }
        let words = word_feedback::expansion_words(&first_words, &query_words, feedback.words);
        if words.is_empty() {
            return Ok(None);
        }
        let depth = options.depth.max(options.limit);
        let (ranked, bound) = match &legs.allowed {
            Some(allowed) => {
                let (ranked, bound) = self.keyword.search_words(&words, self.papers.len())?;
                (crate::index::within(ranked, allowed, depth), bound)
            }
            None => self.keyword.search_words(&words, depth)?,
        };
        let cosines =
            self.cosines_beyond(&ranked, &[&legs.semantic, &legs.keyword_cosines], vector)?;
        Ok(Some(FeedbackWords {
            used: WordsUsed {
                words,
                bound,
                keep: feedback.keep,
                from_papers: first.len().min(feedback.papers),
            },
            ranked,
            cosines,
        }))
    }

    fn hit(
        &self,
        f: Fused,
        exact: bool,
        author: bool,
        semantic_depth: Option<usize>,
    ) -> Result<Hit<'_>> {
        let paper = self.papers.get(f.doc).ok_or_else(|| {
            Error::Internal(format!("document {} is not in the collection", f.doc))
        })?;
        Ok(Hit {
            paper,
            ranking: f,
            exact,
            author,
            semantic_depth,
            word_feedback: None,
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
    pub(crate) fn similar_legs(
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
                sum.iter_mut().zip(&v).for_each(|(s, x)| *s += x);
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
        let vector = crate::index::vector::normalise(sum);
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
            (_, Some(allowed)) => {
                self.vectors
                    .search_where(&vector, &options.filter, allowed, depth)?
            }
            (_, None) => self.vectors.search(&vector, depth)?,
        };
        semantic.retain(|(doc, _)| wanted(doc));
        Ok(Legs {
            keyword,
            semantic,
            ..Legs::default()
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

    /// The result list every printer (and a server) shares: the hits with
    /// their snippets (of the abstract, for `query`'s words, when
    /// `snippets`) and, when `explain`, why each ranks where it does.
    pub fn results<'a>(
        &'a self,
        query: &str,
        hits: Vec<Hit<'a>>,
        options: &SearchOptions,
        snippets: bool,
        explain: bool,
    ) -> Result<Results<'a>> {
        let hits = hits
            .into_iter()
            .enumerate()
            .map(|(i, hit)| {
                let snippet = match (&hit.paper.abstract_text, snippets) {
                    (Some(text), true) => self
                        .snippet(query, &readable_abstract(text), SNIPPET_CHARS)?
                        .map(|s| Snippet {
                            text: s.fragment().to_string(),
                            highlights: s.highlighted().to_vec(),
                        }),
                    _ => None,
                };
                let why = explain.then_some((options.mode, options.fusion, options.feedback));
                Ok(ResultHit::new(i + 1, hit, snippet, why))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Results {
            query: query.to_string(),
            mode: options.mode,
            fusion: options.fusion,
            hits,
        })
    }
}

/// What word feedback searched and found for one query.
struct FeedbackWords {
    /// The words, their bound and share.
    used: WordsUsed,
    /// What they found, best first.
    ranked: Ranked,
    /// The cosine of each paper they found that no leg had scored.
    cosines: Ranked,
}

/// Length of a snippet in a result list.
pub(crate) const SNIPPET_CHARS: usize = 160;

/// What the two legs returned for one query, best first, plus the papers
/// the query names exactly.
#[derive(Debug, Clone, Default)]
pub struct Legs {
    /// The query's text (empty for `similar`): word feedback leaves its
    /// words out.
    pub query: String,
    /// The vector the semantic leg searched with (after its feedback), when
    /// it searched: word feedback's new candidates get their cosine to it.
    pub searched_with: Option<Vec<f32>>,
    /// The keyword leg's ranking.
    pub keyword: Ranked,
    /// The semantic leg's ranking.
    pub semantic: Ranked,
    /// The cosine of each keyword candidate the semantic leg did not return
    /// (hybrid search), best first; bounded fusion ranks them after the
    /// semantic leg's own hits.
    pub keyword_cosines: Ranked,
    /// Papers the query names exactly.
    pub exact: Vec<DocId>,
    /// Papers of the author the query names (hybrid mode; see `author`).
    pub authored: Vec<DocId>,
    /// The highest score the keyword leg could give (see
    /// `KeywordLeg::bound`); 0 when unknown (More-Like-This).
    pub keyword_bound: f32,
    /// The papers the query's filter lets through, sorted (`None` without
    /// a filter), so word feedback keeps the same ones without a second
    /// pass over the collection.
    pub allowed: Option<Vec<DocId>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Engine>();
    }

    /// A config over a fresh index directory with the real model, or `None`
    /// (the test skips) when `models/fetch` has not run.
    fn config_in_temp_dir(events: Events) -> Option<(tempfile::TempDir, EngineConfig)> {
        let Ok(models_dir) = embed::locate_models_dir(None) else {
            eprintln!("skipped: no models directory (run models/fetch)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let config = EngineConfig {
            index_dir: dir.path().to_path_buf(),
            models_dir: Some(models_dir),
            backend: None,
            events,
        };
        Some((dir, config))
    }

    /// A keyword candidate past the semantic leg's depth is fused with its
    /// real cosine (what a user sees: a strong keyword match is not ranked
    /// as if it were unrelated in meaning), and the score's parts add up.
    #[test]
    fn keyword_candidates_the_semantic_leg_missed_are_fused_with_their_cosine() {
        let Some((_dir, config)) = config_in_temp_dir(Events::new(|_| {})) else {
            return;
        };
        let engine = Engine::open(&config, &Sources::shipped(), Mode::Hybrid).expect("built");
        let query = "pruning visual tokens in video language models";
        let vector = engine.embed_query(query).expect("embedded");
        // Bounded fusion of the two legs alone (word feedback, below).
        let options = SearchOptions {
            mode: Mode::Hybrid,
            limit: 5,
            depth: 5,
            word_feedback: None,
            ..SearchOptions::default()
        };
        let legs = engine.legs(query, Some(&vector), &options).expect("legs");
        assert!(
            !legs.keyword_cosines.is_empty(),
            "the two top fives should differ: {legs:?}"
        );
        for &(doc, cosine) in &legs.keyword_cosines {
            assert!(legs.keyword.iter().any(|&(d, _)| d == doc));
            assert!(!legs.semantic.iter().any(|&(d, _)| d == doc));
            let stored = engine.vectors.vector(doc).expect("stored vector");
            assert!((crate::index::vector::dot(&stored, &vector) - cosine).abs() < 1e-6);
        }
        let Fusion::Bounded { alpha } = options.fusion else {
            panic!("the default fusion is bounded");
        };
        // Every fused paper, not only the first five.
        let all = SearchOptions {
            limit: 100,
            ..options
        };
        let hits = engine.rank(&legs, &all).expect("ranked");
        let bound = f64::from(legs.keyword_bound);
        let mut keyword_only = 0;
        for hit in &hits {
            let r = &hit.ranking;
            if r.keyword_rank.is_none() {
                continue;
            }
            let cosine = f64::from(r.semantic_score.expect("every keyword hit has a cosine"));
            let bm25 = f64::from(r.keyword_score.expect("keyword score"));
            let expected = alpha * cosine + (1.0 - alpha) * (bm25 / bound).min(1.0);
            assert!((r.score - expected).abs() < 1e-6, "{r:?}");
            assert!((r.semantic_part + r.keyword_part - r.score).abs() < 1e-9);
            let explained =
                crate::search::results::explain(hit, Mode::Hybrid, options.fusion, None);
            let semantic = explained.semantic.expect("a cosine, so a semantic part");
            if r.semantic_rank
                .is_some_and(|rank| rank > legs.semantic.len())
            {
                keyword_only += 1;
                assert!(r.semantic_part > 0.0, "{r:?}");
                // The explanation says the leg did not return it.
                assert_eq!(semantic.past_top, Some(legs.semantic.len()), "{r:?}");
            } else {
                assert_eq!(semantic.past_top, None, "{r:?}");
            }
        }
        assert_eq!(keyword_only, legs.keyword_cosines.len());

        // With word feedback (the default) a paper that only the fed-back
        // words found gets its cosine too, and the three parts are each
        // leg's score over its bound, adding up to the score.
        let fed = SearchOptions {
            word_feedback: DEFAULT_WORD_FEEDBACK,
            ..all
        };
        let feedback = fed.word_feedback.expect("on by default");
        let hits = engine.rank(&legs, &fed).expect("ranked");
        let used = hits[0].word_feedback.clone().expect("words fed back");
        let query_words = engine
            .keyword
            .analysed_words(query)
            .expect("analysed")
            .expect("the local index analyses");
        assert!(
            used.words.iter().all(|(w, _)| !query_words.contains(w)),
            "{used:?}"
        );
        let mut words_only = 0;
        for hit in &hits {
            let r = &hit.ranking;
            let cosine = f64::from(r.semantic_score.expect("every fused paper has a cosine"));
            let bm25 = f64::from(r.keyword_score.unwrap_or(0.0));
            let fed_back = f64::from(r.feedback_score.unwrap_or(0.0));
            let expected = alpha * cosine
                + (1.0 - alpha)
                    * (feedback.keep * (bm25 / bound).min(1.0)
                        + (1.0 - feedback.keep) * (fed_back / f64::from(used.bound)).min(1.0));
            assert!((r.score - expected).abs() < 1e-6, "{r:?}");
            let parts = r.semantic_part + r.keyword_part + r.feedback_part;
            assert!((parts - r.score).abs() < 1e-9, "{r:?}");
            words_only += usize::from(r.keyword_rank.is_none() && r.feedback_rank.is_some());
        }
        assert!(
            words_only > 0,
            "the fed-back words found no paper of their own"
        );
    }

    /// Index-format compatibility: an index this version builds is read
    /// back as it is; one whose manifest names an older schema is rebuilt
    /// on open (and then answers), never misread.
    #[test]
    fn an_index_of_an_older_schema_is_rebuilt_and_this_versions_is_read_back() {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let events = Events::new(move |e| {
            if let Event::Building { reason, .. } = e {
                log.lock().expect("log").push(reason.clone());
            }
        });
        let Some((dir, config)) = config_in_temp_dir(events) else {
            return;
        };
        let sources = Sources::shipped();
        let built = Engine::open(&config, &sources, Mode::Keyword).expect("built");
        let papers = built.papers().len();
        drop(built);
        let reopened = Engine::open(&config, &sources, Mode::Keyword).expect("read back");
        assert_eq!(reopened.papers().len(), papers);
        assert_eq!(
            seen.lock().expect("log").len(),
            1,
            "read back without a rebuild"
        );
        drop(reopened);

        let generation = IndexDir::new(dir.path())
            .current()
            .expect("a live generation");
        let manifest_path = generation.join("manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest"))
                .expect("json");
        manifest["schema_version"] = serde_json::json!(crate::index::store::SCHEMA_VERSION - 1);
        std::fs::write(&manifest_path, manifest.to_string()).expect("rewrite manifest");

        let rebuilt = Engine::open(&config, &sources, Mode::Keyword).expect("rebuilt");
        let reasons = seen.lock().expect("log").clone();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[1].contains("schema"), "{reasons:?}");
        let options = SearchOptions {
            mode: Mode::Keyword,
            ..SearchOptions::default()
        };
        let hits = rebuilt.search("LLaVA-PruMerge", &options).expect("search");
        assert_eq!(hits[0].paper.id, "arxiv2024-llava-prumerge");
        assert_eq!(
            rebuilt.manifest().schema_version,
            crate::index::store::SCHEMA_VERSION
        );
    }
}
