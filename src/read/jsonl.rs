//! The JSONL paper-list reader: one object a line with the documented
//! fields; authors and tags as a list or one string, the year as a number or
//! a string.

use serde::Deserialize;

use crate::paper::{BibEntry, Link, Paper, add_link, arxiv_id, doi, slug};
use crate::read::markdown::decode_entities;

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
    /// `sections`, as `mmsearch export` writes it.
    #[serde(default)]
    sections: Option<OneOrMany>,
    /// Every link with its label, as `mmsearch export` writes it; when
    /// given, it is the whole list (`url`, `arxiv_id` and `doi` add none).
    #[serde(default)]
    links: Option<Vec<Link>>,
    /// Subject keywords: a list or one comma-separated string.
    #[serde(default)]
    keywords: Option<OneOrMany>,
    /// The BibTeX entry, as `mmsearch export` writes it.
    #[serde(default)]
    bibtex: Option<BibEntry>,
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
pub(crate) fn parse_jsonl_papers(text: &str, name: &str, warnings: &mut Vec<String>) -> Vec<Paper> {
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
            .map(|t| {
                decode_entities(t)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
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
        let given_id = row.id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        let given_arxiv = row
            .arxiv_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let parsed =
            given_arxiv.and_then(|text| arxiv_id::parse(text).or_else(|| arxiv_id::find(text)));
        if let (Some(text), None) = (given_arxiv, &parsed) {
            warnings.push(format!(
                "{name}:{}: arxiv_id {:?} is not an arXiv id; ignored",
                n + 1,
                text.chars().take(60).collect::<String>()
            ));
        }
        let arxiv_id = parsed.or_else(|| row.url.as_deref().and_then(arxiv_id::find));
        let doi = row.doi.as_deref().and_then(doi::parse);
        let year = match &row.year {
            Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|y| u16::try_from(y).ok()),
            Some(serde_json::Value::String(s)) => s.trim().get(..4).and_then(|y| y.parse().ok()),
            _ => None,
        };
        let derived = |tags: &[String]| {
            tags.first()
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
                })
        };
        // An `id` is the paper's id; it also becomes its first tag (so the
        // name survives a merge) unless a tag or the usual derivation gives
        // that id already, as in a file `mmsearch export` wrote.
        let id = match given_id.map(|given| (given, slug(given))) {
            Some((given, wanted)) if !wanted.is_empty() => {
                if derived(&tags) != wanted && !tags.iter().any(|t| slug(t) == wanted) {
                    tags.retain(|t| t != given);
                    tags.insert(0, given.to_string());
                }
                wanted
            }
            _ => derived(&tags),
        };
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
                .map(|v| decode_entities(v.trim()))
                .filter(|v| !v.is_empty()),
            year,
            sections: row
                .sections
                .or(row.section)
                .map(|s| s.into_vec(|s| vec![s.to_string()]))
                .unwrap_or_default(),
            arxiv_id: None,
            doi: doi.clone(),
            links: Vec::new(),
            abstract_text: row
                .abstract_text
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
            bibtex: row.bibtex,
            keywords: row
                .keywords
                .map(|k| k.into_vec(split_tags))
                .unwrap_or_default(),
        };
        if let Some(links) = row.links {
            for link in links {
                if !link.url.trim().is_empty() {
                    add_link(&mut paper, &link.label, link.url.trim());
                }
            }
            paper.arxiv_id = arxiv_id.or(paper.arxiv_id);
        } else {
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
        }
        papers.push(paper);
    }
    papers
}
