//! Markdown out, in the shipped list's style: a heading per section, then
//! per paper `**(*TAG*) Title.** <br>`, an italic author line and one
//! `[[label]](url)` line per link. The tag is the paper's first tag (its id
//! comes back from it); a paper without one gets a `*Venue Year*` line
//! instead, and its id comes back from its arXiv id, DOI or title as
//! before. A paper in several sections is written under each (they merge
//! back into one).

use std::io::Write;

use crate::paper::Paper;

/// Writes the whole list.
pub fn write_list(out: &mut impl Write, papers: &[Paper]) -> std::io::Result<()> {
    writeln!(out, "Papers\n======\n")?;
    for paper in papers.iter().filter(|p| p.sections.is_empty()) {
        write_entry(out, paper)?;
    }
    let mut sections: Vec<&str> = Vec::new();
    for paper in papers {
        for section in &paper.sections {
            if !sections.contains(&section.as_str()) {
                sections.push(section);
            }
        }
    }
    for section in sections {
        writeln!(out, "## {}\n", one_line(section))?;
        for paper in papers
            .iter()
            .filter(|p| p.sections.iter().any(|s| s == section))
        {
            write_entry(out, paper)?;
        }
    }
    Ok(())
}

fn write_entry(out: &mut impl Write, p: &Paper) -> std::io::Result<()> {
    let title = one_line(&p.title);
    let end = if title.ends_with(['.', '?', '!']) {
        ""
    } else {
        "."
    };
    match p.tags.first() {
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
