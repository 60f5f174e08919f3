//! Markdown out, in the shipped list's style: a heading per section, then
//! per paper `**(*TAG*) Title.** <br>`, an italic author line and one
//! `[[label]](url)` line per link. The tag is the paper's first tag (its id
//! comes back from it); a paper without one gets a `*Venue Year*` line
//! instead, and its id comes back from its arXiv id, DOI or title as
//! before. A paper in several sections is written under each, one tag per
//! entry when it has a tag per section (they merge back into one, with
//! every tag and the same id).

use std::io::Write;

use crate::paper::Paper;

/// Writes the whole list.
pub fn write_list(out: &mut impl Write, papers: &[Paper]) -> std::io::Result<()> {
    writeln!(out, "Papers\n======\n")?;
    for paper in papers.iter().filter(|p| p.sections.is_empty()) {
        write_entry(out, paper, paper.tags.first())?;
    }
    let mut sections: Vec<&str> = Vec::new();
    for paper in papers {
        for section in &paper.sections {
            if !sections.contains(&section.as_str()) {
                sections.push(section);
            }
        }
    }
    let written_before = |paper: &Paper, at: usize| {
        paper
            .sections
            .iter()
            .filter(|s| sections[..at].contains(&s.as_str()))
            .count()
    };
    for (at, section) in sections.iter().enumerate() {
        writeln!(out, "## {}\n", one_line(section))?;
        for paper in papers {
            if !paper.sections.iter().any(|s| s == section) {
                continue;
            }
            // A paper merged from entries in several sections has a tag
            // from each: its entries carry them in order (the first written
            // gets the first tag, which its id comes back from), so every
            // tag, an exact-lookup key, survives the round trip.
            let tag = if paper.tags.len() == paper.sections.len() {
                paper.tags.get(written_before(paper, at))
            } else {
                paper.tags.first()
            };
            write_entry(out, paper, tag)?;
        }
    }
    Ok(())
}

fn write_entry(out: &mut impl Write, p: &Paper, tag: Option<&String>) -> std::io::Result<()> {
    let title = one_line(&p.title);
    let end = if title.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    match tag {
        Some(tag) => writeln!(out, "**(*{}*) {title}{end}** <br>", one_line(tag))?,
        None => writeln!(out, "**{title}{end}** <br>")?,
    }
    if !p.authors.is_empty() {
        writeln!(out, "*{}.*<br>", one_line(&p.authors.join(", ")))?;
    }
    if p.tags.is_empty() {
        let when: Vec<String> = p
            .venue
            .iter()
            .cloned()
            .chain(p.year.map(|y| y.to_string()))
            .collect();
        if !when.is_empty() {
            writeln!(out, "*{}*<br>", one_line(&when.join(" ")))?;
        }
    }
    for link in &p.links {
        let label = if link.label.is_empty() {
            "link"
        } else {
            &link.label
        };
        writeln!(
            out,
            "[[{}]]({})",
            one_line(label),
            link.url.replace(' ', "%20")
        )?;
    }
    writeln!(out)
}

/// Text on one line, without the characters that would end the markup it
/// sits in.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['*', '[', ']'], "")
}
