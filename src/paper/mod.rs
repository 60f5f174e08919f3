//! What mmsearch knows about one paper, and the identity rules every part
//! agrees on: the document id (`Paper::id`, the same in papers.json, tantivy's
//! `ord` field and the vector index's row), slugs and lookup keys, and the
//! arXiv-id and DOI normalisers that decide when two entries are one paper.

pub mod arxiv_id;
pub mod doi;
pub mod filter;

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// One paper as mmsearch knows it, after duplicate entries have been merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    /// Stable, unique id: the first tag, lower-cased, with every run of
    /// non-alphanumerics turned into `-` (e.g. `arxiv2024-llava-prumerge`).
    pub id: String,
    /// Every list tag this paper was filed under, e.g. `arXiv2023_Llama 2`.
    pub tags: Vec<String>,
    /// The title.
    pub title: String,
    /// The authors, in order.
    pub authors: Vec<String>,
    /// Venue from the first tag (`CVPR`, `arXiv`, `blog`...).
    pub venue: Option<String>,
    /// The year.
    pub year: Option<u16>,
    /// Every list section the paper appears in.
    pub sections: Vec<String>,
    /// The arXiv id without version.
    pub arxiv_id: Option<String>,
    /// The DOI as written (`10.1109/CVPR.2016.90`; compared through
    /// `doi::key`), when a source gives one.
    #[serde(default)]
    pub doi: Option<String>,
    /// Every link the sources give.
    pub links: Vec<Link>,
    /// The abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: Option<String>,
    /// The BibTeX entry as a BibTeX source wrote it, when one did: kept so
    /// an export gives the user's citation key, entry type and fields back,
    /// and so a book is never merged with an article of the same title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bibtex: Option<BibEntry>,
    /// Subject keywords (BibTeX `keywords`, JSONL `keywords`), searched and
    /// shown by `show`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// One BibTeX entry as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BibEntry {
    /// The entry type, lower-cased: `article`, `inproceedings`, `book`, `misc`…
    pub kind: String,
    /// The citation key exactly as written (`Ba.Kiros.Hinton.2016`).
    pub key: String,
    /// The fields as written (names lower-cased, `@string` macros expanded,
    /// LaTeX kept): `title`, `author`, `journal`, `booktitle`, `volume`,
    /// `number`, `pages`, `publisher`, `editor`… The abstract is the paper's.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// What kind of work a BibTeX entry type names, for deciding whether two
/// entries of one title can be one paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkKind {
    /// A whole book or proceedings volume.
    Book,
    /// An article, conference paper or chapter.
    Part,
    /// A thesis.
    Thesis,
    /// Anything else (`misc`, `techreport`, `unpublished`, `online`…): says
    /// nothing either way.
    Other,
}

impl BibEntry {
    /// What kind of work the entry type names.
    pub(crate) fn work_kind(&self) -> WorkKind {
        match self.kind.as_str() {
            "book" | "mvbook" | "booklet" | "proceedings" | "mvproceedings" | "collection"
            | "mvcollection" | "reference" | "mvreference" => WorkKind::Book,
            "article" | "inproceedings" | "conference" | "incollection" | "inbook"
            | "inreference" | "suppbook" | "suppcollection" => WorkKind::Part,
            "phdthesis" | "mastersthesis" | "thesis" => WorkKind::Thesis,
            _ => WorkKind::Other,
        }
    }

    /// A field as written.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Label.
    pub label: String,
    /// Url.
    pub url: String,
}

/// A paper as the JSON outputs show it (search hits, `--format jsonl`,
/// `export --format jsonl`), in one place so they never drift apart; the
/// JSONL reader takes every field back.
#[derive(Debug, Clone, Serialize)]
pub struct PaperView<'a> {
    /// The paper's id.
    pub id: &'a str,
    /// Every tag the paper was filed under.
    pub tags: &'a [String],
    /// The title.
    pub title: &'a str,
    /// The authors.
    pub authors: &'a [String],
    /// The year, when known.
    pub year: Option<u16>,
    /// The venue, when known.
    pub venue: Option<&'a str>,
    /// The list sections it appears in.
    pub sections: &'a [String],
    /// The arXiv id, when known.
    pub arxiv_id: Option<&'a str>,
    /// The DOI, when known.
    pub doi: Option<&'a str>,
    /// The link a reader most likely wants.
    pub url: Option<&'a str>,
    /// Every link.
    pub links: &'a [Link],
    /// The abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: Option<&'a str>,
}

impl<'a> From<&'a Paper> for PaperView<'a> {
    fn from(p: &'a Paper) -> Self {
        PaperView {
            id: &p.id,
            tags: &p.tags,
            title: &p.title,
            authors: &p.authors,
            year: p.year,
            venue: p.venue.as_deref(),
            sections: &p.sections,
            arxiv_id: p.arxiv_id.as_deref(),
            doi: p.doi.as_deref(),
            url: p.main_link(),
            links: &p.links,
            abstract_text: p.abstract_text.as_deref(),
        }
    }
}

impl Paper {
    /// The text that is embedded: title and abstract, or the title alone.
    pub fn embedding_text(&self) -> String {
        match (&self.abstract_text, self.title.is_empty()) {
            (Some(abs), false) => format!("{}. {}", self.title, abs),
            (Some(abs), true) => abs.clone(),
            (None, _) => self.title.clone(),
        }
    }

    /// The link a reader most likely wants: the paper itself, else anything.
    pub fn main_link(&self) -> Option<&str> {
        if let Some(id) = &self.arxiv_id
            && let Some(link) = self.links.iter().find(|l| l.url.contains(id.as_str()))
        {
            return Some(&link.url);
        }
        self.links
            .iter()
            .find(|l| l.label == "paper")
            .or_else(|| self.links.first())
            .map(|l| l.url.as_str())
    }

    /// Ids this paper answers to: its own and the slug of every tag merged into it.
    pub fn aliases(&self) -> Vec<String> {
        let mut out = vec![self.id.clone()];
        for tag in &self.tags {
            let slug = slug(tag);
            if !out.contains(&slug) {
                out.push(slug);
            }
        }
        out
    }

    /// Normalised strings that count as an exact lookup of this paper:
    /// title, every tag and tag name (`LLaVA-PruMerge`), arXiv id, DOI and ids.
    pub fn lookup_keys(&self) -> Vec<String> {
        let mut keys = vec![normalize_key(&self.title)];
        for tag in &self.tags {
            keys.push(normalize_key(tag));
            keys.push(normalize_key(&parse_tag(tag).name));
        }
        if let Some(id) = &self.arxiv_id {
            keys.push(normalize_key(id));
        }
        if let Some(doi) = &self.doi {
            keys.push(normalize_key(doi));
        }
        keys.extend(self.aliases().iter().map(|a| normalize_key(a)));
        keys.retain(|k| !k.is_empty());
        keys.sort();
        keys.dedup();
        keys
    }
}
/// Lower-cases and turns every run of non-alphanumerics into `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Lower-cases and turns every run of non-alphanumerics into one space, so
/// `LLaVA-PruMerge`, `llava prumerge` and `LLaVA PruMerge.` compare equal.
pub(crate) fn normalize_key(text: &str) -> String {
    slug(text).replace('-', " ")
}

/// The parts of a list tag such as `CVPR2024_Chat-UniVi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    /// The venue.
    pub venue: Option<String>,
    /// The year.
    pub year: Option<u16>,
    /// Name.
    pub name: String,
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<venue>[A-Za-z][A-Za-z-]*?)(?P<year>(?:19|20)\d{2})_(?P<name>.+)$")
        .expect("valid regex")
});

/// Parse tag.
pub(crate) fn parse_tag(tag: &str) -> Tag {
    match TAG.captures(tag.trim()) {
        Some(c) => Tag {
            venue: Some(c["venue"].to_string()),
            year: c["year"].parse().ok(),
            name: c["name"].trim().to_string(),
        },
        None => Tag {
            venue: None,
            year: None,
            name: tag.trim().to_string(),
        },
    }
}

/// Adds a link unless the paper has it already; an arXiv link (whatever its
/// label says) also gives the paper its arXiv id.
pub(crate) fn add_link(paper: &mut Paper, label: &str, url: &str) {
    if paper.arxiv_id.is_none()
        && let Some(id) = arxiv_id::find(url)
    {
        paper.arxiv_id = Some(id);
    }
    if !paper.links.iter().any(|l| l.url == url) {
        paper.links.push(Link {
            label: label.trim().to_string(),
            url: url.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_parts() {
        let t = parse_tag("arXiv2023_Llama 2");
        assert_eq!(t.venue.as_deref(), Some("arXiv"));
        assert_eq!(t.year, Some(2023));
        assert_eq!(t.name, "Llama 2");
        assert_eq!(parse_tag("NoYearTag").name, "NoYearTag");
    }

    #[test]
    fn keys_ignore_case_and_punctuation() {
        assert_eq!(normalize_key("LLaVA-PruMerge"), "llava prumerge");
        assert_eq!(normalize_key(" Llama 2 "), "llama 2");
        assert_eq!(slug("arXiv2023_Llama 2"), "arxiv2023-llama-2");
    }
}
