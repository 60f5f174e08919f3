//! Readers: each turns one kind of paper list into unmerged `Paper`
//! entries plus warnings naming the lines it skipped. `Source` holds a
//! file's text (so its hash is cheap) and `SourceFormat` says which reader
//! applies.

pub mod beir;
pub mod bibtex;
pub mod jsonl;
pub mod latex;
pub mod markdown;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The formats mmsearch reads a paper list from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// An awesome-list in Markdown (`**(*CVPR2024_Tag*) Title.**`, authors, links).
    Markdown,
    /// One JSON object a line: title, authors, year, venue, abstract, arxiv_id, doi, url, tags.
    Jsonl,
    /// A BibTeX file (Zotero, Google Scholar or hand-kept).
    Bibtex,
    /// A BEIR `corpus.jsonl` (`_id`, `title`, `text`).
    Beir,
}

impl SourceFormat {
    /// The format a file's name implies: `.md`, `.jsonl`/`.json`/`.ndjson`
    /// (`corpus.jsonl` is BEIR), `.bib`.
    pub(crate) fn from_path(path: &Path) -> Result<SourceFormat> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let extension = name.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
        match extension {
            "md" | "markdown" => Ok(SourceFormat::Markdown),
            "bib" | "bibtex" => Ok(SourceFormat::Bibtex),
            "jsonl" | "json" | "ndjson" if name == "corpus.jsonl" => Ok(SourceFormat::Beir),
            "jsonl" | "json" | "ndjson" => Ok(SourceFormat::Jsonl),
            _ => Err(Error::Source {
                path: path.into(),
                message: "cannot tell the format from the file name; pass --source-format \
                          markdown|jsonl|bibtex|beir"
                    .into(),
            }),
        }
    }
}

/// One input of a collection, held as text so its hash is cheap and a
/// changed source is noticed.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path (or "shipped list") shown in messages.
    pub name: String,
    /// The file format.
    pub format: SourceFormat,
    /// Text.
    pub text: String,
    /// Bytes that were not UTF-8 were replaced when reading (a warning
    /// when the collection is built).
    pub lossy: bool,
}

impl Source {
    /// Reads a file. Bytes that are not UTF-8 are replaced (and `lossy` set)
    /// rather than refusing the file.
    pub fn read(path: &Path, format: SourceFormat) -> Result<Source> {
        let bytes = std::fs::read(path).map_err(|source| Error::SourceUnreadable {
            path: path.into(),
            source,
            remembered: false,
        })?;
        let (text, lossy) = match String::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        Ok(Source {
            name: path.display().to_string(),
            format,
            text,
            lossy,
        })
    }

    /// Text given in memory (the shipped list, a BEIR corpus).
    pub fn text(name: impl Into<String>, format: SourceFormat, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            format,
            text: text.into(),
            lossy: false,
        }
    }
}

#[cfg(test)]
mod tests;
