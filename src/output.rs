//! Printers for search results: a compact human listing and one JSON
//! document for scripts. Kept apart from the engine so new formats do not
//! touch ranking code.

use std::io::Write;

use serde::Serialize;

use crate::corpus::{Link, Paper};
use crate::engine::{Hit, Mode};

/// A hit as printed in `--json`.
#[derive(Debug, Serialize)]
pub struct JsonHit<'a> {
    pub rank: usize,
    pub id: &'a str,
    pub tags: &'a [String],
    pub title: &'a str,
    pub authors: &'a [String],
    pub year: Option<u16>,
    pub venue: Option<&'a str>,
    pub sections: &'a [String],
    pub arxiv_id: Option<&'a str>,
    pub url: Option<&'a str>,
    pub links: &'a [Link],
    #[serde(rename = "abstract")]
    pub abstract_text: Option<&'a str>,
    pub score: f64,
    pub keyword_rank: Option<usize>,
    pub semantic_rank: Option<usize>,
    pub exact_match: bool,
}

#[derive(Debug, Serialize)]
pub struct JsonResults<'a> {
    pub query: &'a str,
    pub mode: Mode,
    pub hits: Vec<JsonHit<'a>>,
}

pub fn json_hit<'a>(rank: usize, hit: &Hit<'a>) -> JsonHit<'a> {
    let p: &'a Paper = hit.paper;
    JsonHit {
        rank,
        id: &p.id,
        tags: &p.tags,
        title: &p.title,
        authors: &p.authors,
        year: p.year,
        venue: p.venue.as_deref(),
        sections: &p.sections,
        arxiv_id: p.arxiv_id.as_deref(),
        url: p.main_link(),
        links: &p.links,
        abstract_text: p.abstract_text.as_deref(),
        score: hit.score,
        keyword_rank: hit.keyword_rank,
        semantic_rank: hit.semantic_rank,
        exact_match: hit.exact,
    }
}

pub fn write_json(
    out: &mut impl Write,
    query: &str,
    mode: Mode,
    hits: &[Hit<'_>],
) -> std::io::Result<()> {
    let doc = JsonResults {
        query,
        mode,
        hits: hits
            .iter()
            .enumerate()
            .map(|(i, h)| json_hit(i + 1, h))
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Width of the abstract line in the human listing.
const LINE_WIDTH: usize = 96;

/// Rank and title, then venue/year, sections and link, then the start of the abstract.
pub fn write_human(out: &mut impl Write, hits: &[Hit<'_>]) -> std::io::Result<()> {
    if hits.is_empty() {
        writeln!(out, "no papers found")?;
    }
    for (i, hit) in hits.iter().enumerate() {
        let p = hit.paper;
        writeln!(out, "{:>2}. {}", i + 1, p.title)?;
        let mut meta: Vec<String> = Vec::new();
        match (&p.venue, p.year) {
            (Some(v), Some(y)) => meta.push(format!("{v} {y}")),
            (Some(v), None) => meta.push(v.clone()),
            (None, Some(y)) => meta.push(y.to_string()),
            (None, None) => {}
        }
        if !p.sections.is_empty() {
            meta.push(p.sections.join(" / "));
        }
        if let Some(url) = p.main_link() {
            meta.push(url.to_string());
        }
        writeln!(out, "    {}", meta.join(" · "))?;
        if let Some(abs) = &p.abstract_text {
            writeln!(out, "    {}", one_line(abs, LINE_WIDTH))?;
        }
    }
    Ok(())
}

/// The first `width` characters of `text` on one line, cut at a word boundary.
pub fn one_line(text: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        return flat;
    }
    let cut: String = flat.chars().take(width).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > width / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn one_line_cuts_at_words() {
        assert_eq!(one_line("short  text\nhere", 40), "short text here");
        assert_eq!(one_line("alpha beta gamma delta", 12), "alpha beta…");
    }
}
