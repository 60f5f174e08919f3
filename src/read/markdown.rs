//! Reads the Markdown paper lists people keep (awesome-lists, reading lists,
//! accepted-paper pages) on a real CommonMark + GFM parser. Lists come in many
//! layouts (tables, bullets, numbered items, bold-title blocks, year headings,
//! inline HTML), so the reader works per block and per layout rule rather than
//! per file: each list item, table row or paragraph is turned into spans
//! (text with its bold/italic/link state), a title is found by the first rule
//! that applies, and authors, venue, year and links are read from what is
//! left. Lines that look like entries but cannot be read are returned as
//! skipped, with their line numbers; the reader never prints.

use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::paper::{Link, Paper, arxiv_id, doi, slug};

mod entry;
mod inline;
mod table;
#[cfg(test)]
mod tests;
mod text;

pub(crate) use inline::decode_entities;

use entry::*;
use inline::*;
use table::*;
use text::*;

/// The layouts the reader knows, for the message about a list it found no
/// entry in (the README's reader table has an example of each).
pub(crate) const LAYOUTS: &str = "table rows with a title column (`| [Title](url) | CVPR 2023 |`), \
    bulleted or numbered items with a linked, bold or quoted title (`- [Title](url), Authors`, \
    `1. **Title**. *Authors*. Venue 2023.`), citations (`* Authors. 2019. [Title](url). In ...`), \
    blocks of a bold title line then authors, venue and links, the shipped \
    `**(*VENUEYEAR_Tag*) Title.**` style, and HTML `<b>Title</b><br />Authors` records";

/// One entry of a Markdown list, as written (not yet merged with others).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdEntry {
    /// 1-based line where the entry starts.
    pub line: usize,
    /// The title, without list punctuation, emoji, badges or markup.
    pub title: String,
    /// Author names, `First Last`, without `et al.`.
    pub authors: Vec<String>,
    /// Where it appeared (`CVPR`, `arXiv`, `Proceedings of ACL`…).
    pub venue: Option<String>,
    /// The year of the venue, else of a date, else of the heading above.
    pub year: Option<u16>,
    /// The heading path the entry sits under, outermost first.
    pub sections: Vec<String>,
    /// Every link with its label, in the order written.
    pub links: Vec<(String, String)>,
    /// From an arXiv link (abs, pdf or html; old-style ids too), or `arXiv:ID` in the text.
    pub arxiv_id: Option<String>,
    /// From a doi.org link or a publisher's `/doi/10.…` link.
    pub doi: Option<String>,
    /// The list's own tag, e.g. `CVPR2024_Chat-UniVi` in `**(*CVPR2024_Chat-UniVi*) Title.**`.
    pub tag: Option<String>,
    /// Text of a `<details>` block, when the entry has one.
    pub abstract_text: Option<String>,
}

/// A line that looked like an entry but could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line of the unreadable entry.
    pub line: usize,
    /// What it looked like, e.g. `a table row with a paper link but no title`.
    pub reason: String,
}

/// Reads every entry of `text`, handing each to `take` as soon as it is
/// complete (so a huge list is never held whole), and returns what was
/// skipped.
pub(crate) fn read_markdown(text: &str, take: impl FnMut(MdEntry)) -> Vec<Skipped> {
    let mut reader = Reader::new(text, take);
    reader.run();
    reader.skipped
}

/// Convenience: every entry as a vector, plus what was skipped.
pub fn parse_markdown(text: &str) -> (Vec<MdEntry>, Vec<Skipped>) {
    let mut entries = Vec::new();
    let skipped = read_markdown(text, |e| entries.push(e));
    (entries, skipped)
}

// ---------------------------------------------------------------------------
// The block walk.

struct Heading {
    level: u8,
    text: String,
    /// Only anchor links so far (a table of contents): not a section of papers.
    toc: bool,
    content: bool,
    /// Contributing, licence, acknowledgements…: nothing under it is a paper.
    not_papers: bool,
    /// Named like a table of contents.
    toc_name: bool,
    /// The heading is a paper (`### [Title](arxiv…)`), not a section of them.
    paper: bool,
}

struct ItemFrame {
    collector: Collector,
    /// Nested items that were not entries themselves: details of this one.
    children: Vec<Unit>,
    /// Nested items that are entries.
    child_entries: Vec<(Unit, Vec<MdEntry>)>,
    start: usize,
    /// A GFM task item (`- [ ] Title`): a reading checklist, one paper an item.
    task: bool,
}

struct TableState {
    header: Vec<String>,
    in_head: bool,
    row: Vec<Unit>,
    cell: Collector,
    row_start: usize,
}

struct Reader<'a, F: FnMut(MdEntry)> {
    text: &'a str,
    /// The last offset asked about and its line, so line numbers cost the
    /// distance between asks rather than a table of every line.
    cursor: std::cell::Cell<(usize, usize)>,
    take: F,
    skipped: Vec<Skipped>,
    headings: Vec<Heading>,
    single_h1: bool,
    items: Vec<ItemFrame>,
    table: Option<TableState>,
    block: Option<Collector>,
    block_start: usize,
    /// A top-level entry block still open for link-only continuations.
    pending: Option<Unit>,
    pending_sections: Vec<String>,
    pending_year: Option<u16>,
    heading_unit: Option<Collector>,
    /// The heading just read, while nothing has followed it yet: a heading
    /// per paper (`#### Title`, then its links) names that paper.
    fresh_heading: Option<(String, usize)>,
    heading_start: usize,
    code: u32,
    metadata: bool,
}

impl<'a, F: FnMut(MdEntry)> Reader<'a, F> {
    fn new(text: &'a str, take: F) -> Self {
        Reader {
            text,
            cursor: std::cell::Cell::new((0, 1)),
            take,
            skipped: Vec::new(),
            headings: Vec::new(),
            single_h1: count_h1(text) == 1,
            items: Vec::new(),
            table: None,
            block: None,
            block_start: 0,
            pending: None,
            pending_sections: Vec::new(),
            pending_year: None,
            heading_unit: None,
            fresh_heading: None,
            heading_start: 0,
            code: 0,
            metadata: false,
        }
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let (at, line) = self.cursor.get();
        let bytes = self.text.as_bytes();
        let line = if offset >= at {
            line + bytes[at..offset].iter().filter(|&&b| b == b'\n').count()
        } else {
            line - bytes[offset..at].iter().filter(|&&b| b == b'\n').count()
        };
        self.cursor.set((offset, line));
        line
    }

    /// The text of the line an offset is on.
    fn raw_line(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let bytes = self.text.as_bytes();
        let start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = bytes[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| offset + p);
        self.text[start..end].trim_end().to_string()
    }

    fn sections(&self) -> Vec<String> {
        let n = self.headings.len();
        self.headings
            .iter()
            .enumerate()
            .filter(|(i, h)| {
                // The document's title, and a table of contents above its sections.
                let dropped =
                    (h.level == 1 && self.single_h1) || (h.toc && !h.content && i + 1 < n);
                !dropped && !h.paper && !h.text.is_empty()
            })
            .map(|(_, h)| h.text.clone())
            .collect()
    }

    fn excluded(&self) -> bool {
        // A table of contents excludes only itself, not the sections under it.
        self.headings.iter().any(|h| h.not_papers)
            || self.headings.last().is_some_and(|h| h.toc_name)
    }

    fn heading_year(&self) -> Option<u16> {
        self.headings
            .iter()
            .rev()
            .find_map(|h| year_heading(&h.text))
    }

    /// The collector inline events go to right now.
    fn current(&mut self) -> Option<&mut Collector> {
        if let Some(h) = self.heading_unit.as_mut() {
            return Some(h);
        }
        if let Some(t) = self.table.as_mut() {
            return Some(&mut t.cell);
        }
        if let Some(b) = self.block.as_mut() {
            return Some(b);
        }
        self.items.last_mut().map(|f| &mut f.collector)
    }

    fn run(&mut self) {
        let options = Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_FOOTNOTES;
        let text = self.text;
        let start = front_matter_end(text);
        for (event, range) in Parser::new_ext(&text[start..], options).into_offset_iter() {
            self.event(event, start + range.start);
        }
        self.flush_pending();
    }

    fn mark_content(&mut self, toc_only: bool) {
        if let Some(h) = self.headings.last_mut() {
            if toc_only {
                h.toc = true;
            } else {
                h.content = true;
            }
        }
    }

    fn event(&mut self, event: Event, at: usize) {
        if self.metadata {
            if let Event::End(TagEnd::MetadataBlock(_)) = event {
                self.metadata = false;
            }
            return;
        }
        if self.code > 0 {
            if let Event::End(TagEnd::CodeBlock) = event {
                self.code -= 1;
            }
            return;
        }
        if let Event::End(TagEnd::Heading(level)) = event
            && let Some(mut c) = self.heading_unit.take()
        {
            let mut unit = c.take();
            unit.line = self.line_of(self.heading_start);
            self.heading_done(level, unit);
            return;
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => self.metadata = true,
            Event::Start(Tag::CodeBlock(_)) => self.code += 1,
            Event::Start(Tag::Heading { .. }) => {
                self.flush_pending();
                self.heading_unit = Some(Collector::default());
                self.heading_start = at;
            }
            Event::Start(Tag::Table(_)) => {
                self.flush_pending();
                self.fresh_heading = None;
                self.table = Some(TableState {
                    header: Vec::new(),
                    in_head: false,
                    row: Vec::new(),
                    cell: Collector::default(),
                    row_start: at,
                });
            }
            Event::Start(Tag::TableHead) => {
                if let Some(t) = self.table.as_mut() {
                    t.in_head = true;
                    t.row.clear();
                    t.row_start = at;
                }
            }
            Event::Start(Tag::TableRow) => {
                if let Some(t) = self.table.as_mut() {
                    t.row.clear();
                    t.row_start = at;
                }
            }
            Event::Start(Tag::TableCell) => {
                if let Some(t) = self.table.as_mut() {
                    t.cell = Collector::default();
                }
            }
            Event::End(TagEnd::TableCell) => {
                if let Some(t) = self.table.as_mut() {
                    let unit = t.cell.take();
                    t.row.push(unit);
                }
            }
            Event::End(TagEnd::TableHead) => {
                if let Some(t) = self.table.as_mut() {
                    t.header = t
                        .row
                        .iter()
                        .map(|u| clean_heading(&u.plain_text()))
                        .collect();
                    t.row.clear();
                    t.in_head = false;
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some(t) = self.table.as_mut() {
                    let row = std::mem::take(&mut t.row);
                    let header = t.header.clone();
                    let line = t.row_start;
                    self.table_row(&header, row, line);
                }
            }
            Event::End(TagEnd::Table) => self.table = None,
            Event::Start(Tag::Item) => {
                self.items.push(ItemFrame {
                    collector: Collector::default(),
                    children: Vec::new(),
                    child_entries: Vec::new(),
                    start: at,
                    task: false,
                });
            }
            Event::TaskListMarker(_) => {
                if let Some(f) = self.items.last_mut() {
                    f.task = true;
                }
            }
            Event::End(TagEnd::Item) => {
                if let Some(frame) = self.items.pop() {
                    self.item_done(frame);
                }
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::HtmlBlock)
                if self.items.is_empty() && self.table.is_none() =>
            {
                self.block = Some(Collector::default());
                self.block_start = at;
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::HtmlBlock)
                if self.items.is_empty() && self.table.is_none() =>
            {
                if let Some(mut c) = self.block.take() {
                    let mut unit = c.take();
                    unit.line = self.line_of(self.block_start);
                    unit.first_raw_line = self.raw_line(self.block_start);
                    self.block_done(unit);
                }
            }
            Event::End(TagEnd::Paragraph) => {
                // Paragraphs inside an item are lines of it.
                if let Some(c) = self.current() {
                    c.brk();
                }
            }
            Event::Start(Tag::Strong) => {
                if let Some(c) = self.current() {
                    c.bold += 1;
                }
            }
            Event::End(TagEnd::Strong) => {
                if let Some(c) = self.current() {
                    c.bold = c.bold.saturating_sub(1);
                }
            }
            Event::Start(Tag::Emphasis) => {
                if let Some(c) = self.current() {
                    c.ital += 1;
                }
            }
            Event::End(TagEnd::Emphasis) => {
                if let Some(c) = self.current() {
                    c.ital = c.ital.saturating_sub(1);
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                if let Some(c) = self.current() {
                    c.link_start(&dest_url);
                }
            }
            Event::End(TagEnd::Link) => {
                if let Some(c) = self.current() {
                    c.link_end();
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(c) = self.current() {
                    c.image_start(&dest_url);
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some(c) = self.current() {
                    c.image_end();
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = self.current() {
                    c.text(&t);
                }
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                if let Some(c) = self.current() {
                    c.text(&t);
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                if let Some(c) = self.current() {
                    c.html(&t);
                }
            }
            Event::SoftBreak => {
                if let Some(c) = self.current() {
                    c.soft();
                }
            }
            Event::HardBreak => {
                if let Some(c) = self.current() {
                    c.brk();
                }
            }
            Event::Start(Tag::List(_)) => {
                // A bold title paragraph may be followed by a list of its links,
                // so a list does not end the pending entry.
                // A nested list starts: the parent's own text ends here.
                if let Some(f) = self.items.last_mut() {
                    f.collector.brk();
                }
            }
            _ => {}
        }
    }

    /// A heading names a section; one that links a paper by its title
    /// (`### [Title](https://arxiv.org/abs/…)`) is that paper too.
    fn heading_done(&mut self, level: HeadingLevel, unit: Unit) {
        let titled_paper_link = unit.links.iter().any(|l| {
            !l.bare
                && paper_host(&l.url)
                && !junk_title(&clean_title(&link_label(l)))
                && link_label(l).split_whitespace().count() >= 3
        });
        let text = unit.plain_text();
        let line = unit.line;
        let mut is_paper = false;
        if titled_paper_link && !self.excluded() {
            let sections = self.sections();
            for e in read_unit(&unit, &sections, Context::Item) {
                is_paper = true;
                self.emit(e);
            }
        }
        self.heading(level, &text);
        if let Some(h) = self.headings.last_mut() {
            h.paper = is_paper;
        }
        let title = clean_title(&clean_heading(&text));
        self.fresh_heading = (!titled_paper_link
            && title.split_whitespace().count() >= 3
            && !junk_title(&title)
            && year_heading(&title).is_none()
            && !self.excluded())
        .then_some((title, line));
    }

    /// A block or item right under a heading, with a paper link but no title
    /// of its own: the heading is the paper's title. It becomes the pending
    /// entry, so the link lines that follow join it.
    fn heading_entry(&mut self, unit: &Unit) -> bool {
        let Some((title, line)) = self.fresh_heading.take() else {
            return false;
        };
        let author_line = unit.links.is_empty() && author_list(&unit.plain_text());
        let link_lines = has_paper_link(unit)
            && (continuation(unit)
                || segments(unit).iter().all(|s| {
                    s.link.is_some()
                        || s.ital
                        || parse_authors(&s.text).is_some()
                        || s.text.trim().len() < 12
                }));
        if !(author_line || link_lines) {
            return false;
        }
        let mut entry = Unit {
            pieces: vec![Piece::Text {
                text: title,
                bold: true,
                ital: false,
                link: None,
            }],
            line,
            ..Unit::default()
        };
        entry.append(unit.clone());
        self.flush_pending();
        // The heading is the paper, not a section of it.
        let mut sections = self.sections();
        sections.pop();
        self.pending = Some(entry);
        self.pending_sections = sections;
        self.pending_year = self.heading_year();
        true
    }

    fn heading(&mut self, level: HeadingLevel, text: &str) {
        let level = match level {
            HeadingLevel::H1 => 1,
            HeadingLevel::H2 => 2,
            HeadingLevel::H3 => 3,
            HeadingLevel::H4 => 4,
            HeadingLevel::H5 => 5,
            HeadingLevel::H6 => 6,
        };
        while self.headings.last().is_some_and(|h| h.level >= level) {
            self.headings.pop();
        }
        let text = clean_heading(text);
        self.headings.push(Heading {
            level,
            not_papers: excluded_section(&text),
            toc_name: toc_heading(&text),
            text,
            toc: false,
            content: false,
            paper: false,
        });
    }

    fn emit(&mut self, mut entry: MdEntry) {
        self.fresh_heading = None;
        if entry.year.is_none() {
            entry.year = self.heading_year();
        }
        (self.take)(entry);
    }

    fn skip(&mut self, line: usize, reason: &str) {
        self.skipped.push(Skipped {
            line,
            reason: reason.to_string(),
        });
    }

    fn block_done(&mut self, unit: Unit) {
        if unit.is_empty() {
            return;
        }
        let toc = is_toc(&unit);
        self.mark_content(toc);
        if toc || self.excluded() {
            return;
        }
        // Split the block at lines that start with a bold title: one entry each.
        let mut search_from = self.block_start;
        for mut part in split_block(unit) {
            // The part's line: where its first words are in the source.
            if let Some(Piece::Text { text, .. }) = part
                .pieces
                .iter()
                .find(|p| matches!(p, Piece::Text { text, .. } if !text.trim().is_empty()))
            {
                let words: String = text
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == ' ')
                    .take(24)
                    .collect();
                if words.trim().len() >= 4
                    && let Some(at) = self
                        .text
                        .get(search_from..)
                        .and_then(|rest| rest.find(words.trim()))
                {
                    part.line = self.line_of(search_from + at);
                    search_from += at + 1;
                    while !self.text.is_char_boundary(search_from) {
                        search_from += 1;
                    }
                }
            }
            let starts_entry = part_starts_entry(&part);
            if starts_entry {
                self.flush_pending();
                self.pending = Some(part);
                self.pending_sections = self.sections();
                self.pending_year = self.heading_year();
            } else if let Some(p) = self.pending.as_mut()
                && continuation(&part)
            {
                p.append(part);
            } else {
                self.flush_pending();
                self.lone_block(part);
            }
        }
    }

    /// A paragraph that is not a bold-title block: a linked title or a citation.
    fn lone_block(&mut self, unit: Unit) {
        let sections = self.sections();
        let line = unit.line;
        // One paper a line (`<li><a href=…>Title</a></li>`, or linked titles one a line).
        if let Some(entries) = read_lines(&unit, &sections) {
            for e in entries {
                self.emit(e);
            }
            return;
        }
        let entries = read_unit(&unit, &sections, Context::Block);
        if entries.is_empty() && self.heading_entry(&unit) {
            return;
        }
        if entries.is_empty() {
            // Prose that cites a paper is not an entry; a line opening with a link is.
            let opens_with_link = segments(&unit).first().is_some_and(|s| s.link.is_some());
            if has_paper_link(&unit) && opens_with_link && looks_like_entry(&unit) {
                self.skip(line, "an entry with a paper link but no title");
            }
            return;
        }
        for e in entries {
            self.emit(e);
        }
    }

    fn flush_pending(&mut self) {
        let Some(unit) = self.pending.take() else {
            return;
        };
        let sections = std::mem::take(&mut self.pending_sections);
        let year = self.pending_year.take();
        let line = unit.line;
        let entries = read_unit(&unit, &sections, Context::Block);
        if entries.is_empty() {
            if has_paper_link(&unit) || unit_has_text(&unit) {
                self.skip(line, "a bold line that reads as no entry");
            }
            return;
        }
        for mut e in entries {
            if e.year.is_none() {
                e.year = year;
            }
            (self.take)(e);
        }
    }

    fn item_done(&mut self, mut frame: ItemFrame) {
        let mut unit = frame.collector.take();
        unit.line = self.line_of(frame.start);
        unit.first_raw_line = self.raw_line(frame.start);
        let toc = is_toc(&unit);
        let own_empty = unit.is_empty();
        if !own_empty {
            self.mark_content(toc);
        }
        if self.excluded() || toc {
            return;
        }
        let sections = self.sections();
        for child in std::mem::take(&mut frame.children) {
            unit.append(child);
        }
        let mut entries = if own_empty {
            Vec::new()
        } else {
            read_unit(&unit, &sections, Context::Item)
        };
        // A checklist item with no link names its paper by title alone.
        if entries.is_empty() && frame.task && !own_empty && unit.links.is_empty() {
            match task_entry(&unit, &sections) {
                Some(e) => entries.push(e),
                None => self.skip(
                    unit.line,
                    "a task-list item that does not read as a paper title",
                ),
            }
        }
        let is_entry = !entries.is_empty();
        let child_entries = std::mem::take(&mut frame.child_entries);
        if let Some(parent) = self.items.last_mut() {
            if is_entry {
                parent.child_entries.push((unit, entries));
            } else if child_entries.is_empty() {
                // Author, venue and link lines are details of the parent; a
                // rejected tool or website bullet is not.
                if continuation(&unit) || unit.links.is_empty() {
                    parent.children.push(unit);
                }
                return;
            }
            parent.child_entries.extend(child_entries);
            return;
        }
        // Top level: a list of links after a bold title block belongs to it.
        if let Some(p) = self.pending.as_mut()
            && !is_entry
            && child_entries.is_empty()
            && continuation(&unit)
        {
            p.append(unit);
            return;
        }
        if !is_entry && child_entries.is_empty() && self.heading_entry(&unit) {
            return;
        }
        self.flush_pending();
        // Emit this item, then its nested entries.
        let line = unit.line;
        if !is_entry && !own_empty && has_paper_link(&unit) && looks_like_entry(&unit) {
            self.skip(line, "an entry with a paper link but no title");
        }
        for e in entries {
            self.emit(e);
        }
        for (_, es) in child_entries {
            for e in es {
                self.emit(e);
            }
        }
    }

    fn table_row(&mut self, header: &[String], row: Vec<Unit>, start: usize) {
        let line = self.line_of(start);
        if row.iter().all(Unit::is_empty) {
            return;
        }
        let toc = row.iter().all(|u| u.is_empty() || is_toc(u));
        self.mark_content(toc);
        if self.excluded() || toc {
            return;
        }
        let sections = self.sections();
        let entries = read_row_entries(header, &row, &sections, line);
        if entries.is_empty() && row.iter().any(has_paper_link) {
            self.skip(line, "a table row with a paper link but no title");
        }
        for entry in entries {
            self.emit(entry);
        }
    }
}

/// Where front matter ends: YAML (`---` … `---`, as Jekyll pages have) or
/// TOML (`+++` … `+++`, Hugo's) at the top, after blank lines if any; 0
/// when there is none.
fn front_matter_end(text: &str) -> usize {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut at = text.len() - body.len();
    // Blank lines before the opening fence.
    for line in text[at..].split_inclusive('\n') {
        if !line.trim().is_empty() {
            break;
        }
        at += line.len();
    }
    let rest = &text[at..];
    let Some(fence) = ["---", "+++"].into_iter().find(|f| rest.starts_with(f)) else {
        return 0;
    };
    let Some(first_nl) = rest.find('\n') else {
        return 0;
    };
    if rest[..first_nl].trim() != fence {
        return 0;
    }
    at += first_nl + 1;
    for line in text[at..].split_inclusive('\n') {
        at += line.len();
        let t = line.trim_end();
        if t == fence || (fence == "---" && t == "...") {
            return at;
        }
    }
    0
}

fn count_h1(text: &str) -> usize {
    let mut n = 0;
    let mut fence = false;
    let mut prev_text = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let setext =
            prev_text && !t.is_empty() && t.chars().all(|c| c == '=') && line.len() == t.len();
        if line.starts_with("# ") || line == "#" || setext {
            n += 1;
        }
        prev_text = !t.is_empty() && !t.starts_with('-') && !t.starts_with('*');
    }
    n
}

impl MdEntry {
    /// The entry as a `Paper` (merging with other entries is the
    /// collection's job). The id is the list's tag when it has one (the
    /// shipped style), else the arXiv id, else the DOI, else the title's
    /// first eight words; the heading path becomes one section,
    /// `Papers / Faster Inference`.
    pub(crate) fn into_paper(mut self) -> Paper {
        // A tag with nothing to make an id of (`(*_*)`) is not a tag.
        self.tag = self.tag.filter(|t| !slug(t).is_empty());
        let id = self
            .tag
            .as_deref()
            .map(slug)
            .or_else(|| self.arxiv_id.as_ref().map(|a| slug(&format!("arxiv {a}"))))
            .or_else(|| self.doi.as_ref().map(|d| slug(&format!("doi {d}"))))
            .unwrap_or_else(|| {
                slug(
                    &self
                        .title
                        .split_whitespace()
                        .take(8)
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            });
        Paper {
            id,
            tags: self.tag.into_iter().collect(),
            title: self.title,
            authors: self.authors,
            venue: self.venue,
            year: self.year,
            sections: if self.sections.is_empty() {
                Vec::new()
            } else {
                vec![self.sections.join(" / ")]
            },
            arxiv_id: self.arxiv_id,
            doi: self.doi,
            links: self
                .links
                .into_iter()
                .map(|(label, url)| Link { label, url })
                .collect(),
            abstract_text: self.abstract_text,
            bibtex: None,
            keywords: Vec::new(),
        }
    }
}

/// Reads a Markdown list, handing each entry to `take` as a `Paper` as soon
/// as it is complete, so a caller can merge as it reads and never holds
/// every raw entry of a huge list. A line that looked like an entry but
/// could not be read becomes a warning `NAME:LINE: skipped …`.
pub(crate) fn read_list(
    text: &str,
    name: &str,
    warnings: &mut Vec<String>,
    mut take: impl FnMut(Paper),
) {
    for skipped in read_markdown(text, |entry| take(entry.into_paper())) {
        warnings.push(format!(
            "{name}:{}: skipped {}",
            skipped.line, skipped.reason
        ));
    }
}

/// Every entry of a list as a `Paper`, unmerged, one per entry.
pub fn parse_awesome_list(text: &str) -> Vec<Paper> {
    let mut papers = Vec::new();
    read_markdown(text, |entry| papers.push(entry.into_paper()));
    papers
}
