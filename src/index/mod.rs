//! The index: both legs over the same documents, kept on disk crash-safely.
//! `store` owns the directory (generations, lock, manifest), `build` makes a
//! generation from a collection, `keyword` is the tantivy BM25 leg and
//! `vector` the hnsw_rs leg. Each leg answers through a small trait over a
//! `DocId`, so another backend (a Milvus server, say) can answer the same
//! queries without the engine changing.
//!
//! Invariant: a document id is the paper's position in the generation's
//! `papers.json`, tantivy's `ord` field and the vector index's row, all three.

pub mod build;
pub mod keyword;
pub mod store;
pub mod vector;

use crate::error::Result;
use crate::paper::filter::Filter;

/// A document: its position in the collection's papers, the same number in
/// every leg.
pub(crate) type DocId = usize;

/// A leg's answer: `(document, score)`, best first.
pub(crate) type Ranked = Vec<(DocId, f32)>;

/// The first `limit` of `ranked` among `allowed` (sorted): how a leg that
/// scored every match keeps a filter's papers.
pub(crate) fn within(mut ranked: Ranked, allowed: &[DocId], limit: usize) -> Ranked {
    ranked.retain(|(doc, _)| allowed.binary_search(doc).is_ok());
    ranked.truncate(limit);
    ranked
}

/// A text leg: ranks documents for a query's words.
pub trait KeywordLeg: Send + Sync {
    /// The best `limit` documents for `query`, scored by the leg (BM25 here).
    fn search(&self, query: &str, limit: usize) -> Result<Ranked>;
    /// Documents the query names exactly (title, tag, arXiv id, DOI, id).
    fn exact(&self, query: &str) -> Result<Vec<DocId>>;
    /// The highest score `search` could give any document for `query` (a
    /// scale for fusion that does not depend on what matched).
    fn bound(&self, query: &str) -> Result<f32>;
    /// The best `limit` among the documents passing `filter` (`allowed` are
    /// those documents, sorted): every match is scored, so a narrow filter
    /// still fills `limit`. A backend that evaluates `filter` itself may
    /// ignore `allowed`.
    fn search_where(
        &self,
        query: &str,
        filter: &Filter,
        allowed: &[DocId],
        limit: usize,
    ) -> Result<Ranked> {
        let _ = filter;
        Ok(within(
            self.search(query, self.documents())?,
            allowed,
            limit,
        ))
    }
    /// Documents whose text is like `texts` (for `similar`).
    fn more_like_this(&self, texts: &[&str], limit: usize) -> Result<Ranked>;
    /// The words of `text` as title and abstract are analysed, in order,
    /// repeats kept (word feedback counts them); `None` on a backend whose
    /// analyser mmsearch cannot run (Milvus), where search then goes without
    /// word feedback.
    fn analysed_words(&self, text: &str) -> Result<Option<Vec<String>>> {
        let _ = text;
        Ok(None)
    }
    /// The best `limit` documents for analysed `words` (each with its
    /// weight) as BM25 over title and abstract with their boosts, and the
    /// highest score they could give (as `bound`). Only called with words
    /// from `analysed_words`.
    fn search_words(&self, words: &[(String, f32)], limit: usize) -> Result<(Ranked, f32)> {
        let _ = (words, limit);
        Ok((Vec::new(), 0.0))
    }
    /// The best passage of `text` with the query's words highlighted, or
    /// `None` when none occurs.
    fn snippet(
        &self,
        query: &str,
        text: &str,
        max_chars: usize,
    ) -> Result<Option<tantivy::snippet::Snippet>>;
    /// How many documents the leg holds.
    fn documents(&self) -> usize;
}

/// A vector leg: ranks documents by cosine similarity to a unit vector.
pub trait VectorLeg: Send + Sync {
    /// The nearest `limit` documents to `query` (approximately, as the
    /// backend allows), with their cosine similarity.
    fn search(&self, query: &[f32], limit: usize) -> Result<Ranked>;
    /// The nearest `limit` among the documents passing `filter`, exactly;
    /// `allowed` are those documents, sorted (a backend that evaluates
    /// `filter` itself may ignore them).
    fn search_where(
        &self,
        query: &[f32],
        filter: &Filter,
        allowed: &[DocId],
        limit: usize,
    ) -> Result<Ranked>;
    /// The stored vector of a document.
    fn vector(&self, doc: DocId) -> Option<Vec<f32>>;
    /// Every document's stored vector, in document order (for the page's
    /// map); a remote backend reads them in bulk.
    fn vectors(&self) -> Result<Vec<Option<Vec<f32>>>> {
        Ok((0..self.documents()).map(|doc| self.vector(doc)).collect())
    }
    /// The cosine of `query` with each of `docs` that has a stored vector,
    /// exactly (in any order): how hybrid search scores the papers
    /// the keyword leg found beyond this leg's top hits, which would
    /// otherwise count as cosine 0. A remote backend answers in one call.
    fn cosines(&self, query: &[f32], docs: &[DocId]) -> Result<Ranked> {
        Ok(docs
            .iter()
            .filter_map(|&doc| {
                let v = self.vector(doc)?;
                (v.len() == query.len()).then(|| (doc, vector::dot(&v, query)))
            })
            .collect())
    }
    /// Length of the vectors.
    fn dimensions(&self) -> usize;
    /// How many documents the leg holds.
    fn documents(&self) -> usize;
}
