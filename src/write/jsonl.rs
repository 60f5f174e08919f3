//! JSONL out: the fields of a search hit (`id`, `tags`, `title`, `authors`,
//! `year`, `venue`, `sections`, `arxiv_id`, `doi`, `url`, `links`,
//! `abstract`) and the BibTeX entry when a source had one; the JSONL reader
//! takes every one of them back.

use std::io::Write;

use serde::Serialize;

use crate::paper::{BibEntry, Paper, PaperView};

/// What a search hit shows of a paper, plus what only a collection's own
/// files carry (BibTeX keywords and entry), so an export reads back whole.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    paper: PaperView<'a>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    keywords: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    bibtex: Option<&'a BibEntry>,
}

/// Writes one paper as one line.
pub(crate) fn write_row(out: &mut impl Write, p: &Paper) -> std::io::Result<()> {
    let row = Row {
        paper: PaperView::from(p),
        keywords: &p.keywords,
        bibtex: p.bibtex.as_ref(),
    };
    serde_json::to_writer(&mut *out, &row)?;
    writeln!(out)
}
