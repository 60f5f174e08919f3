//! The two legs answered by Milvus: BM25 full-text search over the text
//! fields (Milvus's BM25 functions and sparse indexes, summed with the
//! embedded leg's field weights) and cosine search over
//! the stored vectors (inner product of unit vectors, exact FLAT index), each
//! behind the trait the embedded legs implement.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use milvus::query::{QueryOptions, SearchOptions};
use milvus::value::Value;

use super::generation::{BM25_K1, TEXT_FIELDS, sparse_field};
use super::{Remote, expr};
use crate::error::Result;
use crate::index::keyword::{FEEDBACK_FIELDS, KeywordIndex, MLT_FIELDS, more_like_this_choice};
use crate::index::{DocId, KeywordLeg, Ranked, VectorLeg};
use crate::paper::filter::Filter;
use crate::paper::normalize_key;

/// The most hits Milvus returns for one search.
const MAX_TOP_K: usize = 16_384;
/// Beyond this many distinct words a query adds nothing but requests.
const MAX_BOUND_WORDS: usize = 64;
/// More-Like-This weighs at most this many of the seeds' words (the most
/// frequent), each a frequency search.
const MLT_CANDIDATES: usize = 256;
/// Hits one batched request may return (queries × limit), well inside
/// gRPC's 4 MiB answer at 12 bytes a hit.
const MAX_BATCH_HITS: usize = 8 * MAX_TOP_K;
/// Words whose document frequency or written form is remembered before the
/// memory is cleared (a server meets new ones without end).
const REMEMBERED_WORDS: usize = 65_536;

/// The hits of a search as `(document, score)`; an empty answer (Milvus
/// reports "no IDs") is no hits.
fn ranked(
    remote: &Remote,
    what: &str,
    collection: &str,
    data: Value<'_>,
    options: SearchOptions,
) -> Result<Ranked> {
    Ok(ranked_each(remote, what, collection, vec![data], options)?
        .into_iter()
        .flatten()
        .collect())
}

/// The hits of one request searching several queries at once (Milvus's
/// `nq`), one ranking per query in order.
fn ranked_each(
    remote: &Remote,
    what: &str,
    collection: &str,
    data: Vec<Value<'_>>,
    options: SearchOptions,
) -> Result<Vec<Ranked>> {
    let queries = data.len();
    let answer = remote.call(what, |c| c.search(collection, data, Some(options)));
    let results = match answer {
        Ok(results) => results,
        Err(crate::error::Error::Backend { what, .. })
            if what.contains("no IDs in search result") =>
        {
            return Ok(vec![Vec::new(); queries]);
        }
        Err(e) => return Err(e),
    };
    let mut out: Vec<Ranked> = results
        .into_iter()
        .map(|result| {
            result
                .id
                .iter()
                .zip(&result.score)
                .filter_map(|(id, score)| match id {
                    Value::Long(id) => usize::try_from(*id).ok().map(|doc| (doc, *score)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    out.resize(queries, Vec::new());
    Ok(out)
}

/// A search of one vector field (`dense`, or a text field's BM25 output)
/// for the best `limit`, within `filter`.
fn search_options(
    field: &str,
    metric: &str,
    limit: usize,
    filter: Option<String>,
) -> SearchOptions {
    let options = SearchOptions::new()
        .anns_field(vec![field.to_string()])
        .limit(limit.clamp(1, MAX_TOP_K))
        .add_param("metric_type", metric);
    with_filter(options, filter)
}

fn with_filter(options: SearchOptions, filter: Option<String>) -> SearchOptions {
    match filter {
        Some(f) if !f.is_empty() => options.filter(f),
        _ => options,
    }
}

/// The filter as an expression, else the allowed documents by id.
fn where_clause(filter: &Filter, allowed: &[DocId]) -> String {
    expr::filter(filter)
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| expr::ids(allowed))
}

/// BM25 in Milvus.
pub(crate) struct MilvusKeyword {
    remote: Arc<Remote>,
    collection: String,
    documents: usize,
    /// Analysers and snippets, no papers (see `KeywordIndex::empty`).
    snippets: KeywordIndex,
    /// Per analysed word, a word of the papers' text it was read from:
    /// Milvus analyses what it is sent, and a stem is not always its own
    /// stem, so word feedback sends the written word.
    written: Mutex<HashMap<String, String>>,
    /// Document frequency per (BM25 field, word): a generation's collection
    /// never changes, and each one costs a search.
    frequencies: Mutex<HashMap<(String, String), usize>>,
}

impl MilvusKeyword {
    pub(crate) fn new(remote: Arc<Remote>, collection: String, documents: usize) -> Result<Self> {
        Ok(MilvusKeyword {
            remote,
            collection,
            documents,
            snippets: KeywordIndex::empty()?,
            written: Mutex::default(),
            frequencies: Mutex::default(),
        })
    }

    /// One field's BM25 ranking of `text`.
    fn field_search(
        &self,
        sparse: &str,
        text: &str,
        limit: usize,
        filter: Option<String>,
    ) -> Result<Ranked> {
        Ok(self
            .field_search_each(sparse, &[text.to_string()], limit, filter)?
            .into_iter()
            .flatten()
            .collect())
    }

    /// BM25 over every text field, each weighted as the embedded leg weighs
    /// it, summed per document (tantivy's sum over fields): the best `limit`.
    fn text_search(&self, text: &str, limit: usize, filter: Option<String>) -> Result<Ranked> {
        if !text.chars().any(char::is_alphanumeric) {
            return Ok(Vec::new());
        }
        let mut total: HashMap<DocId, f32> = HashMap::new();
        for (field, boost) in TEXT_FIELDS {
            for (doc, score) in
                self.field_search(&sparse_field(field), text, limit, filter.clone())?
            {
                *total.entry(doc).or_insert(0.0) += boost * score;
            }
        }
        let mut ranked: Ranked = total.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        Ok(ranked)
    }

    /// How many documents hold each of `words` in one BM25 field: the hits
    /// of a search for the word alone (Milvus Lite 2.5 answers no
    /// `TEXT_MATCH` query), several words to a request, remembered. Capped
    /// at Milvus's largest answer, which only makes a very common word's
    /// idf, and so the bound, a little larger.
    fn document_frequencies(&self, sparse: &str, words: &[String]) -> Result<Vec<usize>> {
        let key = |word: &String| (sparse.to_string(), word.clone());
        let mut known: Vec<Option<usize>> = {
            let memory = self.frequencies.lock().ok();
            words
                .iter()
                .map(|w| memory.as_ref().and_then(|m| m.get(&key(w)).copied()))
                .collect()
        };
        let missing: Vec<String> = words
            .iter()
            .zip(&known)
            .filter(|(_, df)| df.is_none())
            .map(|(w, _)| w.clone())
            .collect();
        let limit = self.documents.clamp(1, MAX_TOP_K);
        let mut counted = Vec::with_capacity(missing.len());
        for chunk in missing.chunks((MAX_BATCH_HITS / limit).max(1)) {
            for hits in self.field_search_each(sparse, chunk, limit, None)? {
                counted.push(hits.iter().filter(|(_, score)| *score > 0.0).count());
            }
        }
        if let Ok(mut memory) = self.frequencies.lock() {
            if memory.len() + counted.len() > REMEMBERED_WORDS {
                memory.clear();
            }
            for (word, df) in missing.iter().zip(&counted) {
                memory.insert(key(word), *df);
            }
        }
        let mut counted = counted.into_iter();
        for df in known.iter_mut().filter(|df| df.is_none()) {
            *df = counted.next();
        }
        Ok(known.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// One field's BM25 ranking of each of `texts`, one request.
    fn field_search_each(
        &self,
        sparse: &str,
        texts: &[String],
        limit: usize,
        filter: Option<String>,
    ) -> Result<Vec<Ranked>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        ranked_each(
            &self.remote,
            "keyword search",
            &self.collection,
            texts.iter().map(|t| Value::from(t.clone())).collect(),
            search_options(sparse, "BM25", limit, filter),
        )
    }

    /// `(field, word as sent, weight)` each searched alone (one batched
    /// request per field and up to `MAX_BATCH_HITS` hits), their BM25
    /// times their weight summed per paper: BM25 is a sum over words, so
    /// this is the weighted query's score for every paper in some word's
    /// top `limit`. The best `limit`.
    fn weighted_search(&self, words: &[(&str, &str, f32)], limit: usize) -> Result<Ranked> {
        let per_word = limit.clamp(1, MAX_TOP_K);
        let mut total: HashMap<DocId, f32> = HashMap::new();
        for (field, _) in TEXT_FIELDS {
            let (weights, sent): (Vec<f32>, Vec<String>) = words
                .iter()
                .filter(|(f, _, _)| f == field)
                .map(|(_, word, weight)| (*weight, word.to_string()))
                .unzip();
            let sparse = sparse_field(field);
            let mut searched = Vec::with_capacity(sent.len());
            for chunk in sent.chunks((MAX_BATCH_HITS / per_word).max(1)) {
                searched.extend(self.field_search_each(&sparse, chunk, per_word, None)?);
            }
            for (weight, hits) in weights.into_iter().zip(searched) {
                for (doc, score) in hits {
                    *total.entry(doc).or_insert(0.0) += weight * score;
                }
            }
        }
        let mut ranked: Ranked = total.into_iter().filter(|(_, s)| *s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        Ok(ranked)
    }

    /// BM25's idf for a word in `df` of the collection's documents.
    fn idf(&self, df: usize) -> f32 {
        let (n, df) = (self.documents as f32, df as f32);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

impl KeywordLeg for MilvusKeyword {
    fn search(&self, query: &str, limit: usize) -> Result<Ranked> {
        self.text_search(query, limit, None)
    }

    fn search_where(
        &self,
        query: &str,
        filter: &Filter,
        allowed: &[DocId],
        limit: usize,
    ) -> Result<Ranked> {
        if allowed.is_empty() {
            return Ok(Vec::new());
        }
        self.text_search(query, limit, Some(where_clause(filter, allowed)))
    }

    fn exact(&self, query: &str) -> Result<Vec<DocId>> {
        let key = normalize_key(query);
        let Some(filter) = (!key.is_empty()).then(|| expr::key(&key)).flatten() else {
            return Ok(Vec::new());
        };
        let options = QueryOptions::new().output_fields(vec!["id".to_string()]);
        let columns = self.remote.call("exact lookup", |c| {
            c.query(self.collection.as_str(), &filter, &options)
        })?;
        let mut docs: Vec<DocId> = columns
            .into_iter()
            .filter(|c| c.name == "id")
            .filter_map(|c| Vec::<i64>::try_from(c.value).ok())
            .flatten()
            .filter_map(|id| usize::try_from(id).ok())
            .collect();
        docs.sort_unstable();
        Ok(docs)
    }

    /// As the embedded leg's: each query word the collection holds at
    /// saturation, `idf * (k1 + 1)`, with its document frequency counted by
    /// a search for the word alone (so with the same analyser).
    fn bound(&self, query: &str) -> Result<f32> {
        let mut seen = HashSet::new();
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| !w.is_empty() && seen.insert(w.clone()))
            .take(MAX_BOUND_WORDS)
            .collect();
        let mut bound = 0.0f32;
        for (field, boost) in TEXT_FIELDS {
            for df in self.document_frequencies(&sparse_field(field), &words)? {
                if df > 0 {
                    bound += boost * self.idf(df) * (BM25_K1 + 1.0);
                }
            }
        }
        Ok(bound)
    }

    /// The local analyser's words (Milvus's `english` analyser is tantivy's
    /// English stemmer and stop words too), each remembered with the word
    /// it was read from, which is what `search_words` sends.
    fn analysed_words(&self, text: &str) -> Result<Option<Vec<String>>> {
        let words = self.snippets.analysed_words_as_written(text)?;
        if let Ok(mut written) = self.written.lock() {
            if written.len() + words.len() > REMEMBERED_WORDS {
                written.clear();
            }
            for (word, as_written) in &words {
                written
                    .entry(word.clone())
                    .or_insert_with(|| as_written.clone());
            }
        }
        Ok(Some(words.into_iter().map(|(word, _)| word).collect()))
    }

    /// The words as written, in `FEEDBACK_FIELDS` at the field's boost
    /// times their weight (`weighted_search`); the bound as the embedded
    /// leg's: every word the field holds at saturation.
    fn search_words(&self, words: &[(String, f32)], limit: usize) -> Result<(Ranked, f32)> {
        let sent: Vec<String> = {
            let written = self.written.lock().ok();
            words
                .iter()
                .map(|(word, _)| {
                    written
                        .as_ref()
                        .and_then(|m| m.get(word).cloned())
                        .unwrap_or_else(|| word.clone())
                })
                .collect()
        };
        let mut bound = 0.0f32;
        let mut weighted: Vec<(&str, &str, f32)> = Vec::new();
        for (field, boost) in TEXT_FIELDS
            .iter()
            .filter(|(f, _)| FEEDBACK_FIELDS.contains(f))
        {
            let frequencies = self.document_frequencies(&sparse_field(field), &sent)?;
            for (((_, weight), df), as_sent) in words.iter().zip(&frequencies).zip(&sent) {
                if *df > 0 {
                    bound += boost * weight * self.idf(*df) * (BM25_K1 + 1.0);
                }
                weighted.push((field, as_sent, boost * weight));
            }
        }
        Ok((self.weighted_search(&weighted, limit)?, bound))
    }

    /// More-Like-This as the embedded leg has it (the seeds' title and
    /// text words scored by count × idf, the best 30 searched, each
    /// weighted by its score over the best), its frequencies from Milvus;
    /// only the `MLT_CANDIDATES` most frequent words are considered, each
    /// costing a frequency search. Milvus scores each word by BM25 where
    /// tantivy's More-Like-This ignores how often a paper has it.
    fn more_like_this(&self, texts: &[&str], limit: usize) -> Result<Ranked> {
        let mut words = self.snippets.more_like_this_words(texts)?;
        if words.len() > MLT_CANDIDATES {
            let mut by_count: Vec<usize> = (0..words.len()).collect();
            by_count.sort_by(|&a, &b| words[b].count.cmp(&words[a].count).then(a.cmp(&b)));
            let mut keep = vec![false; words.len()];
            for i in by_count.into_iter().take(MLT_CANDIDATES) {
                keep[i] = true;
            }
            let mut kept = keep.into_iter();
            words.retain(|_| kept.next().unwrap_or(false));
        }
        let mut frequencies = vec![0u64; words.len()];
        for field in MLT_FIELDS {
            let (rows, sent): (Vec<usize>, Vec<String>) = words
                .iter()
                .enumerate()
                .filter(|(_, w)| w.field == field)
                .map(|(i, w)| (i, w.written.clone()))
                .unzip();
            let found = self.document_frequencies(&sparse_field(field), &sent)?;
            for (row, df) in rows.into_iter().zip(found) {
                frequencies[row] = df as u64;
            }
        }
        let chosen = more_like_this_choice(words, &frequencies, self.documents as u64);
        let weighted: Vec<(&str, &str, f32)> = chosen
            .iter()
            .map(|(w, weight)| (w.field, w.written.as_str(), *weight))
            .collect();
        self.weighted_search(&weighted, limit)
    }

    fn snippet(
        &self,
        query: &str,
        text: &str,
        max_chars: usize,
    ) -> Result<Option<tantivy::snippet::Snippet>> {
        self.snippets.snippet(query, text, max_chars)
    }

    fn documents(&self) -> usize {
        self.documents
    }
}

/// Cosine search in Milvus.
pub(crate) struct MilvusVector {
    remote: Arc<Remote>,
    collection: String,
    documents: usize,
    dimensions: usize,
}

impl MilvusVector {
    pub(crate) fn new(
        remote: Arc<Remote>,
        collection: String,
        documents: usize,
        dimensions: usize,
    ) -> Self {
        MilvusVector {
            remote,
            collection,
            documents,
            dimensions,
        }
    }

    fn nearest(&self, query: &[f32], limit: usize, filter: Option<String>) -> Result<Ranked> {
        ranked(
            &self.remote,
            "vector search",
            &self.collection,
            Value::from(query.to_vec()),
            search_options("dense", "IP", limit, filter),
        )
    }
}

impl VectorLeg for MilvusVector {
    fn search(&self, query: &[f32], limit: usize) -> Result<Ranked> {
        self.nearest(query, limit, None)
    }

    fn search_where(
        &self,
        query: &[f32],
        filter: &Filter,
        allowed: &[DocId],
        limit: usize,
    ) -> Result<Ranked> {
        if allowed.is_empty() {
            return Ok(Vec::new());
        }
        self.nearest(query, limit, Some(where_clause(filter, allowed)))
    }

    fn vector(&self, doc: DocId) -> Option<Vec<f32>> {
        let options = QueryOptions::new().output_fields(vec!["dense".to_string()]);
        let filter = format!("id == {doc}");
        let columns = self
            .remote
            .call("reading a vector", |c| {
                c.query(self.collection.as_str(), &filter, &options)
            })
            .ok()?;
        columns
            .into_iter()
            .find(|c| c.name == "dense")
            .and_then(|c| Vec::<f32>::try_from(c.value).ok())
            .filter(|v| v.len() == self.dimensions)
    }

    fn vectors(&self) -> Result<Vec<Option<Vec<f32>>>> {
        super::generation::vectors(
            &self.remote,
            &self.collection,
            self.documents,
            self.dimensions,
        )
    }

    fn cosines(&self, query: &[f32], docs: &[DocId]) -> Result<Ranked> {
        // One filtered search per chunk instead of one vector read per paper:
        // Milvus scores exactly the papers the filter names.
        let mut out = Vec::with_capacity(docs.len());
        for chunk in docs.chunks(MAX_TOP_K) {
            out.extend(self.nearest(query, chunk.len(), Some(expr::ids(chunk)))?);
        }
        Ok(out)
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn documents(&self) -> usize {
        self.documents
    }
}
