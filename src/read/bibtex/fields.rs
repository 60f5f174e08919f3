//! One entry's fields → a `Paper`: title, authors, year, venue, links, and
//! the arXiv id and DOI through the shared normalisers.

use std::sync::LazyLock;

use regex::Regex;

use super::names::split_authors;
use crate::paper::{BibEntry, Link, Paper, arxiv_id, doi, slug};
use crate::read::latex::clean_latex;

pub(super) static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9])([0-9]{4})(?:[^0-9]|$)").expect("valid regex"));
/// Journals that are arXiv under another name.
pub(super) static ARXIV_JOURNAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:arxiv|corr)\b").expect("valid regex"));
pub(super) static URL_COMMAND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\url\{([^{}]*)\}").expect("valid regex"));

/// Builds a paper from one entry's fields (lower-cased names, macros
/// expanded, LaTeX still in). `None` when it has no title.
pub(super) fn build_paper(kind: &str, key: &str, fields: &[(String, String)]) -> Option<Paper> {
    let raw = |name: &str| -> Option<&str> {
        fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    };
    let cleaned =
        |name: &str| -> Option<String> { raw(name).map(clean_latex).filter(|v| !v.is_empty()) };

    let title = cleaned("title")?;
    let authors = raw("author").map(split_authors).unwrap_or_default();
    let year = ["year", "date"]
        .iter()
        .find_map(|f| raw(f).and_then(find_year));

    let archive_is_arxiv = ["archiveprefix", "eprinttype"]
        .iter()
        .filter_map(|f| cleaned(f))
        .any(|v| v.eq_ignore_ascii_case("arxiv"));
    let arxiv_id = find_arxiv_id(&raw);

    let journal = cleaned("journal").or_else(|| cleaned("journaltitle"));
    let arxiv_journal = journal
        .as_deref()
        .is_some_and(|j| ARXIV_JOURNAL.is_match(j));
    let is_preprint = archive_is_arxiv || arxiv_journal || arxiv_id.is_some();
    let venue = journal
        .filter(|_| !arxiv_journal)
        .or_else(|| cleaned("booktitle"))
        .or_else(|| is_preprint.then(|| "arXiv".to_string()))
        .or_else(|| {
            ["publisher", "howpublished", "institution", "school"]
                .iter()
                .filter_map(|f| cleaned(f))
                .find(|v| !v.contains("://"))
        });

    let doi = raw("doi").and_then(clean_doi);

    let mut links = Vec::new();
    let url = raw("url")
        .map(clean_verbatim)
        .filter(|u| !u.is_empty())
        .or_else(|| {
            raw("howpublished")
                .and_then(|h| URL_COMMAND.captures(h))
                .and_then(|c| c.get(1))
                .map(|m| clean_verbatim(m.as_str()))
                .filter(|u| !u.is_empty())
        });
    if let Some(url) = url {
        links.push(Link {
            label: "paper".into(),
            url,
        });
    }
    if let Some(doi) = &doi {
        links.push(Link {
            label: "doi".into(),
            url: format!("https://doi.org/{doi}"),
        });
    }
    if let Some(id) = &arxiv_id {
        let has_arxiv_link = links
            .iter()
            .any(|l| l.url.contains("arxiv.org") && l.url.contains(id.as_str()));
        if !has_arxiv_link {
            links.push(Link {
                label: "arXiv".into(),
                url: format!("https://arxiv.org/abs/{id}"),
            });
        }
    }

    let id = match slug(key) {
        s if s.is_empty() => slug(&title),
        s => s,
    };
    let mut tags = if key.is_empty() {
        Vec::new()
    } else {
        vec![key.to_string()]
    };
    // biblatex's `ids`: other keys the entry answers to (`mmsearch export`
    // writes those of entries merged into it).
    for alias in raw("ids").unwrap_or("").split(',').map(str::trim) {
        if !alias.is_empty() && !tags.iter().any(|t| t == alias) {
            tags.push(alias.to_string());
        }
    }
    Some(Paper {
        id,
        tags,
        title,
        authors,
        venue,
        year,
        arxiv_id,
        doi,
        links,
        abstract_text: cleaned("abstract"),
        keywords: cleaned("keywords")
            .map(|k| split_keywords(&k))
            .unwrap_or_default(),
        bibtex: Some(BibEntry {
            kind: kind.to_ascii_lowercase(),
            key: key.to_string(),
            fields: fields
                .iter()
                .filter(|(name, _)| !NOT_KEPT.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.trim().to_string()))
                .collect(),
        }),
        ..Default::default()
    })
}

/// Fields not kept in the paper's `BibEntry`: the abstract is the paper's
/// own, and reference managers' attachment and bookkeeping fields are of no
/// use in a citation.
/// `ids` is read into the paper's tags.
const NOT_KEPT: &[&str] = &["abstract", "file", "annote", "timestamp", "owner", "ids"];

/// `keywords = {a, b; c}` → `["a", "b", "c"]`, each once.
pub(crate) fn split_keywords(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split([',', ';']).map(str::trim) {
        if !word.is_empty() && !out.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push(word.to_string());
        }
    }
    out
}

pub(super) fn find_year(value: &str) -> Option<u16> {
    YEAR.captures(value)
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse().ok())
}

/// The arXiv id, without version: from `eprint` when it is one, else from
/// any field that mentions one (a URL, `arXiv:ID`, the arXiv DOI).
pub(super) fn find_arxiv_id<'a>(raw: &impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    if let Some(id) = raw("eprint").and_then(|e| arxiv_id::parse(&clean_verbatim(e))) {
        return Some(id);
    }
    ["journal", "note", "url", "doi", "howpublished", "eprint"]
        .iter()
        .filter_map(|f| raw(f))
        .find_map(|v| arxiv_id::find(&clean_verbatim(v)))
}

/// The DOI without `https://doi.org/` or `doi:`, as written; `None` unless
/// it looks like a DOI.
pub(super) fn clean_doi(value: &str) -> Option<String> {
    doi::parse(&clean_verbatim(value))
}

/// A URL or identifier: braces dropped, `\_`-style escapes undone,
/// whitespace (from line wrapping) removed. No other LaTeX is applied.
pub(super) fn clean_verbatim(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' => {}
            '\\' => {
                if let Some(&next) = chars.peek()
                    && "_%&#$~{}".contains(next)
                {
                    out.push(next);
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}
