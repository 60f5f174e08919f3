//! Printers for results: a compact listing for people (with highlighted
//! snippets and, on request, why each hit ranks where it does), JSON and
//! JSON Lines for scripts, and BibTeX to paste into a paper. Kept apart from
//! the engine so new formats never touch ranking code.

use std::io::Write;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use serde::Serialize;

use crate::corpus::{Link, Paper};
use crate::engine::{Hit, Mode};
use crate::fusion::Fusion;

/// Output formats of `search` and `similar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Jsonl,
    Bibtex,
}

/// A passage with the byte ranges of highlighted words.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<Range<usize>>,
}

/// Everything a printer needs about one result list.
pub struct Listing<'a> {
    /// The query text, or for `similar` a description of what was asked.
    pub query: &'a str,
    pub mode: Mode,
    pub fusion: Fusion,
    pub hits: &'a [Hit<'a>],
    /// One per hit, when the query's words occur in the abstract.
    pub snippets: Vec<Option<Snippet>>,
    pub explain: bool,
    pub color: bool,
}

/// Why a hit ranks where it does: each leg's rank and own score, and the
/// fused score with the formula and parameters, so it can be recomputed.
#[derive(Debug, Serialize)]
pub struct Explain {
    pub keyword: Option<LegExplain>,
    pub semantic: Option<LegExplain>,
    pub fusion: FusionExplain,
}

#[derive(Debug, Serialize)]
pub struct LegExplain {
    pub rank: usize,
    /// BM25 for the keyword leg, cosine similarity for the semantic leg.
    pub score: f32,
    /// What this leg added to the fused score.
    pub contribution: f64,
}

#[derive(Debug, Serialize)]
pub struct FusionExplain {
    pub method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    pub formula: String,
    pub score: f64,
    pub exact_match_first: bool,
}

pub fn explain(hit: &Hit<'_>, mode: Mode, fusion: Fusion) -> Explain {
    let leg = |rank: Option<usize>, score: Option<f32>, contribution: f64| {
        rank.zip(score).map(|(rank, score)| LegExplain {
            rank,
            score,
            contribution,
        })
    };
    let keyword = leg(
        hit.ranking.keyword_rank,
        hit.ranking.keyword_score,
        hit.ranking.keyword_part,
    );
    let semantic = leg(
        hit.ranking.semantic_rank,
        hit.ranking.semantic_score,
        hit.ranking.semantic_part,
    );
    let (method, k, alpha, formula) = match (mode, fusion) {
        (Mode::Keyword, _) => (
            "keyword",
            None,
            None,
            "BM25 score of the keyword leg".to_string(),
        ),
        (Mode::Semantic, _) => (
            "semantic",
            None,
            None,
            "cosine similarity of the semantic leg".to_string(),
        ),
        (Mode::Hybrid, Fusion::Rrf { k }) => {
            let terms: Vec<String> = [hit.ranking.keyword_rank, hit.ranking.semantic_rank]
                .iter()
                .flatten()
                .map(|r| format!("1/({k}+{r})"))
                .collect();
            let formula = if terms.is_empty() {
                "0".to_string()
            } else {
                terms.join(" + ")
            };
            (
                "rrf",
                Some(k),
                None,
                format!("{formula} = {:.6}", hit.ranking.score),
            )
        }
        (Mode::Hybrid, Fusion::Linear { alpha }) => (
            "linear",
            None,
            Some(alpha),
            format!(
                "{:.2} × {:.4} (min-max-normalised cosine) + {:.2} × {:.4} (min-max-normalised BM25) = {:.6}",
                alpha,
                if alpha > 0.0 {
                    hit.ranking.semantic_part / alpha
                } else {
                    0.0
                },
                1.0 - alpha,
                if alpha < 1.0 {
                    hit.ranking.keyword_part / (1.0 - alpha)
                } else {
                    0.0
                },
                hit.ranking.score
            ),
        ),
    };
    Explain {
        keyword,
        semantic,
        fusion: FusionExplain {
            method,
            k,
            alpha,
            formula,
            score: hit.ranking.score,
            exact_match_first: hit.exact,
        },
    }
}

/// A hit as printed in `--json` and `--format jsonl`.
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
    pub doi: Option<&'a str>,
    pub url: Option<&'a str>,
    pub links: &'a [Link],
    #[serde(rename = "abstract")]
    pub abstract_text: Option<&'a str>,
    pub score: f64,
    pub keyword_rank: Option<usize>,
    pub semantic_rank: Option<usize>,
    pub exact_match: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<&'a Snippet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

#[derive(Debug, Serialize)]
struct JsonResults<'a> {
    query: &'a str,
    mode: Mode,
    hits: Vec<JsonHit<'a>>,
}

fn json_hits<'a>(listing: &'a Listing<'a>) -> Vec<JsonHit<'a>> {
    listing
        .hits
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            let p: &Paper = hit.paper;
            JsonHit {
                rank: i + 1,
                id: &p.id,
                tags: &p.tags,
                title: &p.title,
                authors: &p.authors,
                year: p.year,
                venue: p.venue.as_deref(),
                sections: &p.sections,
                arxiv_id: p.arxiv_id.as_deref(),
                doi: p.doi.as_deref(),
                url: p.main_link(),
                links: &p.links,
                abstract_text: p.abstract_text.as_deref(),
                score: hit.ranking.score,
                keyword_rank: hit.ranking.keyword_rank,
                semantic_rank: hit.ranking.semantic_rank,
                exact_match: hit.exact,
                snippet: listing.snippets.get(i).and_then(Option::as_ref),
                explain: listing
                    .explain
                    .then(|| explain(hit, listing.mode, listing.fusion)),
            }
        })
        .collect()
}

pub fn write(out: &mut impl Write, format: Format, listing: &Listing<'_>) -> std::io::Result<()> {
    match format {
        Format::Table => write_table(out, listing),
        Format::Json => {
            let doc = JsonResults {
                query: listing.query,
                mode: listing.mode,
                hits: json_hits(listing),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Jsonl => {
            for hit in json_hits(listing) {
                serde_json::to_writer(&mut *out, &hit)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Bibtex => {
            for hit in listing.hits {
                writeln!(out, "{}", bibtex(hit.paper))?;
            }
            Ok(())
        }
    }
}

/// Width of the abstract line in the listing.
const LINE_WIDTH: usize = 96;
const HIGHLIGHT_ON: &str = "\x1b[1;33m";
const HIGHLIGHT_OFF: &str = "\x1b[0m";

fn write_table(out: &mut impl Write, listing: &Listing<'_>) -> std::io::Result<()> {
    if listing.hits.is_empty() {
        writeln!(out, "no papers found")?;
    }
    for (i, hit) in listing.hits.iter().enumerate() {
        let p = hit.paper;
        writeln!(out, "{:>2}. {}", i + 1, p.title)?;
        writeln!(out, "    {}", meta_line(p))?;
        match listing.snippets.get(i).and_then(Option::as_ref) {
            Some(snippet) => writeln!(out, "    {}", render_snippet(snippet, listing.color))?,
            None => {
                if let Some(abs) = &p.abstract_text {
                    writeln!(out, "    {}", one_line(abs, LINE_WIDTH))?;
                }
            }
        }
        if listing.explain {
            writeln!(
                out,
                "    why: {}",
                explain_line(&explain(hit, listing.mode, listing.fusion))
            )?;
        }
    }
    Ok(())
}

fn meta_line(p: &Paper) -> String {
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
    meta.join(" · ")
}

fn explain_line(e: &Explain) -> String {
    let leg = |name: &str, what: &str, l: &Option<LegExplain>| match l {
        Some(l) => format!("{name} #{} ({what} {:.3})", l.rank, l.score),
        None => format!("{name} –"),
    };
    format!(
        "{} · {} · {}: {}{}",
        leg("keyword", "BM25", &e.keyword),
        leg("semantic", "cosine", &e.semantic),
        e.fusion.method,
        e.fusion.formula,
        if e.fusion.exact_match_first {
            " · exact match, shown first"
        } else {
            ""
        }
    )
}

/// Abstract text as a reader wants it in a snippet: links and LaTeX
/// markup from the arXiv source dropped (`\textit{X}` → `X`, `$\times$` → `×`).
pub fn readable_abstract(text: &str) -> String {
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:url|href)\{[^}]*\}(?:\{[^}]*\})?|https?://\S+").expect("valid regex")
    });
    static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:textit|textbf|texttt|emph|textsc)\{([^}]*)\}").expect("valid regex")
    });
    let text = LINK.replace_all(text, "");
    let text = MARKUP.replace_all(&text, "$1");
    text.replace("$\\times$", "×").replace("$\\sim$", "~")
}

/// The snippet on one line; highlighted words in colour when `color`.
pub fn render_snippet(snippet: &Snippet, color: bool) -> String {
    let mut out = String::new();
    let mut at = 0;
    for range in &snippet.highlights {
        if range.start < at || range.end > snippet.text.len() {
            continue;
        }
        out.push_str(&snippet.text[at..range.start]);
        if color {
            out.push_str(HIGHLIGHT_ON);
        }
        out.push_str(&snippet.text[range.clone()]);
        if color {
            out.push_str(HIGHLIGHT_OFF);
        }
        at = range.end;
    }
    out.push_str(&snippet.text[at..]);
    format!("…{}…", out.split_whitespace().collect::<Vec<_>>().join(" "))
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

/// The whole entry, for `mmsearch show`.
pub fn write_paper(out: &mut impl Write, p: &Paper) -> std::io::Result<()> {
    writeln!(out, "{}", p.title)?;
    writeln!(out, "  id:       {}", p.id)?;
    writeln!(out, "  tags:     {}", p.tags.join(", "))?;
    writeln!(
        out,
        "  venue:    {}",
        meta_line(&Paper {
            sections: vec![],
            links: vec![],
            ..p.clone()
        })
    )?;
    writeln!(out, "  sections: {}", p.sections.join(", "))?;
    if let Some(id) = &p.arxiv_id {
        writeln!(out, "  arXiv:    {id}")?;
    }
    if let Some(doi) = &p.doi {
        writeln!(out, "  DOI:      {doi}")?;
    }
    writeln!(out, "  authors:  {}", p.authors.join(", "))?;
    for link in &p.links {
        writeln!(out, "  {:<9} {}", format!("{}:", link.label), link.url)?;
    }
    match &p.abstract_text {
        Some(abs) => writeln!(
            out,
            "\n{}",
            abs.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
        None => writeln!(out, "\n(no abstract)"),
    }
}

/// A BibTeX entry usable as-is: `@inproceedings` for conference tags,
/// `@misc` with arXiv `eprint` fields otherwise.
pub fn bibtex(p: &Paper) -> String {
    let mut fields: Vec<(&str, String)> =
        vec![("title", format!("{{{}}}", latex_escape(&p.title)))];
    if !p.authors.is_empty() {
        let names: Vec<String> = p.authors.iter().map(|a| latex_escape(a)).collect();
        fields.push(("author", names.join(" and ")));
    }
    if let Some(y) = p.year {
        fields.push(("year", y.to_string()));
    }
    let venue = p.venue.as_deref().unwrap_or("");
    let conference =
        !venue.is_empty() && !matches!(venue.to_ascii_lowercase().as_str(), "arxiv" | "blog");
    if conference {
        fields.push(("booktitle", latex_escape(venue)));
    }
    if let Some(id) = &p.arxiv_id {
        fields.push(("eprint", id.clone()));
        fields.push(("archivePrefix", "arXiv".into()));
    }
    if let Some(doi) = &p.doi {
        fields.push(("doi", doi.clone()));
    }
    if let Some(url) = p.main_link() {
        fields.push(("url", url.to_string()));
    }
    let kind = if conference { "inproceedings" } else { "misc" };
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect();
    format!("@{kind}{{{},\n{}\n}}\n", p.id, body.join(",\n"))
}

fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(ch);
            }
            '{' | '}' => {}
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cuts_at_words() {
        assert_eq!(one_line("short  text\nhere", 40), "short text here");
        assert_eq!(one_line("alpha beta gamma delta", 12), "alpha beta…");
    }

    #[test]
    fn snippets_are_coloured_only_when_asked() {
        let s = Snippet {
            text: "make video tokens cheap".into(),
            highlights: vec![Range { start: 5, end: 10 }],
        };
        assert_eq!(render_snippet(&s, false), "…make video tokens cheap…");
        assert_eq!(
            render_snippet(&s, true),
            "…make \x1b[1;33mvideo\x1b[0m tokens cheap…"
        );
    }

    #[test]
    fn snippets_read_without_links_and_markup() {
        assert_eq!(
            readable_abstract(
                "Code at https://x.y/z and \\url{https://a.b}. A \\textit{new} 2$\\times$ gain."
            ),
            "Code at  and . A new 2× gain."
        );
    }

    #[test]
    fn latex_special_characters_are_escaped() {
        assert_eq!(
            latex_escape("R&D 100% $x$ a_b {c}"),
            "R\\&D 100\\% \\$x\\$ a\\_b c"
        );
    }
}
