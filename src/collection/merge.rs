//! When entries are one paper: same arXiv id, else same DOI (compared
//! case-insensitively), else the same normalised title unless their ids say
//! they differ. Entries are merged as they are read, so a huge list of
//! repeats never sits in memory whole.

use std::collections::HashMap;

use crate::paper::{Paper, doi, normalize_key};

/// Merges entries one at a time: entries that are the same paper become
/// one paper keeping every tag and section. Same arXiv id, else same DOI,
/// else equal normalised title (unless their arXiv ids or DOIs say they
/// differ).
#[derive(Default)]
pub struct Merger {
    merged: Vec<Paper>,
    by_arxiv: HashMap<String, usize>,
    by_doi: HashMap<String, usize>,
    by_title: HashMap<String, usize>,
}

impl Merger {
    /// Adds one entry; returns the position of the paper it became part of
    /// (positions are stable: `finish` keeps the order).
    pub fn add(&mut self, entry: Paper) -> usize {
        let title = normalize_key(&entry.title);
        let found = entry
            .arxiv_id
            .as_ref()
            .and_then(|id| self.by_arxiv.get(id))
            .or_else(|| {
                entry
                    .doi
                    .as_deref()
                    .and_then(|d| self.by_doi.get(&doi::key(d)))
            })
            .or_else(|| {
                self.by_title.get(&title).filter(|&&i| {
                    let other = &self.merged[i];
                    let differ = |a: &Option<String>, b: &Option<String>| {
                        a.is_some() && b.is_some() && a != b
                    };
                    let doi_key = |p: &Paper| p.doi.as_deref().map(doi::key);
                    !differ(&other.arxiv_id, &entry.arxiv_id)
                        && !differ(&doi_key(other), &doi_key(&entry))
                })
            })
            .copied();
        let at = match found {
            Some(i) => {
                absorb(&mut self.merged[i], entry);
                i
            }
            None => {
                self.merged.push(entry);
                self.merged.len() - 1
            }
        };
        let paper = &self.merged[at];
        if let Some(id) = &paper.arxiv_id {
            self.by_arxiv.entry(id.clone()).or_insert(at);
        }
        if let Some(doi) = &paper.doi {
            self.by_doi.entry(doi::key(doi)).or_insert(at);
        }
        if !title.is_empty() {
            self.by_title.entry(title).or_insert(at);
        }
        at
    }

    /// Finish.
    pub fn finish(self) -> Vec<Paper> {
        let mut merged = self.merged;
        unique_ids(&mut merged);
        merged
    }
}

fn absorb(into: &mut Paper, other: Paper) {
    for tag in other.tags {
        if !into.tags.contains(&tag) {
            into.tags.push(tag);
        }
    }
    for section in other.sections {
        if !into.sections.contains(&section) {
            into.sections.push(section);
        }
    }
    for link in other.links {
        if !into.links.iter().any(|l| l.url == link.url) {
            into.links.push(link);
        }
    }
    if into.authors.is_empty() {
        into.authors = other.authors;
    }
    if into.abstract_text.is_none() {
        into.abstract_text = other.abstract_text;
    }
    into.arxiv_id = into.arxiv_id.take().or(other.arxiv_id);
    into.doi = into.doi.take().or(other.doi);
    into.venue = into.venue.take().or(other.venue);
    into.year = into.year.or(other.year);
}

/// Two different papers can share an id (a tag slug, a citation key); the
/// later ones get `-2`, `-3`... so every id names one paper.
pub(crate) fn unique_ids(papers: &mut [Paper]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for paper in papers.iter_mut() {
        let count = seen.entry(paper.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            paper.id = format!("{}-{}", paper.id, count);
        }
    }
}
