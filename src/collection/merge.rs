//! When entries are one paper. A shared arXiv id, else a shared DOI
//! (compared case-insensitively), says so unless the two full titles share
//! few words (a copied link); an equal normalised title says so
//! only when nothing contradicts it: years more than one apart, different
//! arXiv ids or DOIs, or a book and an article (Bellman's 1957 book and his
//! 1966 Science article are both "Dynamic Programming"). Every merge is
//! recorded with its reason, so `index` can say what became one. Entries are
//! merged as they are read, so a huge list of repeats never sits in memory
//! whole.

use std::collections::HashMap;

use serde::Serialize;

use crate::paper::{Paper, WorkKind, doi, normalize_key};

/// One merge: an entry that became part of a paper read before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeNote {
    /// The final id of the paper the entry joined.
    pub paper: String,
    /// That paper's title.
    pub title: String,
    /// The entry that joined it: its source and its own tag or title.
    pub entry: String,
    /// Why they are one paper ("same arXiv id 2302.13971").
    pub reason: String,
}

/// Merges entries one at a time: entries that are the same paper become
/// one paper keeping every tag and section.
#[derive(Default)]
pub struct Merger {
    merged: Vec<Paper>,
    by_arxiv: HashMap<String, usize>,
    by_doi: HashMap<String, usize>,
    /// Every paper of a normalised title: two papers may share one.
    by_title: HashMap<String, Vec<usize>>,
    /// (position of the paper, what joined it, why).
    notes: Vec<(usize, String, String)>,
}

impl Merger {
    /// Adds one entry read from `source`; returns the position of the paper
    /// it became part of (positions are stable: `finish` keeps the order).
    pub fn add(&mut self, entry: Paper, source: &str) -> usize {
        let title = normalize_key(&entry.title);
        let found = self.find(&entry, &title);
        let at = match found {
            Some((i, reason)) => {
                let what = describe_entry(&entry, source);
                absorb(&mut self.merged[i], entry);
                self.notes.push((i, what, reason));
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
            let same_title = self.by_title.entry(title).or_default();
            if !same_title.contains(&at) {
                same_title.push(at);
            }
        }
        at
    }

    /// The paper `entry` is part of, and why.
    fn find(&self, entry: &Paper, title: &str) -> Option<(usize, String)> {
        if let Some(id) = &entry.arxiv_id
            && let Some(&i) = self.by_arxiv.get(id)
            && !titles_disagree(&self.merged[i].title, &entry.title)
        {
            return Some((i, format!("same arXiv id {id}")));
        }
        if let Some(d) = &entry.doi
            && let Some(&i) = self.by_doi.get(&doi::key(d))
            && !differ(&self.merged[i].arxiv_id, &entry.arxiv_id)
            && !titles_disagree(&self.merged[i].title, &entry.title)
        {
            return Some((i, format!("same DOI {d}")));
        }
        self.by_title.get(title)?.iter().find_map(|&i| {
            let other = &self.merged[i];
            contradiction(other, entry)
                .is_none()
                .then(|| (i, same_title_reason(other, entry)))
        })
    }

    /// The merged papers, in the order first read, with unique ids, and a
    /// note for every merge (naming the papers by their final ids).
    pub fn finish(self) -> (Vec<Paper>, Vec<MergeNote>) {
        let mut merged = self.merged;
        unique_ids(&mut merged);
        let notes = self
            .notes
            .into_iter()
            .map(|(i, entry, reason)| MergeNote {
                paper: merged[i].id.clone(),
                title: merged[i].title.clone(),
                entry,
                reason,
            })
            .collect();
        (merged, notes)
    }
}

/// Two full titles that share few words name two papers even when their
/// entries link the same arXiv id or DOI: lists copy a link from the line
/// above more often than a paper changes its whole title. A short name (a
/// benchmark or model linking its paper, `MagnifierBench`) still joins.
fn titles_disagree(a: &str, b: &str) -> bool {
    let words = |t: &str| -> std::collections::HashSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let shorter = a.len().min(b.len());
    shorter >= 4 && a.intersection(&b).count() * 2 < shorter
}

/// Both known and not equal.
fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a != b)
}

/// Why two entries of one normalised title cannot be one paper, if
/// anything says so.
pub fn contradiction(a: &Paper, b: &Paper) -> Option<String> {
    if let (Some(x), Some(y)) = (a.year, b.year)
        && x.abs_diff(y) > 1
    {
        return Some(format!("years {x} and {y}"));
    }
    if differ(&a.arxiv_id, &b.arxiv_id) {
        return Some("different arXiv ids".into());
    }
    let doi_key = |p: &Paper| p.doi.as_deref().map(doi::key);
    if differ(&doi_key(a), &doi_key(b)) {
        return Some("different DOIs".into());
    }
    let kind = |p: &Paper| {
        p.bibtex
            .as_ref()
            .map(|b| b.work_kind())
            .filter(|k| *k != WorkKind::Other)
    };
    if differ(&kind(a), &kind(b)) {
        let name = |p: &Paper| {
            let kind = p.bibtex.as_ref().map_or("", |b| b.kind.as_str());
            let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {kind}")
        };
        return Some(format!("{} and {}", name(a), name(b)));
    }
    None
}

fn same_title_reason(a: &Paper, b: &Paper) -> String {
    match (a.year, b.year) {
        (Some(x), Some(y)) if x == y => format!("same title, both {x}"),
        (Some(x), Some(y)) => format!("same title, {x} and {y}"),
        _ => "same title".into(),
    }
}

/// An entry as the user can find it in its source: the citation key or
/// list tag, else the title.
fn describe_entry(entry: &Paper, source: &str) -> String {
    match entry.tags.first() {
        Some(tag) => format!("{source} `{tag}`"),
        None => format!("{source} \"{}\"", entry.title),
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
    into.bibtex = into.bibtex.take().or(other.bibtex);
    for keyword in other.keywords {
        if !into.keywords.contains(&keyword) {
            into.keywords.push(keyword);
        }
    }
}

/// Two different papers can share an id (a tag slug, a citation key); the
/// later ones get `-2`, `-3`... so every id names one paper.
pub(crate) fn unique_ids(papers: &mut [Paper]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for paper in papers.iter_mut() {
        // A title of punctuation alone slugs to nothing; an id never does.
        if paper.id.is_empty() {
            paper.id = "paper".into();
        }
        let count = seen.entry(paper.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            paper.id = format!("{}-{}", paper.id, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::bibtex::parse_bibtex;

    /// Google Scholar's entries for Bellman's book and his Science article:
    /// one title, nine years and a book/article apart. Two papers.
    const BELLMAN: &str = r#"
@book{bellman1957dynamic,
  title={Dynamic Programming},
  author={Bellman, Richard},
  year={1957},
  publisher={Princeton University Press},
  address={Princeton, NJ}
}

@article{bellman1966dynamic,
  title={Dynamic programming},
  author={Bellman, Richard},
  journal={Science},
  volume={153},
  number={3731},
  pages={34--37},
  year={1966},
  publisher={American Association for the Advancement of Science}
}
"#;

    fn merge(papers: Vec<Paper>) -> (Vec<Paper>, Vec<MergeNote>) {
        let mut merger = Merger::default();
        for paper in papers {
            merger.add(paper, "refs.bib");
        }
        merger.finish()
    }

    fn bib(text: &str) -> Vec<Paper> {
        let mut warnings = Vec::new();
        let papers = parse_bibtex(text, "refs.bib", &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        papers
    }

    #[test]
    fn one_link_under_two_different_titles_stays_two_papers() {
        let text = "@misc{a, title={Learning to Reach Goals via Diffusion}, eprint={2310.02505}}\n\
                    @misc{b, title={Consistency Models as a Rich and Efficient Policy Class for Reinforcement Learning}, eprint={2310.02505}}\n\
                    @misc{c, title={MagnifierBench}, eprint={2310.02505}}\n\
                    @misc{d, title={Learning to reach goals via diffusion models}, eprint={2310.02505}}\n";
        let (papers, notes) = merge(bib(text));
        let titles: Vec<&str> = papers.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Learning to Reach Goals via Diffusion",
                "Consistency Models as a Rich and Efficient Policy Class for Reinforcement Learning"
            ],
            "{notes:?}"
        );
        // The short name and the reworded title join the first paper.
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().all(|n| n.paper == papers[0].id), "{notes:?}");
    }

    #[test]
    fn bellmans_book_and_article_stay_two_papers() {
        let (papers, notes) = merge(bib(BELLMAN));
        assert_eq!(papers.len(), 2, "{notes:?}");
        assert!(notes.is_empty());
        assert_eq!(papers[0].year, Some(1957));
        assert_eq!(papers[1].year, Some(1966));
        assert_eq!(papers[1].venue.as_deref(), Some("Science"));
    }

    #[test]
    fn a_book_and_an_article_of_one_year_stay_apart() {
        let text = BELLMAN.replace("year={1966}", "year={1957}");
        let (papers, _) = merge(bib(&text));
        assert_eq!(papers.len(), 2);
        let (a, b) = (&papers[0], &papers[1]);
        assert_eq!(
            contradiction(a, b).as_deref(),
            Some("a book and an article")
        );
    }

    #[test]
    fn a_preprint_and_its_publication_a_year_later_merge() {
        let text = "@misc{a, title={Deep Residual Learning}, year={2015}}\n\
                    @inproceedings{b, title={Deep residual learning.}, booktitle={CVPR}, year={2016}}\n";
        let (papers, notes) = merge(bib(text));
        assert_eq!(papers.len(), 1);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].paper, "a");
        assert_eq!(notes[0].entry, "refs.bib `b`");
        assert_eq!(notes[0].reason, "same title, 2015 and 2016");
    }

    #[test]
    fn same_title_with_conflicting_ids_or_years_stays_apart() {
        let text = "@article{a, title={Attention}, year={2017}, eprint={1706.03762}}\n\
                    @article{b, title={Attention}, year={2017}, eprint={1806.00001}}\n\
                    @article{c, title={Attention}, year={2020}}\n\
                    @article{d, title={Attention}, doi={10.1/X}, year={2017}}\n\
                    @article{e, title={Attention}, doi={10.1/Y}, year={2017}}\n";
        let (papers, notes) = merge(bib(text));
        // b differs from a by arXiv id, c from both by year; d joins a
        // (nothing contradicts), then e's DOI differs from a's (d's) and
        // e joins b.
        let keys: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"], "{notes:?}");
        let joined: Vec<(&str, &str)> = notes
            .iter()
            .map(|n| (n.paper.as_str(), n.entry.as_str()))
            .collect();
        assert_eq!(joined, [("a", "refs.bib `d`"), ("b", "refs.bib `e`")]);
    }

    #[test]
    fn a_later_entry_finds_the_second_paper_of_a_shared_title() {
        let mut text = BELLMAN.to_string();
        text.push_str(
            "@article{bellman66, title={Dynamic Programming}, journal={Science}, year={1966}}\n",
        );
        let (papers, notes) = merge(bib(&text));
        assert_eq!(papers.len(), 2);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].paper, "bellman1966dynamic");
    }
}
