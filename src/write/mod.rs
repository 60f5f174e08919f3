//! Writers: the inverse of `read/`. A collection goes out as JSONL (the
//! fields of a search hit, plus the BibTeX entry when a source had one, so
//! it reads back as the same collection), BibTeX a user can cite from (their
//! citation keys, entry types and fields kept) or Markdown in the shipped
//! list's style. `mmsearch export` and `search --format bibtex` share them.

pub mod bibtex;
pub mod jsonl;
pub mod markdown;

use std::io::Write;

use crate::paper::Paper;

/// The formats `mmsearch export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object a line (reads back with the JSONL reader).
    Jsonl,
    /// BibTeX entries.
    Bibtex,
    /// A Markdown list in the shipped list's style.
    Markdown,
}

/// Writes every paper in `format`.
pub fn write(out: &mut impl Write, format: ExportFormat, papers: &[Paper]) -> std::io::Result<()> {
    match format {
        ExportFormat::Jsonl => {
            for paper in papers {
                jsonl::write_row(out, paper)?;
            }
            Ok(())
        }
        ExportFormat::Bibtex => {
            for (i, paper) in papers.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                out.write_all(bibtex::entry(paper).as_bytes())?;
            }
            Ok(())
        }
        ExportFormat::Markdown => markdown::write_list(out, papers),
    }
}
