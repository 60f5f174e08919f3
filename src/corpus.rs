//! Reads paper lists into `Paper`s. Curated awesome-lists are the input
//! researchers actually keep, with all their quirks (duplicate entries, arXiv
//! links filed under odd labels, tags with spaces), so the reader is written
//! for the format rather than for one file, and an enrichment file supplies
//! the abstracts the list itself lacks.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The list that ships with mmsearch: the default collection, embedded so a
/// new user gets answers without preparing anything.
pub const SHIPPED_LIST: &str = include_str!("../index/seed-papers.md");
/// Abstracts for the shipped list (a snapshot of arXiv metadata, CC0).
pub const SHIPPED_ABSTRACTS: &str = include_str!("../index/seed-abstracts.jsonl");

/// One paper as mmsearch knows it, after duplicate entries have been merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    /// Stable, unique id: the first tag, lower-cased, with every run of
    /// non-alphanumerics turned into `-` (e.g. `arxiv2024-llava-prumerge`).
    pub id: String,
    /// Every list tag this paper was filed under, e.g. `arXiv2023_Llama 2`.
    pub tags: Vec<String>,
    pub title: String,
    pub authors: Vec<String>,
    /// Venue from the first tag (`CVPR`, `arXiv`, `blog`...).
    pub venue: Option<String>,
    pub year: Option<u16>,
    /// Every list section the paper appears in.
    pub sections: Vec<String>,
    pub arxiv_id: Option<String>,
    pub links: Vec<Link>,
    #[serde(rename = "abstract")]
    pub abstract_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Paper {
    /// The text that is embedded: title and abstract, or the title alone.
    pub fn embedding_text(&self) -> String {
        match (&self.abstract_text, self.title.is_empty()) {
            (Some(abs), false) => format!("{}. {}", self.title, abs),
            (Some(abs), true) => abs.clone(),
            (None, _) => self.title.clone(),
        }
    }

    /// The link a reader most likely wants: the paper itself, else anything.
    pub fn main_link(&self) -> Option<&str> {
        if let Some(id) = &self.arxiv_id
            && let Some(link) = self.links.iter().find(|l| l.url.contains(id.as_str()))
        {
            return Some(&link.url);
        }
        self.links
            .iter()
            .find(|l| l.label == "paper")
            .or_else(|| self.links.first())
            .map(|l| l.url.as_str())
    }

    /// Ids this paper answers to: its own and the slug of every tag merged into it.
    pub fn aliases(&self) -> Vec<String> {
        let mut out = vec![self.id.clone()];
        for tag in &self.tags {
            let slug = slug(tag);
            if !out.contains(&slug) {
                out.push(slug);
            }
        }
        out
    }

    /// Normalised strings that count as an exact lookup of this paper:
    /// title, every tag and tag name (`LLaVA-PruMerge`), arXiv id and ids.
    pub fn lookup_keys(&self) -> Vec<String> {
        let mut keys = vec![normalize_key(&self.title)];
        for tag in &self.tags {
            keys.push(normalize_key(tag));
            keys.push(normalize_key(&parse_tag(tag).name));
        }
        if let Some(id) = &self.arxiv_id {
            keys.push(normalize_key(id));
        }
        keys.extend(self.aliases().iter().map(|a| normalize_key(a)));
        keys.retain(|k| !k.is_empty());
        keys.sort();
        keys.dedup();
        keys
    }
}

/// What a collection is built from, held as text so its hash is cheap and
/// a changed source is noticed.
#[derive(Debug, Clone)]
pub enum Sources {
    /// An awesome-list Markdown file and an enrichment JSONL with abstracts.
    List {
        list_name: String,
        list: String,
        abstracts_name: String,
        abstracts: String,
    },
    /// A BEIR `corpus.jsonl` (`_id`, `title`, `text` per line).
    Beir { name: String, corpus: String },
}

impl Sources {
    pub fn shipped() -> Self {
        Sources::List {
            list_name: "shipped list".into(),
            list: SHIPPED_LIST.into(),
            abstracts_name: "shipped abstracts".into(),
            abstracts: SHIPPED_ABSTRACTS.into(),
        }
    }

    /// Reads a list file and an optional abstracts file. Bytes that are not
    /// UTF-8 are replaced (with a warning) rather than refusing the file.
    pub fn from_files(list: &Path, abstracts: Option<&Path>) -> Result<Self> {
        let read = |path: &Path| -> Result<String> {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            Ok(match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!(
                        "mmsearch: warning: {}: bytes that are not UTF-8 were replaced",
                        path.display()
                    );
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                }
            })
        };
        Ok(Sources::List {
            list_name: list.display().to_string(),
            list: read(list)?,
            abstracts_name: abstracts
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            abstracts: match abstracts {
                Some(path) => read(path)?,
                None => String::new(),
            },
        })
    }

    /// The name to show in messages.
    pub fn name(&self) -> &str {
        match self {
            Sources::List { list_name, .. } => list_name,
            Sources::Beir { name, .. } => name,
        }
    }

    /// A hash of everything the index is built from, so a changed source is
    /// noticed and the index rebuilt.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        let parts: Vec<&str> = match self {
            Sources::List {
                list, abstracts, ..
            } => vec!["list", list, abstracts],
            Sources::Beir { corpus, .. } => vec!["beir", corpus],
        };
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// The papers read from a source, plus what was skipped and why.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    pub papers: Vec<Paper>,
    pub warnings: Vec<String>,
}

impl Collection {
    /// Reads the sources: for a list, joins abstracts and merges entries
    /// that are one paper; for a BEIR corpus, one paper per document.
    pub fn from_sources(sources: &Sources) -> Result<Collection> {
        let mut warnings = Vec::new();
        let papers = match sources {
            Sources::List {
                list,
                abstracts,
                abstracts_name,
                ..
            } => {
                let enrichment = parse_enrichment(abstracts, abstracts_name, &mut warnings);
                let mut merger = Merger::default();
                for_each_entry(list, |mut entry| {
                    entry.abstract_text =
                        enrichment.abstract_for(entry.arxiv_id.as_deref(), &entry.tags[0]);
                    merger.add(entry);
                });
                merger.finish()
            }
            Sources::Beir { name, corpus } => parse_beir_corpus(corpus, name)?,
        };
        Ok(Collection { papers, warnings })
    }

    pub fn get(&self, id: &str) -> Option<&Paper> {
        self.papers.iter().find(|p| p.id == id)
    }
}

/// Lower-cases and turns every run of non-alphanumerics into `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Lower-cases and turns every run of non-alphanumerics into one space, so
/// `LLaVA-PruMerge`, `llava prumerge` and `LLaVA PruMerge.` compare equal.
pub fn normalize_key(text: &str) -> String {
    slug(text).replace('-', " ")
}

/// The parts of a list tag such as `CVPR2024_Chat-UniVi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub venue: Option<String>,
    pub year: Option<u16>,
    pub name: String,
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<venue>[A-Za-z][A-Za-z-]*?)(?P<year>(?:19|20)\d{2})_(?P<name>.+)$")
        .expect("valid regex")
});

pub fn parse_tag(tag: &str) -> Tag {
    match TAG.captures(tag.trim()) {
        Some(c) => Tag {
            venue: Some(c["venue"].to_string()),
            year: c["year"].parse().ok(),
            name: c["name"].trim().to_string(),
        },
        None => Tag {
            venue: None,
            year: None,
            name: tag.trim().to_string(),
        },
    }
}

static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^#{2,6}\s+(?P<text>.+)$").expect("valid regex"));
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    // `**(*TAG*) Title.** <br>`; the closing `**` is optional so that an
    // unclosed bold still yields the entry.
    Regex::new(r"^\*\*\(\*(?P<tag>[^*()]+)\*\)\s*(?P<rest>.*)$").expect("valid regex")
});
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[\[(?P<label>[^\]]+)\]\]\((?P<url>[^)\s]+)\)").expect("valid regex")
});
static ARXIV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5})(?:v\d+)?").expect("valid regex")
});
static HTML_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)</?[a-z][^>]*>").expect("valid regex"));

/// Parses the awesome-list format: `###` headings name sections, each entry is
/// `**(*VENUEYEAR_Tag*) Title.** <br>`, an italic author line and
/// `[[label]](url)` links. Entries are returned one per list item, unmerged.
pub fn parse_awesome_list(text: &str) -> Vec<Paper> {
    let mut papers = Vec::new();
    for_each_entry(text, |paper| papers.push(paper));
    papers
}

/// Hands each complete entry to `take` as soon as the next one starts, so a
/// caller can merge as it reads and never holds every raw entry of a huge
/// list (a 50 MB list of repeats is 144,000 entries but 78 papers).
pub fn for_each_entry(text: &str, mut take: impl FnMut(Paper)) {
    let mut current: Option<Paper> = None;
    let mut section: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(c) = HEADING.captures(line) {
            section = Some(clean_heading(&c["text"]));
            current.take().map(&mut take);
            continue;
        }
        if let Some(c) = ENTRY.captures(line) {
            current.take().map(&mut take);
            current = Some(new_entry(&c["tag"], &c["rest"], section.as_deref()));
            continue;
        }
        let Some(paper) = current.as_mut() else {
            continue;
        };
        for c in LINK.captures_iter(line) {
            add_link(paper, &c["label"], &c["url"]);
        }
        let is_author_line = line.starts_with('*') && !line.starts_with("**");
        if is_author_line && paper.authors.is_empty() {
            paper.authors = parse_authors(line);
        }
    }
    current.take().map(&mut take);
}

fn clean_heading(text: &str) -> String {
    text.trim_matches(|c: char| c == '`' || c == '*' || c == '#' || c.is_whitespace())
        .to_string()
}

fn new_entry(tag: &str, rest: &str, section: Option<&str>) -> Paper {
    let tag = tag.trim().to_string();
    let parsed = parse_tag(&tag);
    let rest = HTML_TAG.replace_all(rest, " ");
    let mut title = rest.trim().trim_end_matches("**").trim().to_string();
    // "Learning?." and "Models." both end in list punctuation, not title text.
    if title.ends_with('.') {
        title.pop();
    }
    let title = title
        .trim_matches(|c: char| c == '*' || c.is_whitespace())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Paper {
        id: slug(&tag),
        title: if title.is_empty() {
            parsed.name.clone()
        } else {
            title
        },
        venue: parsed.venue,
        year: parsed.year,
        tags: vec![tag],
        authors: Vec::new(),
        sections: section.map(str::to_string).into_iter().collect(),
        arxiv_id: None,
        links: Vec::new(),
        abstract_text: None,
    }
}

fn add_link(paper: &mut Paper, label: &str, url: &str) {
    // The arXiv id comes from any arXiv link, whatever its label says.
    if paper.arxiv_id.is_none()
        && let Some(c) = ARXIV.captures(url)
    {
        paper.arxiv_id = Some(c["id"].to_string());
    }
    if !paper.links.iter().any(|l| l.url == url) {
        paper.links.push(Link {
            label: label.trim().to_string(),
            url: url.to_string(),
        });
    }
}

fn parse_authors(line: &str) -> Vec<String> {
    let line = HTML_TAG.replace_all(line, " ");
    let line = line.trim().trim_matches('*').trim();
    let line = line.strip_suffix('.').unwrap_or(line);
    line.split(',')
        .flat_map(|part| part.split(" and "))
        .map(|name| name.trim().trim_matches('*').trim())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// Abstracts from an enrichment JSONL file, looked up by arXiv id, else by tag.
#[derive(Debug, Default)]
pub struct Enrichment {
    by_arxiv: HashMap<String, String>,
    by_tag: HashMap<String, String>,
}

#[derive(Deserialize)]
struct EnrichmentLine {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    arxiv_id: Option<String>,
    #[serde(default, rename = "abstract")]
    abstract_text: Option<String>,
}

impl Enrichment {
    pub fn abstract_for(&self, arxiv_id: Option<&str>, tag: &str) -> Option<String> {
        arxiv_id
            .and_then(|id| self.by_arxiv.get(id))
            .or_else(|| self.by_tag.get(tag))
            .cloned()
    }
}

/// Reads the enrichment JSONL; a malformed line becomes a warning with its
/// line number and the good lines are kept.
pub fn parse_enrichment(text: &str, name: &str, warnings: &mut Vec<String>) -> Enrichment {
    let mut out = Enrichment::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: EnrichmentLine = match serde_json::from_str(line) {
            Ok(row) => row,
            Err(e) => {
                warnings.push(format!("{name}:{}: skipped malformed line ({e})", n + 1));
                continue;
            }
        };
        let Some(abs) = row.abstract_text.filter(|a| !a.trim().is_empty()) else {
            continue;
        };
        if let Some(id) = row.arxiv_id.filter(|id| !id.is_empty()) {
            out.by_arxiv.insert(id, abs.clone());
        }
        if let Some(tag) = row.id {
            out.by_tag.insert(tag, abs);
        }
    }
    out
}

#[derive(Deserialize)]
struct BeirDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

/// Reads a BEIR `corpus.jsonl`: the document's `_id` is the paper id, its
/// text the abstract. A malformed line is an error naming the line, because
/// a silently smaller corpus would skew every figure computed on it.
pub fn parse_beir_corpus(text: &str, name: &str) -> Result<Vec<Paper>> {
    let mut papers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: BeirDoc = serde_json::from_str(line).map_err(|e| Error::Corpus {
            path: name.into(),
            message: format!("line {}: {e}", n + 1),
        })?;
        let title = doc.title.trim().to_string();
        let text = doc.text.trim().to_string();
        papers.push(Paper {
            id: doc.id,
            tags: Vec::new(),
            title,
            authors: Vec::new(),
            venue: None,
            year: None,
            sections: Vec::new(),
            arxiv_id: None,
            links: Vec::new(),
            abstract_text: (!text.is_empty()).then_some(text),
        });
    }
    Ok(papers)
}

/// Entries that are the same paper (same arXiv id, or with no arXiv id the
/// same normalised title) become one paper keeping every tag and section.
pub fn merge_duplicates(entries: Vec<Paper>) -> Vec<Paper> {
    let mut merger = Merger::default();
    entries.into_iter().for_each(|entry| merger.add(entry));
    merger.finish()
}

/// Merges entries one at a time (see `merge_duplicates`).
#[derive(Default)]
pub struct Merger {
    merged: Vec<Paper>,
    index_by_key: HashMap<String, usize>,
}

impl Merger {
    pub fn add(&mut self, entry: Paper) {
        let key = match &entry.arxiv_id {
            Some(id) => format!("arxiv:{id}"),
            None => format!("title:{}", normalize_key(&entry.title)),
        };
        match self.index_by_key.get(&key) {
            Some(&i) => absorb(&mut self.merged[i], entry),
            None => {
                self.index_by_key.insert(key, self.merged.len());
                self.merged.push(entry);
            }
        }
    }

    pub fn finish(self) -> Vec<Paper> {
        let mut merged = self.merged;
        // Two different papers can still share a tag slug; keep ids unique.
        let mut seen: HashMap<String, usize> = HashMap::new();
        for paper in &mut merged {
            let count = seen.entry(paper.id.clone()).or_insert(0);
            *count += 1;
            if *count > 1 {
                paper.id = format!("{}-{}", paper.id, count);
            }
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_parts() {
        let t = parse_tag("arXiv2023_Llama 2");
        assert_eq!(t.venue.as_deref(), Some("arXiv"));
        assert_eq!(t.year, Some(2023));
        assert_eq!(t.name, "Llama 2");
        assert_eq!(parse_tag("NoYearTag").name, "NoYearTag");
    }

    #[test]
    fn keys_ignore_case_and_punctuation() {
        assert_eq!(normalize_key("LLaVA-PruMerge"), "llava prumerge");
        assert_eq!(normalize_key(" Llama 2 "), "llama 2");
        assert_eq!(slug("arXiv2023_Llama 2"), "arxiv2023-llama-2");
    }

    #[test]
    fn unclosed_bold_and_missing_links_still_parse() {
        let list = "### Sec\n\n**(*CVPR2024_X*) A Title.\n*Ann Lee, Bo Chen.*<br>\n";
        let papers = parse_awesome_list(list);
        assert_eq!(papers.len(), 1);
        assert_eq!(papers[0].title, "A Title");
        assert_eq!(papers[0].authors, vec!["Ann Lee", "Bo Chen"]);
        assert!(papers[0].links.is_empty());
    }

    #[test]
    fn malformed_enrichment_lines_are_reported_and_skipped() {
        let text =
            "{\"id\":\"a\",\"abstract\":\"x\"}\nnot json\n{\"id\":\"b\",\"abstract\":\"y\"}\n";
        let mut warnings = Vec::new();
        let e = parse_enrichment(text, "f.jsonl", &mut warnings);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("f.jsonl:2:"));
        assert_eq!(e.abstract_for(None, "b").as_deref(), Some("y"));
    }
}
