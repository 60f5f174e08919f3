//! Table rows: the title column, venue/date/author columns, and cells
//! that list several papers one a line.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Col {
    Title,
    Paper,
    Venue,
    Date,
    Authors,
    Other,
}

pub(super) fn column_role(header: &str) -> Col {
    let h = header.to_lowercase();
    let h = h.trim();
    if h.contains("title") || h == "name" || h == "paper name" || h == "method" {
        Col::Title
    } else if h.contains("paper") || h == "article" || h == "work" {
        Col::Paper
    } else if h.contains("venue")
        || h.contains("conf")
        || h.contains("publication")
        || h.contains("journal")
        || h.contains("published")
        || h.contains("proceeding")
        || h == "pub"
        || h == "publisher"
        || h == "booktitle"
        || h == "source"
    {
        Col::Venue
    } else if h.contains("date") || h.contains("year") || h.contains("time") || h == "month" {
        Col::Date
    } else if h.contains("author") {
        Col::Authors
    } else {
        Col::Other
    }
}

pub(super) fn cell_title(cell: &Unit) -> Option<(String, Option<usize>, bool)> {
    let segs = segments(cell);
    // Bold text first, then a link's label, then the plain text.
    let bold: String = segs
        .iter()
        .filter(|s| s.bold)
        .map(|s| s.text.as_str())
        .collect();
    let t = clean_title(&bold);
    if !junk_title(&t) {
        let link = segs
            .iter()
            .find(|s| s.bold && s.link.is_some())
            .and_then(|s| s.link);
        return Some((t, link, true));
    }
    for (i, l) in cell.links.iter().enumerate() {
        let t = clean_title(&link_label(l));
        if !junk_title(&t) && !is_anchor(&l.url) && !l.bare && !l.label.trim().is_empty() {
            return Some((t, Some(i), false));
        }
    }
    let plain: String = segs
        .iter()
        .filter(|s| s.link.is_none())
        .map(|s| s.text.as_str())
        .collect();
    let t = clean_title(&plain);
    (!junk_title(&t) && t.split_whitespace().count() >= 2).then_some((t, None, false))
}

/// Splits a unit at its line breaks.
pub(super) fn lines_of(unit: &Unit) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut current = Unit {
        line: unit.line,
        ..Unit::default()
    };
    let mut map: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for p in &unit.pieces {
        match p {
            Piece::Break => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                    current.line = unit.line;
                }
                map.clear();
            }
            Piece::Text {
                text,
                bold,
                ital,
                link,
            } => {
                let link = link.map(|l| {
                    *map.entry(l).or_insert_with(|| {
                        current.links.push(unit.links[l].clone());
                        current.links.len() - 1
                    })
                });
                current.pieces.push(Piece::Text {
                    text: text.clone(),
                    bold: *bold,
                    ital: *ital,
                    link,
                });
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Lines that each link a paper by its title, read one by one; `None`
/// unless there are at least two.
pub(super) fn read_lines(unit: &Unit, sections: &[String]) -> Option<Vec<MdEntry>> {
    let lines = lines_of(unit);
    let mut titled: Vec<&Unit> = lines
        .iter()
        .filter(|l| {
            l.links
                .iter()
                .any(|k| !k.bare && paper_host(&k.url) && !junk_title(&clean_title(&link_label(k))))
        })
        .collect();
    // A reference list kept as one paragraph (`[7] Author, et al. "Title." … \`
    // then `[8] …`): every line is a numbered reference, one paper each.
    let written: Vec<&Unit> = lines.iter().filter(|l| !l.is_empty()).collect();
    if titled.len() < 2
        && written.len() >= 2
        && written.iter().all(|l| opens_with_reference_number(l))
    {
        titled = written;
    }
    if titled.len() < 2 {
        return None;
    }
    let mut out = Vec::new();
    for l in titled {
        let mut l = l.clone();
        l.line = unit.line;
        out.extend(read_unit(&l, sections, Context::Item));
    }
    (out.len() >= 2).then_some(out)
}

/// Whether a line opens with a reference number such as `[7]` (at most three
/// digits, so a bracketed year like `[2023]` is not one).
fn opens_with_reference_number(line: &Unit) -> bool {
    static NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*\[\d{1,3}\]\s").expect("regex"));
    let text: String = segments(line)
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    NUMBER.is_match(&text)
}

/// A table row: usually one paper; a cell listing several papers, one a line, gives each.
pub(super) fn read_row_entries(
    header: &[String],
    row: &[Unit],
    sections: &[String],
    line: usize,
) -> Vec<MdEntry> {
    let Some(base) = read_row(header, row, sections, line) else {
        return Vec::new();
    };
    for cell in row {
        if let Some(mut out) = read_lines(cell, sections) {
            for e in &mut out {
                e.line = line;
                if e.year.is_none() {
                    e.year = base.year;
                }
            }
            return out;
        }
    }
    vec![base]
}

pub(super) fn read_row(
    header: &[String],
    row: &[Unit],
    sections: &[String],
    line: usize,
) -> Option<MdEntry> {
    let roles: Vec<Col> = (0..row.len())
        .map(|i| header.get(i).map(|h| column_role(h)).unwrap_or(Col::Other))
        .collect();
    let mut order: Vec<usize> = (0..row.len()).filter(|&i| roles[i] == Col::Title).collect();
    order.extend((0..row.len()).filter(|&i| roles[i] == Col::Paper));
    let mut found = order
        .iter()
        .find_map(|&i| cell_title(&row[i]).map(|t| (i, t)));
    if found.is_none() {
        // No header names a title: the longest linked or bold cell of three words or more.
        found = (0..row.len())
            .filter(|&i| roles[i] == Col::Other)
            .filter_map(|i| cell_title(&row[i]).map(|t| (i, t)))
            .filter(|(_, (t, link, bold))| {
                (link.is_some() || *bold) && t.split_whitespace().count() >= 3
            })
            .max_by_key(|(_, (t, _, _))| t.len());
    }
    if found.is_none() && row.iter().any(has_paper_link) {
        // A plain-text title next to a paper link: the longest cell of four words or more.
        found = (0..row.len())
            .filter(|&i| matches!(roles[i], Col::Other | Col::Title | Col::Paper))
            .filter_map(|i| cell_title(&row[i]).map(|t| (i, t)))
            .filter(|(_, (t, _, _))| t.split_whitespace().count() >= 4 && !author_list(t))
            .max_by_key(|(_, (t, _, _))| t.len());
    }
    let (title_col, (title, _, _)) = found?;
    let (title, venue_text) = split_title_venue(&title);
    let title = clean_title(&title);
    if junk_title(&title) {
        return None;
    }
    let mut links: Vec<(String, String)> = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        for (label, url) in entry_links(cell) {
            if links.iter().any(|(_, u)| u == &url) {
                continue;
            }
            let label = if matches!(
                label.to_lowercase().as_str(),
                "link" | "here" | "url" | "click" | "🔗"
            ) {
                header
                    .get(i)
                    .cloned()
                    .filter(|h| !h.is_empty())
                    .unwrap_or(label)
            } else {
                label
            };
            links.push((label, url));
        }
    }
    let mut venue = None;
    let mut year = None;
    let mut authors = Vec::new();
    if let Some(v) = &venue_text {
        venue = venue_of(v);
        year = find_year(v);
    }
    for (i, cell) in row.iter().enumerate() {
        if i == title_col {
            continue;
        }
        let text = squash(&cell.plain_text());
        match roles[i] {
            Col::Venue => {
                // A `Source` column may hold only the paper's `[paper]` link.
                let only_a_link = !cell.links.is_empty() && generic_label(&text);
                if venue.is_none() && !text.is_empty() && text != "-" && !only_a_link {
                    venue = venue_of(&text);
                }
                if year.is_none() {
                    year = find_year(&text);
                }
            }
            Col::Date => {
                if let Some(y) = find_year(&text) {
                    year = Some(y);
                }
                // `| (NeurIPS, 2023) |` under Year: the venue is there too.
                if venue.is_none() && !date_like(&text) {
                    venue = venue_of(&text);
                }
            }
            Col::Authors => {
                if let Some(a) = parse_authors(&text) {
                    authors = a;
                }
            }
            _ => {}
        }
    }
    let has_link = links.iter().any(|(_, u)| !u.is_empty());
    if !has_link && venue.is_none() && year.is_none() && authors.is_empty() {
        return None;
    }
    let mut entry = MdEntry {
        line,
        title,
        authors,
        venue,
        year,
        sections: sections.to_vec(),
        links,
        arxiv_id: None,
        doi: None,
        tag: None,
        abstract_text: None,
    };
    fill_ids(&mut entry);
    Some(entry)
}
