//! Enrichment files (the shipped abstracts, `--abstracts`, the enrich
//! cache): rows keyed by arXiv id, tag or title that fill what a list lacks.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::paper::{Paper, add_link, arxiv_id, doi, normalize_key};

/// What enrichment files know about papers (abstracts, authors, year,
/// DOI, arXiv id), looked up by arXiv id, else by tag, else by title.
#[derive(Debug, Default)]
pub struct Enrichment {
    rows: Vec<EnrichmentRow>,
    by_arxiv: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
    by_title: HashMap<String, usize>,
}

/// One line of an enrichment file: the shipped snapshot's fields, plus
/// what `mmsearch enrich` records from arXiv (`published`, `doi`...).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EnrichmentRow {
    /// The list tag the row was made for (`arXiv2023_LLaMA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The arXiv id without version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arxiv_id: Option<String>,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The authors, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// First-version date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Primary category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_category: Option<String>,
    /// The DOI, as written (compare with `paper::doi::key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    /// Venue year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_year: Option<VenueYear>,
    /// The abstract.
    #[serde(default, rename = "abstract")]
    pub abstract_text: Option<String>,
    /// Set by `enrich` when arXiv does not know the paper, so the next run
    /// does not ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// VenueYear.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VenueYear {
    /// The venue.
    #[serde(default)]
    pub venue: Option<String>,
    /// The year.
    #[serde(default)]
    pub year: Option<u16>,
}

impl EnrichmentRow {
    fn year(&self) -> Option<u16> {
        self.venue_year.as_ref().and_then(|v| v.year).or_else(|| {
            self.published
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok())
        })
    }
}

impl Enrichment {
    /// Reads an enrichment JSONL; a malformed line becomes a warning with
    /// its line number and the good lines are kept. Earlier files win.
    pub fn extend(&mut self, text: &str, name: &str, warnings: &mut Vec<String>) {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut row: EnrichmentRow = match serde_json::from_str(line) {
                Ok(row) => row,
                Err(e) => {
                    warnings.push(format!("{name}:{}: skipped malformed line ({e})", n + 1));
                    continue;
                }
            };
            if row
                .abstract_text
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
            {
                continue;
            }
            row.arxiv_id = row.arxiv_id.as_deref().and_then(arxiv_id::parse);
            row.doi = row.doi.as_deref().and_then(doi::parse);
            let at = self.rows.len();
            if let Some(id) = row.arxiv_id.as_deref() {
                self.by_arxiv.entry(id.to_string()).or_insert(at);
            }
            if let Some(tag) = row.id.as_deref().filter(|t| !t.is_empty()) {
                self.by_tag.entry(tag.to_string()).or_insert(at);
            }
            if let Some(title) = row.title.as_deref().map(normalize_key)
                && !title.is_empty()
            {
                self.by_title.entry(title).or_insert(at);
            }
            self.rows.push(row);
        }
    }

    fn row_for(&self, paper: &Paper) -> Option<&EnrichmentRow> {
        let by_arxiv = paper
            .arxiv_id
            .as_deref()
            .and_then(|id| self.by_arxiv.get(id));
        let by_tag = || paper.tags.iter().find_map(|t| self.by_tag.get(t));
        // A title match must not give a paper another paper's arXiv record.
        let by_title = || {
            self.by_title
                .get(&normalize_key(&paper.title))
                .filter(|&&i| paper.arxiv_id.is_none() || self.rows[i].arxiv_id == paper.arxiv_id)
        };
        by_arxiv
            .or_else(by_tag)
            .or_else(by_title)
            .map(|&i| &self.rows[i])
    }

    /// Fills what `paper` lacks (abstract, authors, year, DOI, arXiv id)
    /// from its row, if it has one. What the list says is kept.
    pub(crate) fn fill(&self, paper: &mut Paper) {
        let Some(row) = self.row_for(paper) else {
            return;
        };
        if paper.abstract_text.is_none() {
            paper.abstract_text = row.abstract_text.clone();
        }
        if paper.authors.is_empty() {
            paper.authors = row.authors.clone();
        }
        if paper.year.is_none() {
            paper.year = row.year();
        }
        if paper.doi.is_none() {
            paper.doi = row.doi.clone();
        }
        if paper.arxiv_id.is_none()
            && let Some(id) = &row.arxiv_id
        {
            paper.arxiv_id = Some(id.clone());
            add_link(paper, "arXiv", &format!("https://arxiv.org/abs/{id}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_enrichment_lines_are_reported_and_skipped() {
        let text =
            "{\"id\":\"a\",\"abstract\":\"x\"}\nnot json\n{\"id\":\"b\",\"abstract\":\"y\"}\n";
        let mut warnings = Vec::new();
        let mut e = Enrichment::default();
        e.extend(text, "f.jsonl", &mut warnings);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("f.jsonl:2:"));
        let mut paper = Paper {
            tags: vec!["b".into()],
            ..Paper::default()
        };
        e.fill(&mut paper);
        assert_eq!(paper.abstract_text.as_deref(), Some("y"));
    }
}
