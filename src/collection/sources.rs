//! What a collection is built from: its lists and enrichment files, held as
//! text and hashed so a changed source is noticed, plus the user's paths the
//! index remembers.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::read::{Source, SourceFormat};

/// The list that ships with mmsearch: the default collection, embedded so a
/// new user gets answers without preparing anything.
pub const SHIPPED_LIST: &str = include_str!("../../index/seed-papers.md");
/// Abstracts for the shipped list (a snapshot of arXiv metadata, CC0).
pub const SHIPPED_ABSTRACTS: &str = include_str!("../../index/seed-abstracts.jsonl");

/// Everything a collection is built from: its paper lists, and enrichment
/// files (JSONL with abstracts and metadata by arXiv id, tag or title) that
/// fill in what the lists lack.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The paper lists.
    pub lists: Vec<Source>,
    /// Enrichment files (abstracts and metadata).
    pub enrichments: Vec<Source>,
    /// The user's files these were read from, remembered with the index;
    /// `None` for the shipped list and evaluation corpora.
    pub paths: Option<SourcePaths>,
}

/// The files of a user's collection, as remembered in its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePaths {
    /// The paper lists.
    pub lists: Vec<ListPath>,
    /// Enrichment files given with `--abstracts`.
    #[serde(default)]
    pub abstracts: Vec<std::path::PathBuf>,
}

/// ListPath.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPath {
    /// Absolute, so the collection rebuilds from any working directory.
    pub path: std::path::PathBuf,
    /// The file format.
    pub format: SourceFormat,
}

impl Sources {
    /// Shipped.
    pub fn shipped() -> Self {
        Sources {
            lists: vec![Source::text(
                "shipped list",
                SourceFormat::Markdown,
                SHIPPED_LIST,
            )],
            enrichments: vec![Source::text(
                "shipped abstracts",
                SourceFormat::Jsonl,
                SHIPPED_ABSTRACTS,
            )],
            paths: None,
        }
    }

    /// The shipped list, not files of the user's.
    pub fn is_shipped(&self) -> bool {
        self.paths.is_none()
            && self.lists.len() == 1
            && self.lists[0].format == SourceFormat::Markdown
            && self.lists[0].text == SHIPPED_LIST
    }

    /// A single BEIR corpus, as `eval --beir` indexes it.
    pub fn beir(name: impl Into<String>, corpus: String) -> Self {
        Sources {
            lists: vec![Source::text(name, SourceFormat::Beir, corpus)],
            enrichments: Vec::new(),
            paths: None,
        }
    }

    /// The BEIR corpus at `path` (its text already read), remembered like a
    /// `--source`: a later plain search or `mmsearch index` in the same
    /// index directory answers from this corpus instead of rebuilding the
    /// directory from the shipped list.
    pub fn beir_file(path: &std::path::Path, corpus: String) -> Self {
        let mut sources = Sources::beir(path.display().to_string(), corpus);
        sources.paths = path.canonicalize().ok().map(|path| SourcePaths {
            lists: vec![ListPath {
                path,
                format: SourceFormat::Beir,
            }],
            abstracts: Vec::new(),
        });
        sources
    }

    /// The name to show in messages.
    pub fn name(&self) -> String {
        self.lists
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// A hash of everything the index is built from, so a changed source is
    /// noticed and the index rebuilt.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut part = |text: &str| {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        };
        for list in &self.lists {
            part(match list.format {
                SourceFormat::Markdown => "markdown",
                SourceFormat::Jsonl => "jsonl",
                SourceFormat::Bibtex => "bibtex",
                SourceFormat::Beir => "beir",
            });
            part(&list.text);
        }
        for enrichment in &self.enrichments {
            part("enrichment");
            part(&enrichment.text);
        }
        // Where the files are is part of what the index remembers.
        if let Some(paths) = &self.paths {
            part(&serde_json::to_string(paths).unwrap_or_default());
        }
        hex::encode(hasher.finalize())
    }
}
