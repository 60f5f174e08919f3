//! JSONL out: the fields of a search hit (`id`, `tags`, `title`, `authors`,
//! `year`, `venue`, `sections`, `arxiv_id`, `doi`, `url`, `links`,
//! `abstract`) and the BibTeX entry when a source had one; the JSONL reader
//! takes every one of them back.

use std::io::Write;

use serde::Serialize;

use crate::paper::{BibEntry, Link, Paper};

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    tags: &'a [String],
    title: &'a str,
    authors: &'a [String],
    year: Option<u16>,
    venue: Option<&'a str>,
    sections: &'a [String],
    arxiv_id: Option<&'a str>,
    doi: Option<&'a str>,
    url: Option<&'a str>,
    links: &'a [Link],
    #[serde(rename = "abstract")]
    abstract_text: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    keywords: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    bibtex: Option<&'a BibEntry>,
}

/// Writes one paper as one line.
pub(crate) fn write_row(out: &mut impl Write, p: &Paper) -> std::io::Result<()> {
    let row = Row {
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
        keywords: &p.keywords,
        bibtex: p.bibtex.as_ref(),
    };
    serde_json::to_writer(&mut *out, &row)?;
    writeln!(out)
}
