//! One block to entries: find the title by the first layout rule that
//! applies, then read authors, venue, year and links from the rest.

use super::*;

// Reading one unit.

pub(super) struct Fields {
    pub(super) authors: Vec<String>,
    pub(super) venue: Option<String>,
    pub(super) venue_year: Option<u16>,
    pub(super) date_year: Option<u16>,
}

/// Splits text outside the title into chunks at sentence ends, dashes, bars
/// and brackets (not at the dot of an initial such as `E.`).
pub(super) fn chunks_of(segs: &[&Seg]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for seg in segs {
        let mut cur = String::new();
        let chars: Vec<char> = seg.text.chars().collect();
        let mut i = 0;
        let push = |cur: &mut String, out: &mut Vec<(String, bool)>| {
            let t = cur.trim().to_string();
            if !t.is_empty() {
                out.push((t, seg.ital));
            }
            cur.clear();
        };
        if seg.newline {
            out.push((String::new(), false));
        }
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            match c {
                '(' | ')' | '[' | ']' | '|' | '•' | '·' => {
                    push(&mut cur, &mut out);
                }
                '.' | ';' if next.is_whitespace() => {
                    let word: String = cur
                        .chars()
                        .rev()
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    let word: String = word.chars().rev().collect();
                    if is_initials(&word) || (c == '.' && word.eq_ignore_ascii_case("proc")) {
                        cur.push(c);
                    } else {
                        push(&mut cur, &mut out);
                    }
                }
                '-' | '–' | '—' if cur.ends_with(' ') && next.is_whitespace() => {
                    push(&mut cur, &mut out);
                }
                _ => cur.push(c),
            }
            i += 1;
        }
        push(&mut cur, &mut out);
    }
    out.retain(|(t, _)| t.chars().any(char::is_alphanumeric) || t.is_empty());
    // Drop the empty line markers, they only cut chunks.
    out.retain(|(t, _)| !t.is_empty());
    out
}

/// Whether `word` (the text before a dot) is a name's initials: single
/// capitals joined by dots or hyphens (`E`, `P.-W`, `J.R`), whose dot does
/// not end a sentence.
fn is_initials(word: &str) -> bool {
    let mut parts = word.split(['.', '-']).filter(|p| !p.is_empty()).peekable();
    parts.peek().is_some()
        && parts.all(|p| {
            let mut chars = p.chars();
            chars.next().is_some_and(char::is_uppercase) && chars.next().is_none()
        })
}

pub(super) fn read_fields(segs: &[&Seg], extra_venue: Option<&str>) -> Fields {
    let chunks = chunks_of(segs);
    let mut f = Fields {
        authors: Vec::new(),
        venue: None,
        venue_year: None,
        date_year: None,
    };
    if let Some(v) = extra_venue {
        if let Some(y) = find_year(v) {
            f.venue_year = Some(y);
        }
        f.venue = venue_of(v);
    }
    let mut italic_venue: Option<String> = None;
    static FIELD_LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:authors?|by|venue|conference|conf|published in|publication|journal|year|date|time)\s*[:：]\s*").expect("regex")
    });
    for (chunk, ital) in &chunks {
        let chunk = FIELD_LABEL.replace(chunk, "");
        let chunk = chunk.trim_matches(|c: char| c == ',' || c.is_whitespace());
        if chunk.is_empty() {
            continue;
        }
        if let Some(year) = arxiv_id_year(chunk) {
            if f.venue.is_none() {
                f.venue = Some("arXiv".into());
                f.venue_year = Some(year);
            }
            continue;
        }
        if date_like(chunk) {
            if f.date_year.is_none() {
                f.date_year = find_year(chunk);
            }
            continue;
        }
        if let Some(year) = find_year(chunk) {
            // `Authors, Venue Year` or `Venue, Month Year`.
            let parts: Vec<&str> = chunk.split(',').map(str::trim).collect();
            let at = parts
                .iter()
                .position(|p| find_year(p).is_some())
                .unwrap_or(0);
            let mut venue = venue_of(parts[at]);
            let mut before = &parts[..at];
            let single = parts
                .get(at.wrapping_sub(1))
                .is_some_and(|p| p.split_whitespace().count() == 1);
            if venue.is_none()
                && at > 0
                && (*ital || parse_authors(parts[at - 1]).is_none())
                && (*ital || single || !name_like(parts[at - 1]))
            {
                venue = venue_of(parts[at - 1]);
                before = &parts[..at - 1];
            }
            if f.authors.is_empty()
                && !before.is_empty()
                && let Some(a) = parse_authors(&before.join(", "))
            {
                f.authors = a;
            }
            if f.venue_year.is_none() && venue.is_some() {
                f.venue_year = Some(year);
                f.venue = venue;
            } else if f.date_year.is_none() {
                f.date_year = Some(year);
            }
            continue;
        }
        if f.authors.is_empty()
            && let Some(a) = parse_authors(chunk)
        {
            f.authors = a;
            continue;
        }
        // An italic remark without a year names a venue only if it has a
        // capital (`*Nature Methods*`, `*npj Digital Medicine*`); `*short,
        // practical*` is the list's comment.
        if *ital
            && italic_venue.is_none()
            && chunk.split_whitespace().count() <= 10
            && (chunk.chars().any(char::is_uppercase) || chunk.to_lowercase().contains("rxiv"))
        {
            italic_venue = venue_of(chunk);
        }
    }
    if f.venue.is_none() {
        f.venue = italic_venue;
    }
    f
}

pub(super) struct TitleFound {
    pub(super) title: String,
    /// Indices of the segments that make the title.
    pub(super) segs: Vec<usize>,
    /// Text inside the title that names a venue, e.g. `(AAAI 2022)`.
    pub(super) venue_text: Option<String>,
    pub(super) tag: Option<String>,
    pub(super) strong: bool,
    pub(super) from_link: Option<usize>,
    /// What is left of the title's own text once the title is taken out
    /// (`Title. Authors. Venue` in one run of plain text).
    pub(super) rest: Option<String>,
}

pub(super) static CITATION_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s(])(?:19|20)\d{2}[a-z]?\)?[.,:]\s*$").expect("regex"));
/// `Journal of Things, May 2021`: a venue and date, not a title.
pub(super) static VENUE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i),\s*(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?:19|20)\d{2}\W*$").expect("regex")
});
pub(super) static TAG_BOLD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\*\*\(\*(?P<tag>[^*()]+)\*\)\s*(?P<rest>.*)$").expect("regex"));
pub(super) static VENUE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<title>.*?)\s*[\(\[](?P<venue>[^()\[\]]*(?:(?:19|20)\d{2}|['’]\d{2})[^()\[\]]*)[\)\]]\s*\W*$").expect("regex")
});
pub(super) static ACRONYM_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<title>.*?)\s*\((?P<venue>(?:[A-Z][A-Za-z&-]*[A-Z][A-Za-z&-]*)(?:[ /][A-Z][A-Za-z&-]*){0,2})\)\s*$").expect("regex")
});
pub(super) static VENUE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*[\(\[【](?P<venue>[^()\[\]【】]{2,40})[\)\]】]\s*(?P<title>.+)$")
        .expect("regex")
});

/// The capitals of `short` are the initials of consecutive words of
/// `title` (`PCM` for `Private Chat Models`).
fn abbreviates(short: &str, title: &str) -> bool {
    let caps: String = short.chars().filter(char::is_ascii_uppercase).collect();
    let initials: String = title
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    caps.len() >= 2 && initials.contains(&caps)
}

/// Takes a venue in brackets off the start or end of a title.
pub(super) fn split_title_venue(title: &str) -> (String, Option<String>) {
    if let Some(c) = VENUE_SUFFIX.captures(title)
        && c["title"].split_whitespace().count() >= 2
    {
        return (c["title"].to_string(), Some(c["venue"].to_string()));
    }
    // `Title (NeurIPS)`: an acronym in brackets at the end.
    // Not the title's own acronym: `Private Chat Models (PCM)`.
    if let Some(c) = ACRONYM_SUFFIX.captures(title)
        && c["title"].split_whitespace().count() >= 2
        && !abbreviates(&c["venue"], &c["title"])
    {
        return (c["title"].to_string(), Some(c["venue"].to_string()));
    }
    if let Some(c) = VENUE_PREFIX.captures(title)
        && c["title"].split_whitespace().count() >= 2
        && (find_year(&c["venue"]).is_some()
            || c["venue"].chars().filter(|c| c.is_uppercase()).count() >= 2)
    {
        return (c["title"].to_string(), Some(c["venue"].to_string()));
    }
    (title.to_string(), None)
}

pub(super) fn find_title(unit: &Unit, segs: &[Seg], ctx: Context) -> Option<TitleFound> {
    // 1. The shipped style: `**(*VENUEYEAR_Tag*) Title.**`.
    if let Some(c) = TAG_BOLD.captures(unit.first_raw_line.trim()) {
        let tag = c["tag"].trim().to_string();
        let title_line: Vec<usize> = segs
            .iter()
            .enumerate()
            .take_while(|(i, s)| *i == 0 || !s.newline)
            .map(|(i, _)| i)
            .collect();
        // The title is the bold text after the tag, up to the first line break.
        let mut text = String::new();
        let mut used = Vec::new();
        for &i in &title_line {
            let s = &segs[i];
            if s.link.is_some() {
                continue;
            }
            text.push_str(&s.text);
            used.push(i);
        }
        // An unclosed `**` is left as text by the parser.
        let text = text.trim().trim_start_matches("**").trim_start();
        let text = text
            .strip_prefix('(')
            .and_then(|t| t.trim_start().strip_prefix(tag.as_str()))
            .and_then(|t| t.trim_start().strip_prefix(')'))
            .unwrap_or(text);
        let mut title = squash(text);
        if title.ends_with('.') {
            title.pop();
        }
        let title = squash(title.trim_matches(|c: char| c == '*' || c.is_whitespace()));
        return Some(TitleFound {
            title: if title.is_empty() {
                parse_tag_name(&tag)
            } else {
                title
            },
            segs: used,
            venue_text: None,
            tag: Some(tag),
            strong: true,
            from_link: None,
            rest: None,
        });
    }
    // 1b. A bold venue tag, then the title on the same line, plain, italic,
    // bold or linked: `* **[CVPR'23]** Title`, `- **[ICRA'21]** *Title*`.
    if let Some(first) = segs.first()
        && first.bold
        && first.link.is_none()
        && let Some(tag_venue) = venue_tag(&first.text)
    {
        let mut used = vec![0];
        let mut k = 1;
        while k < segs.len()
            && !segs[k].newline
            && segs[k].link.is_none()
            && segs[k].text.trim().is_empty()
        {
            used.push(k);
            k += 1;
        }
        let mut text = String::new();
        let mut link = None;
        let title_start = k;
        if let Some(start) = segs.get(k).filter(|s| !s.newline) {
            let style = (start.bold, start.ital, start.link);
            while let Some(s) = segs.get(k) {
                let same = if style == (false, false, None) {
                    !s.bold && !s.ital && s.link.is_none()
                } else {
                    (s.bold, s.ital, s.link) == style
                };
                // A plain title wraps onto the next line when its line ends
                // mid-phrase (`… Efficient Streaming of` / `Free-Viewpoint Videos`).
                let wraps = style == (false, false, None) && ends_mid_phrase(&text);
                if (k > title_start && s.newline && !wraps) || !same {
                    break;
                }
                if s.newline && !text.ends_with(' ') {
                    text.push(' ');
                }
                text.push_str(&s.text);
                used.push(k);
                k += 1;
            }
            link = style.2;
        }
        // A plain title may trail the list's remarks or names:
        // `Title, Ann Lee, no code yet`.
        let mut rest = None;
        if link.is_none()
            && !segs[title_start..]
                .first()
                .is_some_and(|s| s.bold || s.ital)
        {
            let whole = text.clone();
            let mut parts: Vec<&str> = whole.split(", ").collect();
            let remark = |p: &str| {
                p.chars().next().is_some_and(char::is_lowercase)
                    && p.split_whitespace().count() <= 4
            };
            let names = |p: &str| {
                author_list(p) || (name_like(p) && (2..=3).contains(&p.split_whitespace().count()))
            };
            let mut people = Vec::new();
            while parts.len() > 1
                && parts
                    .last()
                    .is_some_and(|p| remark(p.trim()) || names(p.trim()))
            {
                let p = parts.pop().unwrap_or_default().trim();
                if names(p) {
                    people.insert(0, p);
                }
            }
            if parts.len() < whole.split(", ").count() {
                text = parts.join(", ");
                rest = (!people.is_empty()).then(|| people.join(", "));
            }
        }
        let (title, venue_in_title) = split_title_venue(&clean_title(&text));
        let title = clean_title(&title);
        if title.split_whitespace().count() >= 2 && !junk_title(&title) {
            return Some(TitleFound {
                title,
                segs: used,
                venue_text: Some(venue_in_title.unwrap_or(tag_venue)),
                tag: None,
                strong: true,
                from_link: link,
                rest,
            });
        }
    }
    let first_line_end = segs
        .iter()
        .skip(1)
        .position(|s| s.newline)
        .map(|p| p + 1)
        .unwrap_or(segs.len());
    // 2. Bold text near the start: nothing before it but a date, a number,
    // a short label or generic links.
    let mut prefix_clean = Vec::with_capacity(segs.len() + 1);
    let mut clean = true;
    for p in segs {
        prefix_clean.push(clean);
        let t = p.text.trim();
        clean = clean
            && (p.link.is_none() && t.chars().filter(|c| c.is_alphabetic()).count() <= 12
                || p.link
                    .is_some_and(|l| generic_label(&link_label(&unit.links[l])))
                || date_like(t));
    }
    prefix_clean.push(clean);
    let mut i = 0;
    while i < segs.len() {
        let s = &segs[i];
        if s.bold {
            let mut j = i;
            let mut text = String::new();
            let mut link = None;
            while j < segs.len() && segs[j].bold && (j == i || !segs[j].newline) {
                text.push_str(&segs[j].text);
                if segs[j].link.is_some() && link.is_none() {
                    link = segs[j].link;
                }
                j += 1;
            }
            let cleaned = clean_title(&text);
            let words = cleaned.split_whitespace().count();
            let prefix_ok = prefix_clean[i];
            // `**Vision transformers** have become the default backbone for
            // … [[1](url)]`: bold words that a sentence runs on from are prose.
            let sentence_runs_on = segs.get(j).is_some_and(|next| {
                let t = next.text.trim_start();
                next.link.is_none()
                    && !next.newline
                    && !next.bold
                    && !next.ital
                    && t.chars().next().is_some_and(char::is_lowercase)
                    && t.split_whitespace().count() >= 8
                    && !t.starts_with("et al")
            });
            if sentence_runs_on {
                i = j;
                continue;
            }
            // `Hinton, G. "**Title**." Venue`: a bold title in quotes, wherever it is.
            let quoted = i > 0
                && segs[i - 1].link.is_none()
                && segs[i - 1].text.trim_end().ends_with(['"', '“']);
            if !junk_title(&cleaned)
                && (i == 0 || prefix_ok || quoted || ctx == Context::Item && i < first_line_end)
            {
                // `**Name**: "Title"`: a short bold name before a quoted title.
                if words <= 3
                    && let Some(mut q) = quoted_title(segs, j)
                {
                    q.segs = (i..j).collect();
                    return Some(q);
                }
                if words >= 2 || link.is_some() || quoted_title(segs, j).is_none() {
                    let (title, venue_text) = split_title_venue(&cleaned);
                    return Some(TitleFound {
                        title: clean_title(&title),
                        segs: (i..j).collect(),
                        venue_text,
                        tag: None,
                        strong: true,
                        from_link: link,
                        rest: None,
                    });
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    // 3. A quoted title.
    if let Some(q) = quoted_title(segs, 0) {
        return Some(q);
    }
    // 3b. An italic title first in an item: `- *Title*, Authors, Venue 2017`.
    if ctx == Context::Item
        && let Some(first) = segs.first()
        && first.ital
        && first.link.is_none()
    {
        let t = clean_title(&first.text);
        if t.split_whitespace().count() >= 3
            && !junk_title(&t)
            && !author_list(&t)
            && find_year(&t).is_none()
            && segs.len() > 1
        {
            return Some(TitleFound {
                title: t,
                segs: vec![0],
                venue_text: None,
                tag: None,
                strong: false,
                from_link: None,
                rest: None,
            });
        }
    }
    // 4. A link with a title as its label.
    let mut firsts = true;
    for (i, s) in segs.iter().enumerate() {
        let Some(l) = s.link else {
            if s.text
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphabetic))
                .count()
                > 0
                && !date_like(s.text.trim())
            {
                firsts = false;
            }
            continue;
        };
        let link = &unit.links[l];
        if is_anchor(&link.url) || link.bare {
            continue;
        }
        // The whole label, which may span segments.
        let segs_of_link: Vec<usize> = segs
            .iter()
            .enumerate()
            .filter(|(_, x)| x.link == Some(l))
            .map(|(k, _)| k)
            .collect();
        if segs_of_link.first() != Some(&i) {
            continue;
        }
        let label = clean_title(&link_label(link));
        if junk_title(&label) {
            continue;
        }
        let words = label.split_whitespace().count();
        // `Authors. 2019. [Title](url)`: the link right after a year is the title.
        let after_year =
            i > 0 && segs[i - 1].link.is_none() && CITATION_YEAR.is_match(&segs[i - 1].text);
        if firsts || words >= 3 || after_year {
            let (title, venue_text) = split_title_venue(&label);
            return Some(TitleFound {
                title: clean_title(&title),
                segs: segs_of_link,
                venue_text,
                tag: None,
                strong: false,
                from_link: Some(l),
                rest: None,
            });
        }
    }
    // 5. Plain text before the first link, when an item links a paper.
    // A date may lead as the paper's own link: `- [2025.10](arxiv…), Title, [website](…)`.
    if ctx == Context::Item && has_paper_link(unit) {
        let mut text = String::new();
        let mut used = Vec::new();
        let mut lead_date = None;
        let mut from = 0;
        if let Some(l) = segs.first().and_then(|s| s.link) {
            let label = link_label(&unit.links[l]);
            if date_like(label.trim()) && paper_link(&label, &unit.links[l].url) {
                while segs.get(from).is_some_and(|s| s.link == Some(l)) {
                    used.push(from);
                    from += 1;
                }
                lead_date = Some(label);
            }
        }
        for (i, s) in segs.iter().enumerate().skip(from) {
            if s.link.is_some() || (i > from && s.newline) {
                break;
            }
            text.push_str(&s.text);
            used.push(i);
        }
        // `[ICCV 2023] Title`, `【ICML 2024】Title`, `[202401] Title`: where or
        // when, then the title.
        let prefixed = leading_venue(&text);
        let prefix_seg = prefixed.as_ref().map(|(_, rest)| Seg {
            text: rest.clone(),
            bold: false,
            ital: false,
            link: None,
            newline: false,
        });
        let chunks = match &prefix_seg {
            Some(seg) => chunks_of(&[seg]),
            None => chunks_of(
                &used
                    .iter()
                    .filter(|&&i| segs[i].link.is_none())
                    .map(|&i| &segs[i])
                    .collect::<Vec<_>>(),
            ),
        };
        // After a leading date link the rest of the line is the title.
        let led = lead_date.is_some();
        let venue_text = prefixed.map(|(venue, _)| venue).or(lead_date);
        // The title must end where a field starts, not run into a link's text:
        // punctuation, a new line, or a link labelled `paper`/`pdf`.
        let next = segs.get(used.last().map_or(0, |&i| i + 1));
        let terminated = chunks.len() > 1
            || text
                .trim_end()
                .ends_with(['.', ',', ':', ';', '-', '–', '—', '|', '(', '['])
            || next.is_some_and(|n| n.newline)
            || (led && next.is_none())
            || next
                .and_then(|n| n.link)
                .is_some_and(|l| generic_label(&link_label(&unit.links[l])));
        if let Some((first, _)) = chunks
            .iter()
            .find(|(c, _)| !date_like(c) && !c.trim().is_empty())
            .filter(|_| terminated)
        {
            // `Title, Authors, Venue 2017`: the title ends at the comma before
            // the people (named people: `…: Tasks, Methods, and Challenges`
            // is one title).
            let first = match first.split_once(", ") {
                Some((head, tail))
                    if head.split_whitespace().count() >= 3
                        && (people(tail) || find_year(tail).is_some()) =>
                {
                    head.to_string()
                }
                _ => first.clone(),
            };
            let first = &first;
            let t = clean_title(first);
            if t.split_whitespace().count() >= 3
                && !junk_title(&t)
                && !author_list(&t)
                && !VENUE_LINE.is_match(&t)
            {
                let rest = text
                    .find(first.as_str())
                    .map(|at| text[at + first.len()..].to_string());
                return Some(TitleFound {
                    title: t,
                    segs: used,
                    venue_text,
                    tag: None,
                    strong: false,
                    from_link: None,
                    rest,
                });
            }
        }
    }
    None
}

/// Authors by name: `et al.`, or two or more names of which one at least has
/// a first name (`Yarin Gal and Zoubin Ghahramani`), not a run of single
/// words a title lists (`Methods, and Challenges`).
fn people(text: &str) -> bool {
    text.to_lowercase().contains("et al")
        || parse_authors(text).is_some_and(|names| {
            names.len() >= 2 && names.iter().any(|n| n.split_whitespace().count() >= 2)
        })
}

/// A bracketed venue or date before a title: `[ICCV 2023] Title`,
/// `【ICML 2024】Title`, `[202401] Title`. The venue text, and the rest.
pub(super) fn leading_venue(text: &str) -> Option<(String, String)> {
    static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*[\[【(]\s*(?P<venue>[^\[\]【】()]{2,40}?)\s*[\]】)]\s*(?P<rest>\S.*)$")
            .expect("regex")
    });
    let c = PREFIX.captures(text)?;
    let rest = c["rest"].to_string();
    if rest.split_whitespace().count() < 2 {
        return None;
    }
    Some((bracketed_venue(&c["venue"])?, rest))
}

/// Text that stops on a word no title ends with (`of`, `for`, `and`…).
fn ends_mid_phrase(text: &str) -> bool {
    text.split_whitespace().last().is_some_and(|w| {
        matches!(
            w,
            "of" | "for"
                | "and"
                | "the"
                | "with"
                | "in"
                | "on"
                | "to"
                | "a"
                | "an"
                | "via"
                | "from"
                | "by"
        )
    })
}

/// A bold label that names where a paper appeared, in brackets:
/// `[CVPR'23]`, `[ICCV'21 Oral]`, `(NeurIPS 2022)`, `[arXiv'23.05]`.
pub(super) fn venue_tag(text: &str) -> Option<String> {
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*[\[(【]\s*(?P<inner>[^\[\]()【】]{2,40}?)\s*[\])】]\s*$").expect("regex")
    });
    bracketed_venue(&TAG.captures(text)?["inner"])
}

/// What a bracket before a title holds, when it says where or when the
/// paper appeared, as venue text the fields reader takes apart: a year
/// (`ICCV'21 Oral`, `2023`), an acronym (`CVPR`), arXiv, an arXiv month
/// (`arxiv:2207` → `arXiv 2022`) or a month stamp (`202406` → `2024.06`).
fn bracketed_venue(inner: &str) -> Option<String> {
    static ARXIV_MONTH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^arxiv\W*(?P<yy>\d{2})(?:\d{2})\W*$").expect("regex"));
    static MONTH_STAMP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^((?:19|20)\d{2})(0[1-9]|1[0-2])$").expect("regex"));
    let inner = inner.trim();
    if let Some(c) = ARXIV_MONTH.captures(inner) {
        return Some(format!("arXiv 20{}", &c["yy"]));
    }
    if let Some(m) = MONTH_STAMP.captures(inner) {
        return Some(format!("{}.{}", &m[1], &m[2]));
    }
    let acronym = inner
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.chars().filter(char::is_ascii_uppercase).count() >= 2);
    let arxiv = inner.to_ascii_lowercase().starts_with("arxiv");
    (find_year(inner).is_some() || acronym || arxiv).then(|| inner.to_string())
}

pub(super) fn parse_tag_name(tag: &str) -> String {
    match tag.split_once('_') {
        Some((_, name)) => name.trim().to_string(),
        None => tag.trim().to_string(),
    }
}

/// `"Title"` or `“Title”` in the text from segment `from` on.
pub(super) fn quoted_title(segs: &[Seg], from: usize) -> Option<TitleFound> {
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"["“]([^"”]{8,400})["”]"#).expect("regex"));
    let (i, s) = segs
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, s)| s.link.is_none() && (s.text.contains('"') || s.text.contains('“')))?;
    let c = QUOTED.captures(&s.text)?;
    let title = clean_title(&c[1]);
    if title.split_whitespace().count() < 3 || junk_title(&title) {
        return None;
    }
    let _ = i;
    Some(TitleFound {
        title,
        segs: vec![],
        venue_text: None,
        tag: None,
        strong: false,
        from_link: None,
        rest: None,
    })
}

pub(super) fn strip_quoted(text: &str, title: &str) -> String {
    for (o, c) in [("\"", "\""), ("“", "”")] {
        let q = format!("{o}{title}");
        if let Some(start) = text.find(&q) {
            let after = &text[start + q.len()..];
            let end = after.find(c).map(|e| e + c.len()).unwrap_or(0);
            return format!("{}{}", &text[..start], &after[end..]);
        }
    }
    text.to_string()
}

pub(super) fn entry_links(unit: &Unit) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in &unit.links {
        // A target with no letter and no slash (`[Title](2021)`) is a slip
        // in the list, not a page to open.
        let nowhere = !l.url.chars().any(|c| c.is_alphabetic() || c == '/');
        if nowhere || is_anchor(&l.url) {
            continue;
        }
        if out.iter().any(|(_, u)| u == &l.url) {
            continue;
        }
        let label = squash(&link_label(l));
        out.push((
            if label.is_empty() {
                "link".into()
            } else {
                label
            },
            l.url.clone(),
        ));
    }
    out
}

pub(super) fn fill_ids(e: &mut MdEntry) {
    for (_, url) in &e.links {
        if e.arxiv_id.is_none()
            && let Some(id) = arxiv_id_of_url(url)
        {
            e.arxiv_id = Some(id);
        }
        if e.doi.is_none()
            && let Some(doi) = doi_of_url(url)
        {
            e.doi = Some(doi);
        }
    }
}

/// Reads a list item or a block: zero, one or (several linked titles) more entries.
/// A checklist item without a link (`- [ ] Title`): its first line is the
/// paper's title when it reads as one, and the lines under it may give
/// authors and venue. A to-do (`- [ ] Read the experiments.`) does not.
pub(super) fn task_entry(unit: &Unit, sections: &[String]) -> Option<MdEntry> {
    let segs = segments(unit);
    let first_line: Vec<usize> = (0..segs.len())
        .take_while(|&i| i == 0 || !segs[i].newline)
        .collect();
    let text: String = first_line.iter().map(|&i| segs[i].text.as_str()).collect();
    let (title, venue_text) = split_title_venue(&clean_title(&text));
    let title = clean_title(&title);
    if text.trim_end().ends_with('.') || !reads_as_title(&title) {
        return None;
    }
    let rest: Vec<&Seg> = (0..segs.len())
        .filter(|i| !first_line.contains(i))
        .map(|i| &segs[i])
        .collect();
    let fields = read_fields(&rest, venue_text.as_deref());
    Some(MdEntry {
        line: unit.line,
        title,
        authors: fields.authors,
        venue: fields.venue,
        year: fields.venue_year.or(fields.date_year),
        sections: sections.to_vec(),
        ..MdEntry::default()
    })
}

/// Capitalised like a title: three to thirty words, starting with a capital
/// or a digit, and either at least half of the longer Latin-script words
/// capitalised (`On Distillation of Guided Diffusion Models`) or a short
/// name before a colon (`Visual Programming: Compositional visual
/// reasoning`). A sentence or a to-do (`Implement it and compare`) is neither.
pub(super) fn reads_as_title(title: &str) -> bool {
    let words: Vec<&str> = title.split_whitespace().collect();
    let long: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| w.chars().filter(char::is_ascii_alphabetic).count() >= 4)
        .collect();
    let capitalised = long
        .iter()
        .filter(|w| {
            w.chars()
                .find(char::is_ascii_alphabetic)
                .is_some_and(|c| c.is_ascii_uppercase())
        })
        .count();
    let named_before_colon = title
        .split_once(": ")
        .is_some_and(|(head, _)| (1..=5).contains(&head.split_whitespace().count()));
    (3..=30).contains(&words.len())
        && title
            .chars()
            .find(|c| c.is_alphanumeric())
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && ((long.len() >= 2 && capitalised * 2 >= long.len()) || named_before_colon)
        && !junk_title(title)
}

pub(super) fn read_unit(unit: &Unit, sections: &[String], ctx: Context) -> Vec<MdEntry> {
    let segs = segments(unit);
    let Some(found) = find_title(unit, &segs, ctx) else {
        return Vec::new();
    };
    if found.title.is_empty() || junk_title(&found.title) {
        return Vec::new();
    }
    // The shipped tag style: authors from the first italic line, links as written.
    if let Some(tag) = &found.tag {
        return vec![tag_entry(unit, &segs, &found, tag, sections)];
    }
    let rest: Vec<Seg> = segs
        .iter()
        .enumerate()
        .filter(|(i, s)| !found.segs.contains(i) && s.link.is_none())
        .map(|(_, s)| {
            let mut s = s.clone();
            if found.segs.is_empty() && found.from_link.is_none() {
                s.text = strip_quoted(&s.text, &found.title);
            }
            s
        })
        .collect();
    let mut rest = rest;
    if let Some(text) = &found.rest {
        rest.insert(
            0,
            Seg {
                text: text.clone(),
                bold: false,
                ital: false,
                link: None,
                newline: false,
            },
        );
    }
    let rest_refs: Vec<&Seg> = rest.iter().collect();
    let fields = read_fields(&rest_refs, found.venue_text.as_deref());
    let links = entry_links(unit);
    let title_link_paper = found
        .from_link
        .is_some_and(|l| paper_host(&unit.links[l].url));
    let any_paper_link = links.iter().any(|(label, u)| paper_link(label, u));
    let any_link = !links.is_empty();
    let words = found.title.split_whitespace().count();
    // A talk or a code repository named by its link is not a paper unless it says where it appeared.
    if let Some(l) = found.from_link
        && !any_paper_link
    {
        let url = unit.links[l].url.to_ascii_lowercase();
        if video_host(&url) {
            return Vec::new();
        }
        let code = code_host(&url);
        if code && !(fields.venue_year.is_some() && fields.venue.is_some()) {
            return Vec::new();
        }
    }
    // A one-word title (`Python`) is a paper only when something says so.
    if words == 1 && !any_paper_link && !title_link_paper && fields.venue_year.is_none() {
        return Vec::new();
    }
    let evidence = found.tag.is_some()
        || any_paper_link
        || title_link_paper
        || (!fields.authors.is_empty() && (found.from_link.is_none() || fields.authors.len() >= 2))
        || (found.from_link.is_some() && fields.venue_year.is_some())
        || (found.strong
            && words >= 2
            && (any_link || fields.venue_year.is_some() || fields.venue.is_some()))
        || (found.from_link.is_none() && !found.strong && words >= 3 && any_link)
        || (fields.venue_year.is_some() && words >= 3);
    if !evidence {
        return Vec::new();
    }
    let mut entry = MdEntry {
        line: unit.line,
        title: found.title.clone(),
        authors: fields.authors,
        venue: fields.venue,
        year: fields.venue_year.or(fields.date_year),
        sections: sections.to_vec(),
        links,
        arxiv_id: None,
        doi: None,
        tag: None,
        abstract_text: Some(squash(&unit.abstract_text)).filter(|a| !a.is_empty()),
    };
    // Several papers in one item: `[BPE](arxiv…) and [Unigram LM](arxiv…)`.
    if found.from_link.is_some() {
        let titled: Vec<(String, String)> = unit
            .links
            .iter()
            .filter(|l| !l.bare && arxiv_id_of_url(&l.url).is_some())
            .map(|l| (clean_title(&link_label(l)), l.url.clone()))
            .filter(|(label, _)| !junk_title(label))
            .collect();
        let mut ids: Vec<String> = titled
            .iter()
            .filter_map(|(_, u)| arxiv_id_of_url(u))
            .collect();
        ids.dedup();
        if titled.len() >= 2 && ids.len() == titled.len() {
            let mut out = Vec::new();
            for (label, url) in titled {
                let mut e = entry.clone();
                e.title = label;
                e.links = vec![("paper".into(), url)];
                fill_ids(&mut e);
                out.push(e);
            }
            return out;
        }
    }
    fill_ids(&mut entry);
    if entry.arxiv_id.is_none() {
        // `arXiv preprint arXiv:1409.1556` written out, with a link elsewhere.
        let text: String = rest
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        entry.arxiv_id = arxiv_id_in_text(&text);
    }
    vec![entry]
}

pub(super) fn tag_entry(
    unit: &Unit,
    segs: &[Seg],
    found: &TitleFound,
    tag: &str,
    sections: &[String],
) -> MdEntry {
    let mut authors = Vec::new();
    // The first italic line after the title line gives the authors.
    let mut line_text = String::new();
    let mut line_is_italic = false;
    let mut lines: Vec<(String, bool)> = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if found.segs.contains(&i) {
            continue;
        }
        if s.newline && !line_text.is_empty() {
            lines.push((std::mem::take(&mut line_text), line_is_italic));
        }
        if line_text.is_empty() {
            line_is_italic = s.ital && !s.bold;
        }
        if s.link.is_none() {
            line_text.push_str(&s.text);
        }
    }
    if !line_text.is_empty() {
        lines.push((line_text, line_is_italic));
    }
    if let Some((text, _)) = lines.iter().find(|(t, ital)| *ital && !t.trim().is_empty()) {
        let t = text.trim();
        let t = t.strip_suffix('.').unwrap_or(t);
        authors = t
            .split(',')
            .flat_map(|p| p.split(" and "))
            .map(|n| n.trim().trim_matches('*').trim())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
    }
    let parsed_year = TAG_YEAR.captures(tag.trim());
    let mut entry = MdEntry {
        line: unit.line,
        title: found.title.clone(),
        authors,
        venue: parsed_year.as_ref().map(|c| c["venue"].to_string()),
        year: parsed_year.as_ref().and_then(|c| c["year"].parse().ok()),
        sections: sections.to_vec(),
        links: entry_links(unit),
        arxiv_id: None,
        doi: None,
        tag: Some(tag.to_string()),
        abstract_text: Some(squash(&unit.abstract_text)).filter(|a| !a.is_empty()),
    };
    fill_ids(&mut entry);
    entry
}

pub(super) static TAG_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<venue>[A-Za-z][A-Za-z-]*?)(?P<year>(?:19|20)\d{2})_(?P<name>.+)$")
        .expect("regex")
});
