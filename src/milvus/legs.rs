//! The two legs answered by Milvus: BM25 full-text search over the text
//! fields (Milvus's BM25 functions and sparse indexes, summed with the
//! embedded leg's field weights) and cosine search over
//! the stored vectors (inner product of unit vectors, exact FLAT index), each
//! behind the trait the embedded legs implement.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use milvus::query::{QueryOptions, SearchOptions};
use milvus::value::Value;

use super::generation::{BM25_K1, TEXT_FIELDS, sparse_field};
use super::{Remote, expr};
use crate::error::Result;
use crate::index::keyword::KeywordIndex;
use crate::index::{DocId, KeywordLeg, Ranked, VectorLeg};
use crate::paper::filter::Filter;
use crate::paper::normalize_key;

/// The most hits Milvus returns for one search.
const MAX_TOP_K: usize = 16_384;
/// Beyond this many distinct words a query adds nothing but requests.
const MAX_BOUND_WORDS: usize = 64;
/// More-Like-This sends the seeds' text as the query, cut to this length.
const MAX_SIMILAR_QUERY: usize = 8_000;

/// The hits of a search as `(document, score)`; an empty answer (Milvus
/// reports "no IDs") is no hits.
fn ranked(
    remote: &Remote,
    what: &str,
    collection: &str,
    data: Value<'_>,
    options: SearchOptions,
) -> Result<Ranked> {
    let answer = remote.call(what, |c| c.search(collection, vec![data], Some(options)));
    let results = match answer {
        Ok(results) => results,
        Err(crate::error::Error::Backend { what, .. })
            if what.contains("no IDs in search result") =>
        {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for result in results {
        for (id, score) in result.id.iter().zip(&result.score) {
            if let Value::Long(id) = id
                && let Ok(doc) = usize::try_from(*id)
            {
                out.push((doc, *score));
            }
        }
    }
    Ok(out)
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
}

impl MilvusKeyword {
    pub(crate) fn new(remote: Arc<Remote>, collection: String, documents: usize) -> Result<Self> {
        Ok(MilvusKeyword {
            remote,
            collection,
            documents,
            snippets: KeywordIndex::empty()?,
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
        let options = SearchOptions::new()
            .anns_field(vec![sparse.to_string()])
            .limit(limit.clamp(1, MAX_TOP_K))
            .add_param("metric_type", "BM25");
        ranked(
            &self.remote,
            "keyword search",
            &self.collection,
            Value::from(text.to_string()),
            with_filter(options, filter),
        )
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

    /// How many documents hold `word`: the hits of a BM25 search for it
    /// alone (Milvus Lite 2.5 answers no `TEXT_MATCH` query). Capped at
    /// Milvus's largest answer, which only makes a very common word's idf,
    /// and so the bound, a little larger.
    fn document_frequency(&self, sparse: &str, word: &str) -> Result<usize> {
        Ok(self
            .field_search(sparse, word, self.documents.min(MAX_TOP_K), None)?
            .iter()
            .filter(|(_, score)| *score > 0.0)
            .count())
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
        let n = self.documents as f32;
        let mut bound = 0.0f32;
        for (field, boost) in TEXT_FIELDS {
            let sparse = sparse_field(field);
            for word in &words {
                let df = self.document_frequency(&sparse, word)? as f32;
                if df > 0.0 {
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    bound += boost * idf * (BM25_K1 + 1.0);
                }
            }
        }
        Ok(bound)
    }

    /// Milvus has no More-Like-This: the seeds' own text is the BM25 query.
    fn more_like_this(&self, texts: &[&str], limit: usize) -> Result<Ranked> {
        let mut text = texts.join("\n");
        if text.len() > MAX_SIMILAR_QUERY {
            let mut end = MAX_SIMILAR_QUERY;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        self.text_search(&text, limit, None)
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
        let options = SearchOptions::new()
            .anns_field(vec!["dense".to_string()])
            .limit(limit.clamp(1, MAX_TOP_K))
            .add_param("metric_type", "IP");
        ranked(
            &self.remote,
            "vector search",
            &self.collection,
            Value::from(query.to_vec()),
            with_filter(options, filter),
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
