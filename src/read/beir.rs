//! The BEIR `corpus.jsonl` reader, for evaluation corpora such as SciFact.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::paper::Paper;

#[derive(Deserialize)]
struct BeirDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

/// Reads a BEIR `corpus.jsonl`: the document's `_id` is the paper id, its
/// text the abstract. A malformed line is an error naming the line, because
/// a silently smaller corpus would skew every figure computed on it.
pub fn parse_beir_corpus(text: &str, name: &str) -> Result<Vec<Paper>> {
    let mut papers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: BeirDoc = serde_json::from_str(line).map_err(|e| Error::Source {
            path: name.into(),
            message: format!("line {}: {e}", n + 1),
        })?;
        let title = doc.title.trim().to_string();
        let text = doc.text.trim().to_string();
        papers.push(Paper {
            id: doc.id,
            tags: Vec::new(),
            title,
            authors: Vec::new(),
            venue: None,
            year: None,
            sections: Vec::new(),
            arxiv_id: None,
            doi: None,
            links: Vec::new(),
            abstract_text: (!text.is_empty()).then_some(text),
            bibtex: None,
            keywords: Vec::new(),
        });
    }
    Ok(papers)
}
