//! A collection: the papers read from a set of sources, entries of one paper
//! merged, gaps filled from enrichment files. `sources` says what a
//! collection is built from (hashed, remembered), `merge` when two entries are one paper, `enrichment`
//! what abstract files add.

pub mod enrichment;
pub mod merge;
pub mod sources;

pub use enrichment::{Enrichment, EnrichmentRow, VenueYear};
pub use merge::{MergeNote, Merger};
pub use sources::{ListPath, SHIPPED_ABSTRACTS, SHIPPED_LIST, SourcePaths, Sources};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::paper::Paper;
use crate::read::{SourceFormat, beir, bibtex, jsonl, markdown};
use merge::unique_ids;

/// At most this many warnings per source reach the user; the rest are
/// counted in one closing warning ("and 40 more"), so a list in a layout the
/// reader half-knows does not bury the report.
pub(crate) const WARNINGS_PER_SOURCE: usize = 10;

/// The papers read from the sources, plus what was skipped and why.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    /// The papers, in a stable order: a paper's position is its document id.
    pub papers: Vec<Paper>,
    /// Entries and lines skipped (or repaired) and why, at most
    /// `WARNINGS_PER_SOURCE` per source then a count; whoever builds from
    /// the collection passes them on as events.
    pub warnings: Vec<String>,
    /// What each paper list gave, in the order given.
    pub sources: Vec<SourceReport>,
    /// Every entry that joined a paper read before it, and why.
    pub merges: Vec<MergeNote>,
}

/// What one source gave: a line of `index`'s report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceReport {
    /// The path (or "shipped list") as shown in messages.
    pub name: String,
    /// The reader used.
    pub format: SourceFormat,
    /// Entries read (before merging).
    pub entries: usize,
    /// Distinct papers those entries are part of after merging (within the
    /// source and with the sources before it).
    pub papers: usize,
    /// Entries or lines skipped as unreadable (each a warning, capped).
    pub skipped: usize,
}

impl Collection {
    /// Reads every list, merges entries that are one paper (within a list
    /// and across lists), then fills gaps from the enrichment files. BEIR
    /// documents are never merged: their ids are what the qrels judge.
    /// A source that gives no entry is a warning here (naming the layouts
    /// its reader knows); `Collection::nothing_read` is the error for a
    /// collection with no paper at all.
    pub fn from_sources(sources: &Sources) -> Result<Collection> {
        let mut warnings = Vec::new();
        for source in sources.lists.iter().chain(&sources.enrichments) {
            if source.lossy {
                warnings.push(format!(
                    "{}: bytes that are not UTF-8 were replaced",
                    source.name
                ));
            }
        }
        let mut merger = Merger::default();
        let mut unmerged = Vec::new();
        let mut reports = Vec::new();
        for list in &sources.lists {
            let mut found = Vec::new();
            let mut positions = std::collections::HashSet::new();
            let mut entries = 0;
            let mut add = |paper: Paper| {
                entries += 1;
                positions.insert(merger.add(paper, &list.name));
            };
            match list.format {
                SourceFormat::Markdown => {
                    markdown::read_list(&list.text, &list.name, &mut found, &mut add)
                }
                SourceFormat::Jsonl => {
                    jsonl::parse_jsonl_papers(&list.text, &list.name, &mut found)
                        .into_iter()
                        .for_each(&mut add);
                }
                SourceFormat::Bibtex => {
                    bibtex::parse_bibtex(&list.text, &list.name, &mut found)
                        .into_iter()
                        .for_each(&mut add);
                }
                SourceFormat::Beir => {
                    let docs = beir::parse_beir_corpus(&list.text, &list.name)?;
                    entries = docs.len();
                    unmerged.extend(docs);
                }
            }
            // BEIR documents are never merged: each is a paper.
            let papers = if list.format == SourceFormat::Beir {
                entries
            } else {
                positions.len()
            };
            let skipped = found.iter().filter(|w| w.contains(": skipped ")).count();
            keep_capped(&mut warnings, found, &list.name);
            if entries == 0 && sources.lists.len() > 1 {
                warnings.push(format!(
                    "{}: no paper entries found; {}",
                    list.name,
                    what_is_read(list.format)
                ));
            }
            reports.push(SourceReport {
                name: list.name.clone(),
                format: list.format,
                entries,
                papers,
                skipped,
            });
        }
        let mut enrichment = Enrichment::default();
        for file in &sources.enrichments {
            let mut found = Vec::new();
            enrichment.extend(&file.text, &file.name, &mut found);
            keep_capped(&mut warnings, found, &file.name);
        }
        let (mut papers, merges) = merger.finish();
        for paper in &mut papers {
            enrichment.fill(paper);
        }
        papers.extend(unmerged);
        unique_ids(&mut papers);
        Ok(Collection {
            papers,
            warnings,
            sources: reports,
            merges,
        })
    }

    /// The error for a collection without a single paper: names the
    /// source(s) and what their readers know, and what to do instead.
    pub(crate) fn nothing_read(&self) -> Error {
        let first = self.sources.first();
        let path = first.map_or_else(|| "the sources".into(), |s| s.name.clone());
        let message = match first {
            Some(s) => format!("no paper entries found; {}", what_is_read(s.format)),
            None => "no paper entries found: no paper list was given".into(),
        };
        Error::Source {
            path: path.into(),
            message,
        }
    }
    /// Get.
    pub fn get(&self, id: &str) -> Option<&Paper> {
        self.papers.iter().find(|p| p.id == id)
    }
}

/// Appends a source's warnings, the first [`WARNINGS_PER_SOURCE`] as they
/// are and the rest as one count.
fn keep_capped(into: &mut Vec<String>, found: Vec<String>, name: &str) {
    let more = found.len().saturating_sub(WARNINGS_PER_SOURCE);
    into.extend(found.into_iter().take(WARNINGS_PER_SOURCE));
    if more > 0 {
        into.push(format!(
            "{name}: and {more} more warning{} like these (not shown)",
            if more == 1 { "" } else { "s" }
        ));
    }
}

/// What a reader understands, for the message about a source it found
/// nothing in.
fn what_is_read(format: SourceFormat) -> String {
    let instead = "write the list as JSONL (one {\"title\": …} object a line) \
                   or pass --source-format if this is another format";
    match format {
        SourceFormat::Markdown => {
            format!("the Markdown reader knows {}; {instead}", markdown::LAYOUTS)
        }
        SourceFormat::Bibtex => {
            format!("the BibTeX reader needs `@type{{key, title = {{…}}, …}}` entries; {instead}")
        }
        SourceFormat::Jsonl => "the JSONL reader needs one JSON object a line with a \
                                non-empty \"title\"; pass --source-format if this is \
                                another format"
            .into(),
        SourceFormat::Beir => "a BEIR corpus needs one {\"_id\", \"title\", \"text\"} \
                               object a line"
            .into(),
    }
}
