//! Judged queries: the shipped judgments (embedded) and BEIR/TREC ones
//! read from disk, as query texts plus qrels.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::metrics::{self, Qrels};
use crate::error::{Error, Result};

/// Queries of the shipped list's judgments (BEIR layout).
pub const SHIPPED_QUERIES: &str = include_str!("../../index/judgments/queries.jsonl");
/// Graded judgments (2 = about this, 1 = related) over the 78 shipped papers.
pub const SHIPPED_QRELS: &str = include_str!("../../index/judgments/qrels/test.tsv");
/// The shipped list's train split: other queries, judged the same way, for
/// `eval --tune` (the test split is never tuned on).
pub const SHIPPED_TRAIN_QRELS: &str = include_str!("../../index/judgments/qrels/train.tsv");
/// The shipped list's holdout split: queries written blind after the default
/// was chosen, never tuned on or looked at while choosing, so they estimate how
/// the default does on queries nobody has seen.
pub const SHIPPED_HOLDOUT_QRELS: &str = include_str!("../../index/judgments/qrels/holdout.tsv");

/// "Related paper" cases: a paper and the papers related to it (graded).
pub const SHIPPED_RELATED: &str = include_str!("../../index/judgments/related.tsv");

/// Judged queries: the text of each query and the qrels.
#[derive(Debug, Clone)]
pub struct Judgments {
    /// The qrels split.
    pub split: String,
    /// (query id, text), only queries that have judgments, in id order.
    pub queries: Vec<(String, String)>,
    /// The relevance judgments.
    pub qrels: Qrels,
    /// Query id -> category, for queries whose line names a kind
    /// (`metadata.kind`); see `category_of`. Empty for most BEIR sets.
    pub categories: BTreeMap<String, String>,
}

/// The category a query kind is reported under: the shipped judgments'
/// `topic`, `method` and `problem` queries are all "topical"; other kinds
/// (`exact`, `author`, `paraphrase`) are their own category.
pub(crate) fn category_of(kind: &str) -> &str {
    match kind {
        "topic" | "method" | "problem" => "topical",
        other => other,
    }
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
    #[serde(default)]
    metadata: Option<QueryMetadata>,
}

#[derive(Deserialize)]
struct QueryMetadata {
    #[serde(default)]
    kind: Option<String>,
}

/// The category of each query of a BEIR `queries.jsonl` whose line has a
/// `metadata.kind` (lines without one, or unreadable, are left out).
pub(crate) fn parse_categories(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<QueryLine>(line).ok())
        .filter_map(|q| {
            let kind = q.metadata?.kind?;
            Some((q.id, category_of(&kind).to_string()))
        })
        .collect()
}

/// Reads a BEIR `queries.jsonl`; a malformed line is an error naming it.
pub fn parse_queries(text: &str, name: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: QueryLine = serde_json::from_str(line).map_err(|e| Error::Source {
            path: name.into(),
            message: format!("line {}: {e}", n + 1),
        })?;
        out.insert(q.id, q.text);
    }
    Ok(out)
}

impl Judgments {
    /// Keeps the queries that have judgments; a judged query without text is an error.
    pub fn new(split: &str, queries: BTreeMap<String, String>, qrels: Qrels) -> Result<Self> {
        let mut kept = Vec::new();
        for qid in qrels.keys() {
            let text = queries.get(qid).ok_or_else(|| {
                Error::Usage(format!("query {qid} is judged but not in the queries file"))
            })?;
            kept.push((qid.clone(), text.clone()));
        }
        if kept.is_empty() {
            return Err(Error::Usage(format!("no judged queries in split {split}")));
        }
        Ok(Judgments {
            split: split.to_string(),
            queries: kept,
            qrels,
            categories: BTreeMap::new(),
        })
    }

    /// The shipped judgments' test split.
    pub fn shipped() -> Result<Self> {
        Judgments::shipped_split("test")
    }

    /// The shipped judgments' `test` or `train` split.
    pub fn shipped_split(split: &str) -> Result<Self> {
        let (qrels_text, qrels_name) = match split {
            "test" => (SHIPPED_QRELS, "index/judgments/qrels/test.tsv"),
            "train" => (SHIPPED_TRAIN_QRELS, "index/judgments/qrels/train.tsv"),
            "holdout" => (SHIPPED_HOLDOUT_QRELS, "index/judgments/qrels/holdout.tsv"),
            other => {
                return Err(Error::Usage(format!(
                    "the shipped judgments have a test, a train and a holdout split, not {other:?}"
                )));
            }
        };
        let queries = parse_queries(SHIPPED_QUERIES, "index/judgments/queries.jsonl")?;
        let qrels = metrics::parse_qrels(qrels_text, qrels_name)?;
        Ok(Judgments::new(split, queries, qrels)?.with_categories(SHIPPED_QUERIES))
    }

    /// The shipped "related paper" cases: each source paper is a query whose
    /// text is the paper's id, answered by `similar`.
    pub(crate) fn shipped_related() -> Result<Self> {
        let qrels = metrics::parse_qrels(SHIPPED_RELATED, "index/judgments/related.tsv")?;
        let queries = qrels.keys().map(|id| (id.clone(), id.clone())).collect();
        Judgments::new("related", queries, qrels)
    }

    /// Whether a BEIR directory has judgments for `split`.
    pub(crate) fn beir_has_split(dir: &Path, split: &str) -> bool {
        dir.join("qrels").join(format!("{split}.tsv")).is_file()
    }

    /// The categories of this split's judged queries, from the kinds named in
    /// `queries.jsonl` (which holds every split's queries): a split without
    /// some kind (the holdout has no author queries) has no such category.
    fn with_categories(mut self, queries_text: &str) -> Self {
        let mut categories = parse_categories(queries_text);
        categories.retain(|qid, _| self.qrels.contains_key(qid));
        self.categories = categories;
        self
    }

    /// The judgments of the queries in `category` only.
    pub fn category(&self, category: &str) -> Qrels {
        self.qrels
            .iter()
            .filter(|(qid, _)| self.categories.get(*qid).map(String::as_str) == Some(category))
            .map(|(qid, judged)| (qid.clone(), judged.clone()))
            .collect()
    }

    /// Reads `queries.jsonl` and `qrels/<split>.tsv` of a BEIR directory.
    pub fn beir(dir: &Path, split: &str) -> Result<Self> {
        let queries_path = dir.join("queries.jsonl");
        let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
        let queries_text = read(&queries_path)?;
        let qrels_text = read(&qrels_path)?;
        let queries = parse_queries(&queries_text, &queries_path.display().to_string())?;
        let qrels = metrics::parse_qrels(&qrels_text, &qrels_path.display().to_string())?;
        Ok(Judgments::new(split, queries, qrels)?.with_categories(&queries_text))
    }
}

/// Read.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}
