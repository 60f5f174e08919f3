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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Lower-cased DOI (`10.1109/cvpr.2016.90`), when a source gives one.
    #[serde(default)]
    pub doi: Option<String>,
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
    /// title, every tag and tag name (`LLaVA-PruMerge`), arXiv id, DOI and ids.
    pub fn lookup_keys(&self) -> Vec<String> {
        let mut keys = vec![normalize_key(&self.title)];
        for tag in &self.tags {
            keys.push(normalize_key(tag));
            keys.push(normalize_key(&parse_tag(tag).name));
        }
        if let Some(id) = &self.arxiv_id {
            keys.push(normalize_key(id));
        }
        if let Some(doi) = &self.doi {
            keys.push(normalize_key(doi));
        }
        keys.extend(self.aliases().iter().map(|a| normalize_key(a)));
        keys.retain(|k| !k.is_empty());
        keys.sort();
        keys.dedup();
        keys
    }
}

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
    pub fn from_path(path: &Path) -> Result<SourceFormat> {
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
            _ => Err(Error::Corpus {
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
    pub format: SourceFormat,
    pub text: String,
}

impl Source {
    /// Reads a file. Bytes that are not UTF-8 are replaced (with a warning)
    /// rather than refusing the file.
    pub fn read(path: &Path, format: SourceFormat) -> Result<Source> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                eprintln!(
                    "mmsearch: warning: {}: bytes that are not UTF-8 were replaced",
                    path.display()
                );
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        };
        Ok(Source {
            name: path.display().to_string(),
            format,
            text,
        })
    }
}

/// Everything a collection is built from: its paper lists, and enrichment
/// files (JSONL with abstracts and metadata by arXiv id, tag or title) that
/// fill in what the lists lack.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub lists: Vec<Source>,
    pub enrichments: Vec<Source>,
    /// The user's files these were read from, remembered with the index;
    /// `None` for the shipped list and evaluation corpora.
    pub paths: Option<SourcePaths>,
}

/// The files of a user's collection, as remembered in its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePaths {
    pub lists: Vec<ListPath>,
    /// Enrichment files given with `--abstracts`.
    #[serde(default)]
    pub abstracts: Vec<std::path::PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPath {
    /// Absolute, so the collection rebuilds from any working directory.
    pub path: std::path::PathBuf,
    pub format: SourceFormat,
}

impl Sources {
    pub fn shipped() -> Self {
        Sources {
            lists: vec![Source {
                name: "shipped list".into(),
                format: SourceFormat::Markdown,
                text: SHIPPED_LIST.into(),
            }],
            enrichments: vec![Source {
                name: "shipped abstracts".into(),
                format: SourceFormat::Jsonl,
                text: SHIPPED_ABSTRACTS.into(),
            }],
            paths: None,
        }
    }

    /// A single BEIR corpus, as `eval --beir` indexes it.
    pub fn beir(name: impl Into<String>, corpus: String) -> Self {
        Sources {
            lists: vec![Source {
                name: name.into(),
                format: SourceFormat::Beir,
                text: corpus,
            }],
            enrichments: Vec::new(),
            paths: None,
        }
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

/// The papers read from the sources, plus what was skipped and why.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    pub papers: Vec<Paper>,
    pub warnings: Vec<String>,
}

impl Collection {
    /// Reads every list, merges entries that are one paper (within a list
    /// and across lists), then fills gaps from the enrichment files. BEIR
    /// documents are never merged: their ids are what the qrels judge.
    pub fn from_sources(sources: &Sources) -> Result<Collection> {
        let mut warnings = Vec::new();
        let mut merger = Merger::default();
        let mut unmerged = Vec::new();
        for list in &sources.lists {
            match list.format {
                SourceFormat::Markdown => for_each_entry(&list.text, |entry| merger.add(entry)),
                SourceFormat::Jsonl => {
                    for paper in parse_jsonl_papers(&list.text, &list.name, &mut warnings) {
                        merger.add(paper);
                    }
                }
                SourceFormat::Bibtex => {
                    for paper in crate::bibtex::parse_bibtex(&list.text, &list.name, &mut warnings)
                    {
                        merger.add(paper);
                    }
                }
                SourceFormat::Beir => unmerged.extend(parse_beir_corpus(&list.text, &list.name)?),
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

    pub fn get(&self, id: &str) -> Option<&Paper> {
        self.papers.iter().find(|p| p.id == id)
    }
}

/// Two different papers can share an id (a tag slug, a citation key); the
/// later ones get `-2`, `-3`... so every id names one paper.
fn unique_ids(papers: &mut [Paper]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for paper in papers.iter_mut() {
        let count = seen.entry(paper.id.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            paper.id = format!("{}-{}", paper.id, count);
        }
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
        doi: None,
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

/// What enrichment files know about papers (abstracts, authors, year,
/// DOI, arXiv id), looked up by arXiv id, else by tag, else by title.
#[derive(Debug, Default)]
pub struct Enrichment {
    rows: Vec<EnrichmentRow>,
    by_arxiv: HashMap<String, usize>,
    by_tag: HashMap<String, usize>,
    by_title: HashMap<String, usize>,
}

/// One line of an enrichment file: the shipped snapshot's fields, plus
/// what `mmsearch enrich` records from arXiv (`published`, `doi`...).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EnrichmentRow {
    /// The list tag the row was made for (`arXiv2023_LLaMA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arxiv_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// First-version date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_year: Option<VenueYear>,
    #[serde(default, rename = "abstract")]
    pub abstract_text: Option<String>,
    /// Set by `enrich` when arXiv does not know the paper, so the next run
    /// does not ask again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct VenueYear {
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub year: Option<u16>,
}

impl EnrichmentRow {
    fn year(&self) -> Option<u16> {
        self.venue_year.as_ref().and_then(|v| v.year).or_else(|| {
            self.published
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok())
        })
    }
}

impl Enrichment {
    /// Reads an enrichment JSONL; a malformed line becomes a warning with
    /// its line number and the good lines are kept. Earlier files win.
    pub fn extend(&mut self, text: &str, name: &str, warnings: &mut Vec<String>) {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut row: EnrichmentRow = match serde_json::from_str(line) {
                Ok(row) => row,
                Err(e) => {
                    warnings.push(format!("{name}:{}: skipped malformed line ({e})", n + 1));
                    continue;
                }
            };
            if row
                .abstract_text
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
            {
                continue;
            }
            row.arxiv_id = row.arxiv_id.filter(|id| !id.trim().is_empty());
            row.doi = row.doi.filter(|doi| !doi.trim().is_empty());
            let at = self.rows.len();
            if let Some(id) = row.arxiv_id.as_deref() {
                self.by_arxiv.entry(id.to_string()).or_insert(at);
            }
            if let Some(tag) = row.id.as_deref().filter(|t| !t.is_empty()) {
                self.by_tag.entry(tag.to_string()).or_insert(at);
            }
            if let Some(title) = row.title.as_deref().map(normalize_key)
                && !title.is_empty()
            {
                self.by_title.entry(title).or_insert(at);
            }
            self.rows.push(row);
        }
    }

    fn row_for(&self, paper: &Paper) -> Option<&EnrichmentRow> {
        let by_arxiv = paper
            .arxiv_id
            .as_deref()
            .and_then(|id| self.by_arxiv.get(id));
        let by_tag = || paper.tags.iter().find_map(|t| self.by_tag.get(t));
        // A title match must not give a paper another paper's arXiv record.
        let by_title = || {
            self.by_title
                .get(&normalize_key(&paper.title))
                .filter(|&&i| paper.arxiv_id.is_none() || self.rows[i].arxiv_id == paper.arxiv_id)
        };
        by_arxiv
            .or_else(by_tag)
            .or_else(by_title)
            .map(|&i| &self.rows[i])
    }

    /// Fills what `paper` lacks (abstract, authors, year, DOI, arXiv id)
    /// from its row, if it has one. What the list says is kept.
    pub fn fill(&self, paper: &mut Paper) {
        let Some(row) = self.row_for(paper) else {
            return;
        };
        if paper.abstract_text.is_none() {
            paper.abstract_text = row.abstract_text.clone();
        }
        if paper.authors.is_empty() {
            paper.authors = row.authors.clone();
        }
        if paper.year.is_none() {
            paper.year = row.year();
        }
        if paper.doi.is_none() {
            paper.doi = row.doi.as_deref().map(normalize_doi);
        }
        if paper.arxiv_id.is_none()
            && let Some(id) = &row.arxiv_id
        {
            paper.arxiv_id = Some(id.clone());
            add_link(paper, "arXiv", &format!("https://arxiv.org/abs/{id}"));
        }
    }
}

/// `https://doi.org/10.1109/CVPR.2016.90` and `doi:10.1109/cvpr.2016.90`
/// are the same DOI; DOIs are case-insensitive.
pub fn normalize_doi(doi: &str) -> String {
    let doi = doi.trim();
    let lower = doi.to_lowercase();
    let stripped = [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ]
    .iter()
    .find_map(|prefix| lower.strip_prefix(prefix))
    .unwrap_or(&lower);
    stripped.trim().to_string()
}

/// An arXiv id as written anywhere (`arXiv:2304.08485v2`,
/// `https://arxiv.org/abs/2304.08485`), without its version.
pub fn parse_arxiv_id(text: &str) -> Option<String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\w.])(?:arxiv[:/ ]\s*|abs/|pdf/)?(?P<id>\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?(?:$|[^\w.])")
            .expect("valid regex")
    });
    ID.captures(text.trim()).map(|c| c["id"].to_string())
}

/// One line of a JSONL paper list. Authors and tags may be a list or one
/// string; the year a number or a string.
#[derive(Deserialize)]
struct JsonlPaper {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    authors: Option<OneOrMany>,
    #[serde(default)]
    year: Option<serde_json::Value>,
    #[serde(default)]
    venue: Option<String>,
    #[serde(default, rename = "abstract")]
    abstract_text: Option<String>,
    #[serde(default)]
    arxiv_id: Option<String>,
    #[serde(default)]
    doi: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    tags: Option<OneOrMany>,
    #[serde(default)]
    section: Option<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self, split: impl Fn(&str) -> Vec<String>) -> Vec<String> {
        match self {
            OneOrMany::One(text) => split(&text),
            OneOrMany::Many(items) => items,
        }
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
    }
}

/// Reads a JSONL paper list: one object a line with the documented fields
/// (title, authors, year, venue, abstract, arxiv_id, doi, url, tags; an `id`
/// and `section` are taken too). The id is `id`, else the first tag, else
/// the arXiv id, DOI or title. Malformed lines and lines without a title
/// become warnings naming the line; the rest is read.
pub fn parse_jsonl_papers(text: &str, name: &str, warnings: &mut Vec<String>) -> Vec<Paper> {
    let mut papers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let row: JsonlPaper = match serde_json::from_str(line) {
            Ok(row) => row,
            Err(e) => {
                warnings.push(format!("{name}:{}: skipped malformed line ({e})", n + 1));
                continue;
            }
        };
        let title = row
            .title
            .as_deref()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        if title.is_empty() {
            warnings.push(format!("{name}:{}: skipped a paper without a title", n + 1));
            continue;
        }
        let split_authors = |s: &str| {
            s.split(" and ")
                .flat_map(|part| part.split([',', ';']))
                .map(str::to_string)
                .collect()
        };
        let split_tags = |s: &str| s.split([',', ';']).map(str::to_string).collect();
        let mut tags = row.tags.map(|t| t.into_vec(split_tags)).unwrap_or_default();
        if let Some(id) = row.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            tags.retain(|t| t != id);
            tags.insert(0, id.to_string());
        }
        let arxiv_id = row
            .arxiv_id
            .as_deref()
            .and_then(parse_arxiv_id)
            .or_else(|| {
                row.url
                    .as_deref()
                    .and_then(|u| ARXIV.captures(u))
                    .map(|c| c["id"].to_string())
            });
        let doi = row
            .doi
            .as_deref()
            .map(normalize_doi)
            .filter(|d| !d.is_empty());
        let year = match &row.year {
            Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|y| u16::try_from(y).ok()),
            Some(serde_json::Value::String(s)) => s.trim().get(..4).and_then(|y| y.parse().ok()),
            _ => None,
        };
        let id = tags
            .first()
            .map(|t| slug(t))
            .or_else(|| arxiv_id.as_ref().map(|a| slug(&format!("arxiv {a}"))))
            .or_else(|| doi.as_ref().map(|d| slug(&format!("doi {d}"))))
            .unwrap_or_else(|| {
                slug(
                    &title
                        .split_whitespace()
                        .take(8)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            });
        let mut paper = Paper {
            id,
            tags,
            title,
            authors: row
                .authors
                .map(|a| a.into_vec(split_authors))
                .unwrap_or_default(),
            venue: row
                .venue
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
            year,
            sections: row
                .section
                .map(|s| s.into_vec(|s| vec![s.to_string()]))
                .unwrap_or_default(),
            arxiv_id: None,
            doi: doi.clone(),
            links: Vec::new(),
            abstract_text: row
                .abstract_text
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
        };
        if let Some(url) = row.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            add_link(&mut paper, "paper", url);
        }
        if let Some(id) = arxiv_id {
            if paper.arxiv_id.is_none() {
                add_link(&mut paper, "arXiv", &format!("https://arxiv.org/abs/{id}"));
            }
            paper.arxiv_id = Some(id);
        }
        if let Some(doi) = doi {
            add_link(&mut paper, "doi", &format!("https://doi.org/{doi}"));
        }
        papers.push(paper);
    }
    papers
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
            doi: None,
            links: Vec::new(),
            abstract_text: (!text.is_empty()).then_some(text),
        });
    }
    Ok(papers)
}

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
    pub fn add(&mut self, entry: Paper) {
        let title = normalize_key(&entry.title);
        let found = entry
            .arxiv_id
            .as_ref()
            .and_then(|id| self.by_arxiv.get(id))
            .or_else(|| entry.doi.as_ref().and_then(|doi| self.by_doi.get(doi)))
            .or_else(|| {
                self.by_title.get(&title).filter(|&&i| {
                    let other = &self.merged[i];
                    let differ = |a: &Option<String>, b: &Option<String>| {
                        a.is_some() && b.is_some() && a != b
                    };
                    !differ(&other.arxiv_id, &entry.arxiv_id) && !differ(&other.doi, &entry.doi)
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
            self.by_doi.entry(doi.clone()).or_insert(at);
        }
        if !title.is_empty() {
            self.by_title.entry(title).or_insert(at);
        }
    }

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
        let mut e = Enrichment::default();
        e.extend(text, "f.jsonl", &mut warnings);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("f.jsonl:2:"));
        let mut paper = Paper {
            tags: vec!["b".into()],
            ..Paper::default()
        };
        e.fill(&mut paper);
        assert_eq!(paper.abstract_text.as_deref(), Some("y"));
    }
}
