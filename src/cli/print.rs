//! Printers for results: a compact listing for people (with highlighted
//! snippets and, on request, why each hit ranks where it does), JSON and
//! JSON Lines for scripts, and BibTeX to paste into a paper. Kept apart from
//! the engine so new formats never touch ranking code.

use std::io::Write;

use crate::paper::Paper;
use crate::search::results::{Explain, LegExplain, Results, Snippet};

/// Output formats of `search` and `similar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Table.
    Table,
    /// Json.
    Json,
    /// Jsonl.
    Jsonl,
    /// Bibtex.
    Bibtex,
}

/// Writes a result list in `format`; `color` highlights snippet words.
pub fn write(
    out: &mut impl Write,
    format: Format,
    results: &Results<'_>,
    color: bool,
) -> std::io::Result<()> {
    match format {
        Format::Table => write_table(out, results, color),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, results)?;
            writeln!(out)
        }
        Format::Jsonl => {
            for hit in &results.hits {
                serde_json::to_writer(&mut *out, hit)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Bibtex => {
            for hit in &results.hits {
                writeln!(out, "{}", crate::write::bibtex::entry(hit.hit.paper))?;
            }
            Ok(())
        }
    }
}

/// Width of the abstract line in the listing.
const LINE_WIDTH: usize = 96;
const HIGHLIGHT_ON: &str = "\x1b[1;33m";
const HIGHLIGHT_OFF: &str = "\x1b[0m";

fn write_table(out: &mut impl Write, results: &Results<'_>, color: bool) -> std::io::Result<()> {
    if results.hits.is_empty() {
        writeln!(out, "no papers found")?;
    }
    // Word feedback is one per query: its words are said once, above the hits.
    let words_fed_back = results
        .hits
        .iter()
        .find_map(|h| h.explain.as_ref()?.word_feedback.as_ref());
    if let Some(fb) = words_fed_back {
        let words: Vec<String> = fb
            .used
            .words
            .iter()
            .map(|(word, weight)| format!("{word} {weight:.2}"))
            .collect();
        writeln!(
            out,
            "word feedback from the first {} results (keyword part {:.2} query, {:.2} these words): {}",
            fb.used.from_papers,
            fb.used.keep,
            1.0 - fb.used.keep,
            words.join(", ")
        )?;
    }
    for (i, hit) in results.hits.iter().enumerate() {
        let p = hit.hit.paper;
        writeln!(out, "{:>2}. {}", i + 1, p.title)?;
        writeln!(out, "    {}", meta_line(p))?;
        match &hit.snippet {
            Some(snippet) => writeln!(out, "    {}", render_snippet(snippet, color))?,
            None => {
                if let Some(abs) = &p.abstract_text {
                    writeln!(out, "    {}", one_line(abs, LINE_WIDTH))?;
                }
            }
        }
        if let Some(explain) = &hit.explain {
            writeln!(out, "    why: {}", explain_line(explain))?;
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
        Some(l) => match l.past_top {
            Some(top) => format!("{name} past its top {top} ({what} {:.3})", l.score),
            None => format!("{name} #{} ({what} {:.3})", l.rank, l.score),
        },
        None => format!("{name} –"),
    };
    let semantic = match e.semantic_feedback {
        Some(fb) => format!(
            "{} after feedback from its first {} hits (weight {})",
            leg("semantic", "cosine", &e.semantic),
            fb.k,
            fb.weight
        ),
        None => leg("semantic", "cosine", &e.semantic),
    };
    let keyword = match &e.word_feedback {
        Some(fb) => format!(
            "{} · {}",
            leg("keyword", "BM25", &e.keyword),
            leg("feedback words", "BM25", &fb.leg)
        ),
        None => leg("keyword", "BM25", &e.keyword),
    };
    format!(
        "{} · {} · {}: {}{}",
        keyword,
        semantic,
        e.fusion.method,
        e.fusion.formula,
        if e.fusion.exact_match_first {
            " · exact match, shown first"
        } else if e.fusion.author_match_first {
            " · by the author named, shown first"
        } else {
            ""
        }
    )
}

/// The snippet on one line; highlighted words in colour when `color`.
pub(crate) fn render_snippet(snippet: &Snippet, color: bool) -> String {
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
pub(crate) fn write_paper(out: &mut impl Write, p: &Paper) -> std::io::Result<()> {
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
    if !p.keywords.is_empty() {
        writeln!(out, "  keywords: {}", p.keywords.join(", "))?;
    }
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

/// One source's line of `index`'s report: `list.md: 212 entries, 3 skipped`.
pub fn source_line(source: &crate::collection::SourceReport) -> String {
    let mut line = format!("{}: {}", source.name, entries(source.entries));
    if source.skipped > 0 {
        line.push_str(&format!(", {} skipped", source.skipped));
    }
    line
}

fn entries(n: usize) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}

/// The report's merge line, `488 entries → 476 papers, 12 merged`, when
/// any entries were read.
pub fn merged_line(report: &crate::index::build::BuildReport) -> Option<String> {
    let read: usize = report.sources.iter().map(|s| s.entries).sum();
    (read > 0).then(|| {
        format!(
            "{} → {} paper{}, {} merged",
            entries(read),
            report.papers,
            if report.papers == 1 { "" } else { "s" },
            report.merges.len()
        )
    })
}

/// One merge, for `index --verbose`: `merged zotero.bib `touvron_llama_2023`
/// into arxiv2023-llama "LLaMA: …": same arXiv id 2302.13971`.
pub fn merge_line(merge: &crate::collection::MergeNote) -> String {
    format!(
        "merged {} into {} \"{}\": {}",
        merge.entry,
        merge.paper,
        one_line(&merge.title, 60),
        merge.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::results::readable_abstract;
    use std::ops::Range;

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
}
