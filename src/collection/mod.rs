//! A collection: the papers read from a set of sources, entries of one paper
//! merged, gaps filled from enrichment files. `sources` says what a
//! collection is built from (hashed, remembered), `merge` when two entries are one paper, `enrichment`
//! what abstract files add.

pub mod enrichment;
pub mod merge;
pub mod sources;

pub use enrichment::{Enrichment, EnrichmentRow, VenueYear};
pub use merge::Merger;
pub use sources::{ListPath, SHIPPED_ABSTRACTS, SHIPPED_LIST, SourcePaths, Sources};

use crate::error::Result;
use crate::paper::Paper;
use crate::read::{SourceFormat, beir, bibtex, jsonl, markdown};
use merge::unique_ids;

/// The papers read from the sources, plus what was skipped and why.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    /// The papers, in a stable order: a paper's position is its document id.
    pub papers: Vec<Paper>,
    /// Entries and lines skipped (or repaired) and why; whoever builds from
    /// the collection passes them on as events.
    pub warnings: Vec<String>,
}

impl Collection {
    /// Reads every list, merges entries that are one paper (within a list
    /// and across lists), then fills gaps from the enrichment files. BEIR
    /// documents are never merged: their ids are what the qrels judge.
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
        for list in &sources.lists {
            match list.format {
                SourceFormat::Markdown => {
                    markdown::read_list(&list.text, &list.name, &mut warnings, |entry| {
                        merger.add(entry)
                    })
                }
                SourceFormat::Jsonl => {
                    for paper in jsonl::parse_jsonl_papers(&list.text, &list.name, &mut warnings) {
                        merger.add(paper);
                    }
                }
                SourceFormat::Bibtex => {
                    for paper in bibtex::parse_bibtex(&list.text, &list.name, &mut warnings) {
                        merger.add(paper);
                    }
                }
                SourceFormat::Beir => {
                    unmerged.extend(beir::parse_beir_corpus(&list.text, &list.name)?)
                }
            }
        }
        let mut enrichment = Enrichment::default();
        for file in &sources.enrichments {
            enrichment.extend(&file.text, &file.name, &mut warnings);
        }
        let mut papers = merger.finish();
        for paper in &mut papers {
            enrichment.fill(paper);
        }
        papers.extend(unmerged);
        unique_ids(&mut papers);
        Ok(Collection { papers, warnings })
    }

    /// Get.
    pub fn get(&self, id: &str) -> Option<&Paper> {
        self.papers.iter().find(|p| p.id == id)
    }
}
