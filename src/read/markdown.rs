//! The awesome-list Markdown reader: `###` headings name sections, each
//! entry is `**(*VENUEYEAR_Tag*) Title.** <br>`, an italic author line and
//! `[[label]](url)` links. Curated lists have quirks (duplicate entries,
//! arXiv links under odd labels, tags with spaces), so the reader is written
//! for the format rather than for one file.

use std::sync::LazyLock;

use regex::Regex;

use crate::paper::{Paper, add_link, parse_tag, slug};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_bold_and_missing_links_still_parse() {
        let list = "### Sec\n\n**(*CVPR2024_X*) A Title.\n*Ann Lee, Bo Chen.*<br>\n";
        let papers = parse_awesome_list(list);
        assert_eq!(papers.len(), 1);
        assert_eq!(papers[0].title, "A Title");
        assert_eq!(papers[0].authors, vec!["Ann Lee", "Bo Chen"]);
        assert!(papers[0].links.is_empty());
    }
}
