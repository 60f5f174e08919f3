//! Reads BibTeX exports (Zotero, Google Scholar, hand-kept .bib files) into
//! `Paper`s, because that is where many researchers keep their reading.
//!
//! How the work is split, and why:
//! - The file is first cut into blocks (`@type{...}`) by a small scanner
//!   of our own. `biblatex` (the crate) stops at the first error in a file,
//!   and a hand-kept .bib nearly always has one broken entry; cutting first
//!   lets every block be parsed on its own, so a broken entry costs only
//!   itself. A block whose braces never close ends where the next line that
//!   starts with `@type{` begins, so a missing `}` cannot swallow the rest.
//! - Each block is parsed by `biblatex::RawBibliography` (fields, quoted and
//!   braced values, bare numbers, `#` concatenation, `@string`).
//! - `@string` macros and the LaTeX in values are resolved here rather than
//!   by `biblatex::Bibliography`: its resolver recurses, so a self-referring
//!   `@string{a = a}` overflows the stack (an abort, not a catchable panic),
//!   it fails a whole file on one unknown macro or duplicate key, keeps
//!   `\emph{..}` and other unknown commands literally, does not split
//!   authors on `AND`, and turns `\i` into a dotless ı. Macros are expanded
//!   when defined, as BibTeX does, so expansion never recurses, and is capped
//!   in size. The LaTeX cleaner is a single loop without recursion.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use biblatex::{ParseErrorKind, RawBibliography, RawChunk};
use regex::Regex;

use crate::corpus::{Link, Paper, slug};

/// The longest text one `@string` macro may expand to; real ones are a few
/// hundred bytes, and the cap keeps `@string{b = a # a}` chains from
/// doubling without bound.
const MACRO_CAP: usize = 16 * 1024;

/// Parses a .bib file. Entries that cannot be read become warnings
/// (`name:LINE: ...`) and the rest are kept.
pub fn parse_bibtex(text: &str, name: &str, warnings: &mut Vec<String>) -> Vec<Paper> {
    let mut macros: HashMap<String, String> = HashMap::new();
    let mut papers = Vec::new();
    let mut lines = LineCounter::default();

    for block in split_blocks(text) {
        let line = lines.line_at(text, block.start);
        let kind = block.kind.to_ascii_lowercase();
        if kind == "comment" || kind == "preamble" {
            continue;
        }
        let key_hint = guess_key(text.get(block.open + 1..block.end).unwrap_or(""));
        let what = if kind == "string" {
            "@string".to_string()
        } else if key_hint.is_empty() {
            "entry".to_string()
        } else {
            format!("entry `{key_hint}`")
        };
        if !block.closed {
            let until = if block.end < text.len() {
                let next = line + count_newlines(&text[block.start..block.end]);
                format!("the next entry (line {next})")
            } else {
                "the end of the file".to_string()
            };
            warnings.push(format!(
                "{name}:{line}: skipped malformed {what}: its braces are not closed before {until}"
            ));
            continue;
        }

        let source = block_source(text, &block);
        let raw = match RawBibliography::parse(&source) {
            Ok(raw) => raw,
            Err(e) => {
                let at = line + count_newlines_upto(&source, e.span.start);
                warnings.push(format!(
                    "{name}:{line}: skipped malformed {what}: {} (line {at})",
                    describe(&e.kind)
                ));
                continue;
            }
        };

        let mut unknown = Vec::new();
        for pair in &raw.abbreviations {
            let value = expand(&pair.value.v, &macros, &mut unknown);
            macros.insert(pair.key.v.to_ascii_lowercase(), value);
        }
        for entry in &raw.entries {
            let key = entry.v.key.v;
            let mut fields: Vec<(String, String)> = Vec::with_capacity(entry.v.fields.len());
            let mut seen = HashSet::new();
            for pair in &entry.v.fields {
                let field = pair.key.v.to_ascii_lowercase();
                // BibTeX keeps the first of two fields with the same name.
                if !seen.insert(field.clone()) {
                    continue;
                }
                let value = expand(&pair.value.v, &macros, &mut unknown);
                fields.push((field, value));
            }
            match build_paper(key, &fields) {
                Some(paper) => papers.push(paper),
                None => warnings.push(format!("{name}:{line}: skipped entry `{key}`: no title")),
            }
        }
        unknown.sort();
        unknown.dedup();
        for m in unknown {
            warnings.push(format!(
                "{name}:{line}: {what}: unknown @string `{m}` read as empty"
            ));
        }
    }
    papers
}

// ---------------------------------------------------------------------------
// Cutting the file into blocks

/// One `@type{...}` (or `@type(...)`) block, as byte offsets into the file.
struct Block<'a> {
    /// Offset of the `@`.
    start: usize,
    kind: &'a str,
    /// Offset of the opening `{` or `(`.
    open: usize,
    delim: u8,
    /// One past the closing delimiter; where the next entry starts, or the
    /// end of the file, when the block is not closed.
    end: usize,
    closed: bool,
}

/// If an entry starts at `at` (an `@`), its type and the offset of its
/// opening delimiter. `@` followed by anything else (an e-mail address in a
/// comment) starts nothing.
fn entry_header(text: &str, at: usize) -> Option<(&str, usize, u8)> {
    let bytes = text.as_bytes();
    if bytes.get(at) != Some(&b'@') {
        return None;
    }
    let kind_start = at + 1;
    let mut i = kind_start;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    if i == kind_start || !bytes[kind_start].is_ascii_alphabetic() {
        return None;
    }
    let kind = &text[kind_start..i];
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    match bytes.get(i) {
        Some(&d @ (b'{' | b'(')) => Some((kind, i, d)),
        _ => None,
    }
}

/// Splits the file into blocks. Text outside blocks is ignored, as BibTeX
/// does, and a `%` line outside a block is a comment.
fn split_blocks(text: &str) -> Vec<Block<'_>> {
    let bytes = text.as_bytes();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'@' => {
                if let Some((kind, open, delim)) = entry_header(text, i) {
                    let (end, closed) = scan_body(text, open, delim);
                    blocks.push(Block {
                        start: i,
                        kind,
                        open,
                        delim,
                        end,
                        closed,
                    });
                    i = end;
                    continue;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    blocks
}

/// Finds the end of a block whose delimiter is at `open`: one past the
/// matching delimiter, or (not closed) the start of the next line that
/// begins an entry, or the end of the file.
fn scan_body(text: &str, open: usize, delim: u8) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            // Same rule as biblatex's value reader: a backslash escapes the
            // next character, so `\{` does not count as a brace.
            b'\\' => {
                i += 2;
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                if depth == 0 {
                    if delim == b'{' {
                        return (i + 1, true);
                    }
                } else {
                    depth -= 1;
                }
            }
            b'"' if delim == b'(' && depth == 0 => in_quote = !in_quote,
            b')' if delim == b'(' && depth == 0 && !in_quote => return (i + 1, true),
            b'\n' => {
                let mut j = i + 1;
                while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'\r') {
                    j += 1;
                }
                if entry_header(text, j).is_some() {
                    return (j, false);
                }
            }
            _ => {}
        }
        i += 1;
    }
    (bytes.len(), false)
}

/// The block as biblatex reads it: `@type(...)` is rewritten to
/// `@type{...}` (same length, so error offsets still match the file).
fn block_source(text: &str, block: &Block<'_>) -> String {
    let src = &text[block.start..block.end];
    if block.delim == b'{' {
        return src.to_string();
    }
    let open = block.open - block.start;
    let body_end = src.len().saturating_sub(1).max(open + 1);
    format!(
        "{}{{{}}}",
        &src[..open],
        src.get(open + 1..body_end).unwrap_or("")
    )
}

/// The citation key as written after the opening delimiter, for warnings
/// about entries that could not be parsed.
fn guess_key(rest: &str) -> String {
    let end = rest.find([',', '\n', '}', ')', '=']).unwrap_or(rest.len());
    let key = rest[..end].trim();
    if key.chars().count() > 60 {
        let cut: String = key.chars().take(60).collect();
        format!("{cut}…")
    } else {
        key.to_string()
    }
}

fn describe(kind: &ParseErrorKind) -> String {
    match kind {
        ParseErrorKind::UnexpectedEof => "the entry ends in the middle of a field".to_string(),
        other => other.to_string(),
    }
}

fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

fn count_newlines_upto(s: &str, offset: usize) -> usize {
    let end = offset.min(s.len());
    s.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count()
}

/// Line numbers for increasing offsets without rescanning from the start.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        let end = offset.min(text.len());
        self.line += count_newlines_upto(&text[self.offset..end], end - self.offset);
        self.offset = end;
        self.line + 1
    }
}

// ---------------------------------------------------------------------------
// @string macros

/// Joins the parts of a value (`"Proc. " # cvpr`), expanding macros with
/// the definitions seen so far. Unknown macros become empty (as in BibTeX)
/// and are reported; month macros (`apr`) need no definition.
fn expand(
    parts: &[biblatex::Spanned<RawChunk<'_>>],
    macros: &HashMap<String, String>,
    unknown: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for part in parts {
        match part.v {
            RawChunk::Normal(s) => out.push_str(s),
            RawChunk::Abbreviation(m) => {
                let lower = m.to_ascii_lowercase();
                if let Some(value) = macros.get(&lower) {
                    out.push_str(value);
                } else if let Some(month) = month_name(&lower) {
                    out.push_str(month);
                } else {
                    unknown.push(m.to_string());
                }
                truncate_at_char(&mut out, MACRO_CAP);
            }
        }
    }
    out
}

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
}

fn month_name(m: &str) -> Option<&'static str> {
    Some(match m {
        "jan" => "January",
        "feb" => "February",
        "mar" => "March",
        "apr" => "April",
        "may" => "May",
        "jun" => "June",
        "jul" => "July",
        "aug" => "August",
        "sep" => "September",
        "oct" => "October",
        "nov" => "November",
        "dec" => "December",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Entry → Paper

static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^0-9])([0-9]{4})(?:[^0-9]|$)").expect("valid regex"));
/// An arXiv id on its own (`eprint`): new style or old (`hep-th/9901001`).
static ARXIV_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:arxiv:\s*)?([0-9]{4}\.[0-9]{4,5}|[a-z][a-z.-]*/[0-9]{7})(?:v[0-9]+)?$")
        .expect("valid regex")
});
/// An arXiv id inside other text: `arXiv:2304.08485`, `arxiv.org/abs/...`,
/// or the arXiv DOI `10.48550/arXiv.2304.08485`.
static ARXIV_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)arxiv(?:\.org/(?:abs|pdf)/|:\s*|\.)([0-9]{4}\.[0-9]{4,5}|[a-z][a-z.-]*/[0-9]{7})",
    )
    .expect("valid regex")
});
/// Journals that are arXiv under another name.
static ARXIV_JOURNAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:arxiv|corr)\b").expect("valid regex"));
static URL_COMMAND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\url\{([^{}]*)\}").expect("valid regex"));

/// Builds a paper from one entry's fields (lower-cased names, macros
/// expanded, LaTeX still in). `None` when it has no title.
fn build_paper(key: &str, fields: &[(String, String)]) -> Option<Paper> {
    let raw = |name: &str| -> Option<&str> {
        fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    };
    let cleaned =
        |name: &str| -> Option<String> { raw(name).map(clean_latex).filter(|v| !v.is_empty()) };

    let title = cleaned("title")?;
    let authors = raw("author").map(split_authors).unwrap_or_default();
    let year = ["year", "date"]
        .iter()
        .find_map(|f| raw(f).and_then(find_year));

    let archive_is_arxiv = ["archiveprefix", "eprinttype"]
        .iter()
        .filter_map(|f| cleaned(f))
        .any(|v| v.eq_ignore_ascii_case("arxiv"));
    let arxiv_id = find_arxiv_id(&raw);

    let journal = cleaned("journal").or_else(|| cleaned("journaltitle"));
    let arxiv_journal = journal
        .as_deref()
        .is_some_and(|j| ARXIV_JOURNAL.is_match(j));
    let is_preprint = archive_is_arxiv || arxiv_journal || arxiv_id.is_some();
    let venue = journal
        .filter(|_| !arxiv_journal)
        .or_else(|| cleaned("booktitle"))
        .or_else(|| is_preprint.then(|| "arXiv".to_string()))
        .or_else(|| {
            ["publisher", "howpublished", "institution", "school"]
                .iter()
                .filter_map(|f| cleaned(f))
                .find(|v| !v.contains("://"))
        });

    let doi = raw("doi").and_then(clean_doi);

    let mut links = Vec::new();
    let url = raw("url")
        .map(clean_verbatim)
        .filter(|u| !u.is_empty())
        .or_else(|| {
            raw("howpublished")
                .and_then(|h| URL_COMMAND.captures(h))
                .and_then(|c| c.get(1))
                .map(|m| clean_verbatim(m.as_str()))
                .filter(|u| !u.is_empty())
        });
    if let Some(url) = url {
        links.push(Link {
            label: "paper".into(),
            url,
        });
    }
    if let Some(doi) = &doi {
        links.push(Link {
            label: "doi".into(),
            url: format!("https://doi.org/{doi}"),
        });
    }
    if let Some(id) = &arxiv_id {
        let has_arxiv_link = links
            .iter()
            .any(|l| l.url.contains("arxiv.org") && l.url.contains(id.as_str()));
        if !has_arxiv_link {
            links.push(Link {
                label: "arXiv".into(),
                url: format!("https://arxiv.org/abs/{id}"),
            });
        }
    }

    let id = match slug(key) {
        s if s.is_empty() => slug(&title),
        s => s,
    };
    let tags = if key.is_empty() {
        Vec::new()
    } else {
        vec![key.to_string()]
    };
    Some(Paper {
        id,
        tags,
        title,
        authors,
        venue,
        year,
        arxiv_id,
        doi,
        links,
        abstract_text: cleaned("abstract"),
        ..Default::default()
    })
}

fn find_year(value: &str) -> Option<u16> {
    YEAR.captures(value)
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse().ok())
}

/// The arXiv id, without version: from `eprint` when it looks like one,
/// else from any field that mentions one.
fn find_arxiv_id<'a>(raw: &impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    if let Some(eprint) = raw("eprint") {
        let eprint = clean_verbatim(eprint);
        if let Some(m) = ARXIV_ID.captures(&eprint).and_then(|c| c.get(1)) {
            return Some(m.as_str().to_string());
        }
    }
    ["journal", "note", "url", "doi", "howpublished", "eprint"]
        .iter()
        .filter_map(|f| raw(f))
        .find_map(|v| {
            let v = clean_verbatim(v);
            ARXIV_IN_TEXT
                .captures(&v)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
        })
}

/// Lower-cased DOI without `https://doi.org/` or `doi:`; `None` unless it
/// looks like a DOI (`10.`).
fn clean_doi(value: &str) -> Option<String> {
    let mut doi = clean_verbatim(value).to_lowercase();
    for prefix in [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi.org/",
        "doi:",
    ] {
        if let Some(rest) = doi.strip_prefix(prefix) {
            doi = rest.trim_start().to_string();
            break;
        }
    }
    doi.starts_with("10.").then_some(doi)
}

/// A URL or identifier: braces dropped, `\_`-style escapes undone,
/// whitespace (from line wrapping) removed. No other LaTeX is applied.
fn clean_verbatim(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' | '}' => {}
            '\\' => {
                if let Some(&next) = chars.peek()
                    && "_%&#$~{}".contains(next)
                {
                    out.push(next);
                    chars.next();
                }
            }
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Authors

/// Splits on `and` (any case) outside braces, turns `Last, First` and
/// `Last, Jr., First` into `First Last [Jr.]`, cleans LaTeX and drops
/// `others`.
fn split_authors(value: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut word = String::new();
    let mut depth = 0usize;

    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        // Whitespace inside braces does not end a word, so `{Barnes and
        // Noble}` is one word and its `and` never splits.
        if c.is_whitespace() && depth == 0 {
            end_word(&mut word, &mut current, &mut names);
            continue;
        }
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        word.push(c);
        if c == '\\' {
            // Keep an escaped character (`\{`) out of the brace count.
            if let Some(next) = chars.next() {
                word.push(next);
            }
        }
    }
    end_word(&mut word, &mut current, &mut names);
    names.push(current);

    names
        .iter()
        .map(|n| clean_latex(&reorder_name(n)))
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("others"))
        .collect()
}

/// Ends a word of an author list: `and` ends a name, anything else is
/// part of the current name.
fn end_word(word: &mut String, current: &mut String, names: &mut Vec<String>) {
    if word.is_empty() {
        return;
    }
    if word.eq_ignore_ascii_case("and") {
        names.push(std::mem::take(current));
    } else {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    word.clear();
}

/// `Last, First` → `First Last`; `Last, Jr., First` → `First Last Jr.`.
/// Commas inside braces do not count.
fn reorder_name(name: &str) -> String {
    let mut parts: Vec<String> = vec![String::new()];
    let mut depth = 0usize;
    let mut escaped = false;
    for c in name.chars() {
        if escaped {
            escaped = false;
        } else {
            match c {
                '\\' => escaped = true,
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    parts.push(String::new());
                    continue;
                }
                _ => {}
            }
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    let parts: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
    let joined: Vec<&str> = match parts.as_slice() {
        [whole] => vec![whole],
        [last, first] => vec![first, last],
        [last, jr, first, ..] => vec![first, last, jr],
        [] => Vec::new(),
    };
    joined
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// LaTeX → plain text

/// Turns a LaTeX field value into plain text: braces dropped, accents and
/// special letters to Unicode, `\&` → `&`, `~` → space, `--` → `–`,
/// `---` → `—`, unknown commands dropped (their argument is kept),
/// whitespace collapsed. Unicode already present is kept.
pub fn clean_latex(value: &str) -> String {
    let cs: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut math = false;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            '\\' => i = command(&cs, i + 1, &mut out),
            '{' | '}' => i += 1,
            '$' => {
                math = !math;
                i += 1;
            }
            '^' | '_' if math => i += 1,
            '~' => {
                out.push(' ');
                i += 1;
            }
            '-' => {
                let mut n = 1;
                while cs.get(i + n) == Some(&'-') {
                    n += 1;
                }
                match n {
                    2 => out.push('–'),
                    3 => out.push('—'),
                    _ => out.extend(std::iter::repeat_n('-', n)),
                }
                i += n;
            }
            '`' if cs.get(i + 1) == Some(&'`') => {
                out.push('“');
                i += 2;
            }
            '\'' if cs.get(i + 1) == Some(&'\'') => {
                out.push('”');
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Handles the command whose name starts at `cs[i]` (just after the
/// backslash); returns the index after it.
fn command(cs: &[char], i: usize, out: &mut String) -> usize {
    let Some(&c) = cs.get(i) else {
        return i;
    };
    if "'`^\"~=.".contains(c) {
        let (arg, next) = accent_arg(cs, i + 1);
        out.push_str(&accent(c, &arg));
        return next;
    }
    if c.is_ascii_alphabetic() {
        let mut j = i;
        while j < cs.len() && cs[j].is_ascii_alphabetic() {
            j += 1;
        }
        let word: String = cs[i..j].iter().collect();
        if let [a] = word.as_bytes()
            && b"cvuHkrdbt".contains(a)
        {
            let (arg, next) = accent_arg(cs, skip_spaces(cs, j));
            out.push_str(&accent(char::from(*a), &arg));
            return next;
        }
        if let Some(letter) = special_letter(&word) {
            out.push_str(letter);
            // TeX eats the spaces after a control word: `Stra\ss e`.
            return skip_spaces(cs, j);
        }
        if let Some(symbol) = symbol(&word) {
            out.push_str(symbol);
            return j;
        }
        if word == "noopsort" || word == "href" {
            // `{\noopsort{a}}` only sorts; `\href{url}{text}` shows the text.
            return skip_group(cs, skip_spaces(cs, j), 2000);
        }
        // Formatting (`\emph`, `\textbf`, `\url`...) or unknown: drop the
        // command, its argument stays as plain text.
        return j;
    }
    match c {
        '\\' | ',' | ';' | ':' | '>' => out.push(' '),
        '!' | '-' | '/' | '@' => {}
        c if c.is_whitespace() => out.push(' '),
        c => out.push(c),
    }
    i + 1
}

fn skip_spaces(cs: &[char], mut i: usize) -> usize {
    while i < cs.len() && cs[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Skips a `{...}` group at `i`, if there is one that closes within
/// `limit` characters (the limit keeps nested commands linear); otherwise
/// returns `i`.
fn skip_group(cs: &[char], i: usize, limit: usize) -> usize {
    if cs.get(i) != Some(&'{') {
        return i;
    }
    let mut depth = 0usize;
    let mut j = i;
    let stop = cs.len().min(i.saturating_add(limit));
    while j < stop {
        match cs[j] {
            '\\' => j += 1,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    i
}

/// The argument of an accent: `{o}`, `o`, `{\i}`, `\i`. Returns it as plain
/// text and the index after it.
fn accent_arg(cs: &[char], i: usize) -> (String, usize) {
    let i = skip_spaces(cs, i);
    match cs.get(i) {
        None | Some('}') => (String::new(), i),
        Some('{') => {
            // An accent argument is a letter or two (`{o}`, `{\i}`); a
            // longer group is left to the caller.
            let end = skip_group(cs, i, 16);
            if end == i {
                return (String::new(), i);
            }
            (plain_letters(&cs[i + 1..end - 1]), end)
        }
        Some('\\') => {
            let mut j = i + 1;
            while j < cs.len() && cs[j].is_ascii_alphabetic() {
                j += 1;
            }
            if j == i + 1 {
                // `\'\'`: not an argument; leave the backslash to the caller.
                return (String::new(), i);
            }
            (plain_letters(&cs[i..j]), skip_spaces(cs, j))
        }
        Some(&c) => (c.to_string(), i + 1),
    }
}

/// The letters of an accent argument: braces dropped, `\i` → `i`,
/// `\o` → `ø`, other commands dropped. No recursion.
fn plain_letters(cs: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '{' | '}' => i += 1,
            '\\' => {
                let mut j = i + 1;
                while j < cs.len() && cs[j].is_ascii_alphabetic() {
                    j += 1;
                }
                let word: String = cs[i + 1..j].iter().collect();
                if let Some(letter) = special_letter(&word) {
                    out.push_str(letter);
                }
                i = j.max(i + 2);
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Puts accent `a` (`'`, `"`, `c`, `v`...) on the first letter of `arg`.
fn accent(a: char, arg: &str) -> String {
    let mut chars = arg.chars();
    let Some(base) = chars.next() else {
        return match a {
            '~' | '^' | '`' | '\'' | '"' => a.to_string(),
            _ => String::new(),
        };
    };
    let mut out = String::with_capacity(arg.len() + 2);
    match compose(a, base) {
        Some(c) => out.push(c),
        None => {
            out.push(base);
            if let Some(mark) = combining_mark(a) {
                out.push(mark);
            }
        }
    }
    out.push_str(chars.as_str());
    out
}

/// Precomposed letters for the accents people write in .bib files
/// (`accent, bases, composed`, position by position).
const ACCENTS: &[(char, &str, &str)] = &[
    ('`', "aeiouAEIOUnN", "àèìòùÀÈÌÒÙǹǸ"),
    (
        '\'',
        "aeiouyAEIOUYcCnNsSzZlLrRgG",
        "áéíóúýÁÉÍÓÚÝćĆńŃśŚźŹĺĹŕŔǵǴ",
    ),
    ('^', "aeiouAEIOUcCgGhHjJsSwWyY", "âêîôûÂÊÎÔÛĉĈĝĜĥĤĵĴŝŜŵŴŷŶ"),
    ('"', "aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
    ('~', "anoiuANOIU", "ãñõĩũÃÑÕĨŨ"),
    ('=', "aeiouAEIOU", "āēīōūĀĒĪŌŪ"),
    ('.', "cegzCEGZI", "ċėġżĊĖĠŻİ"),
    ('u', "aegiouAEGIOU", "ăĕğĭŏŭĂĔĞĬŎŬ"),
    ('v', "cdenrstzaiouCDENRSTZAIOU", "čďěňřšťžǎǐǒǔČĎĚŇŘŠŤŽǍǏǑǓ"),
    ('H', "oOuU", "őŐűŰ"),
    ('c', "cCsStTgGkKlLnNrR", "çÇşŞţŢģĢķĶļĻņŅŗŖ"),
    ('k', "aAeEiIuU", "ąĄęĘįĮųŲ"),
    ('r', "aAuU", "åÅůŮ"),
];

fn compose(a: char, base: char) -> Option<char> {
    let (_, bases, composed) = ACCENTS.iter().find(|(acc, _, _)| *acc == a)?;
    let pos = bases.chars().position(|b| b == base)?;
    composed.chars().nth(pos)
}

/// The Unicode combining mark for an accent, for letters without a
/// precomposed form.
fn combining_mark(a: char) -> Option<char> {
    Some(match a {
        '`' => '\u{300}',
        '\'' => '\u{301}',
        '^' => '\u{302}',
        '~' => '\u{303}',
        '=' => '\u{304}',
        'u' => '\u{306}',
        '.' => '\u{307}',
        '"' => '\u{308}',
        'r' => '\u{30A}',
        'H' => '\u{30B}',
        'v' => '\u{30C}',
        'd' => '\u{323}',
        'c' => '\u{327}',
        'k' => '\u{328}',
        'b' => '\u{331}',
        't' => '\u{361}',
        _ => return None,
    })
}

/// Letters written as commands (`{\ss}`, `{\o}`, `\i`).
fn special_letter(word: &str) -> Option<&'static str> {
    Some(match word {
        "ss" => "ß",
        "SS" => "SS",
        "o" => "ø",
        "O" => "Ø",
        "aa" => "å",
        "AA" => "Å",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "l" => "ł",
        "L" => "Ł",
        "i" => "i",
        "j" => "j",
        "dh" => "ð",
        "DH" => "Ð",
        "th" => "þ",
        "TH" => "Þ",
        "ng" => "ŋ",
        "NG" => "Ŋ",
        "dj" => "đ",
        "DJ" => "Đ",
        _ => return None,
    })
}

/// Text and math symbols that stand for a character.
fn symbol(word: &str) -> Option<&'static str> {
    Some(match word {
        "textendash" => "–",
        "textemdash" => "—",
        "textquoteright" => "’",
        "textquoteleft" => "‘",
        "textquotedblleft" => "“",
        "textquotedblright" => "”",
        "textquotedbl" => "\"",
        "textless" => "<",
        "textgreater" => ">",
        "textbackslash" => "\\",
        "textunderscore" => "_",
        "textasciitilde" => "~",
        "textasciicircum" => "^",
        "textbar" => "|",
        "textbullet" => "•",
        "textregistered" => "®",
        "texttrademark" => "™",
        "textcopyright" | "copyright" => "©",
        "textdagger" | "dag" => "†",
        "textdaggerdbl" | "ddag" => "‡",
        "dots" | "ldots" | "textellipsis" => "…",
        "pounds" | "textsterling" => "£",
        "euro" | "texteuro" => "€",
        "S" | "textsection" => "§",
        "P" | "textparagraph" => "¶",
        "textdegree" => "°",
        "textperiodcentered" => "·",
        "textexclamdown" => "¡",
        "textquestiondown" => "¿",
        "guillemotleft" => "«",
        "guillemotright" => "»",
        "LaTeX" => "LaTeX",
        "LaTeXe" => "LaTeX2e",
        "TeX" => "TeX",
        "BibTeX" => "BibTeX",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "times" => "×",
        "pm" => "±",
        "cdot" => "·",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "sim" => "∼",
        "infty" => "∞",
        "to" | "rightarrow" => "→",
        "leftarrow" => "←",
        "ell" => "ℓ",
        "partial" => "∂",
        "nabla" => "∇",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZOTERO: &str = include_str!("../tests/fixtures/zotero.bib");
    const SCHOLAR: &str = include_str!("../tests/fixtures/scholar.bib");
    const AWKWARD: &str = include_str!("../tests/fixtures/awkward.bib");

    fn parse(text: &str, name: &str) -> (Vec<Paper>, Vec<String>) {
        let mut warnings = Vec::new();
        let papers = parse_bibtex(text, name, &mut warnings);
        (papers, warnings)
    }

    fn find<'a>(papers: &'a [Paper], id: &str) -> &'a Paper {
        papers
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("no paper {id}"))
    }

    #[test]
    fn zotero_export() {
        let (papers, warnings) = parse(ZOTERO, "zotero.bib");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(papers.len(), 6);

        let llava = find(&papers, "liu-visual-2023");
        assert_eq!(llava.tags, vec!["liu_visual_2023"]);
        assert_eq!(llava.title, "Visual Instruction Tuning");
        assert_eq!(
            llava.authors,
            vec!["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"]
        );
        assert_eq!(llava.year, Some(2023));
        assert_eq!(llava.venue.as_deref(), Some("arXiv"));
        assert_eq!(llava.arxiv_id.as_deref(), Some("2304.08485"));
        assert_eq!(llava.doi.as_deref(), Some("10.48550/arxiv.2304.08485"));
        assert_eq!(llava.main_link(), Some("http://arxiv.org/abs/2304.08485"));
        // The arXiv url is already there, so no second arXiv link.
        assert_eq!(
            llava
                .links
                .iter()
                .filter(|l| l.url.contains("arxiv.org"))
                .count(),
            1
        );
        let abs = llava.abstract_text.as_deref().unwrap_or_default();
        assert!(abs.starts_with("Instruction tuning large language models (LLMs)"));
        assert!(abs.contains("85.1% relative score"), "{abs}");
        assert!(!abs.contains('\\') && !abs.contains("  "));

        let resnet = find(&papers, "he-deep-2016");
        assert_eq!(resnet.title, "Deep Residual Learning for Image Recognition");
        assert_eq!(
            resnet.venue.as_deref(),
            Some("2016 IEEE Conference on Computer Vision and Pattern Recognition (CVPR)")
        );
        assert_eq!(resnet.doi.as_deref(), Some("10.1109/cvpr.2016.90"));
        assert!(
            resnet
                .links
                .iter()
                .any(|l| l.label == "doi" && l.url == "https://doi.org/10.1109/cvpr.2016.90")
        );
        assert_eq!(resnet.arxiv_id, None);
        assert_eq!(resnet.abstract_text, None);

        let llama = find(&papers, "touvron-llama-2023");
        assert_eq!(
            llama.title,
            "LLaMA: Open and Efficient Foundation Language Models"
        );
        assert!(llama.authors.contains(&"Baptiste Rozière".to_string()));
        assert!(llama.authors.contains(&"Timothée Lacroix".to_string()));
        assert_eq!(llama.authors.len(), 14);
        assert_eq!(llama.arxiv_id.as_deref(), Some("2302.13971"));

        let ldm = find(&papers, "rombach-high-resolution-2022");
        assert_eq!(ldm.authors.last().map(String::as_str), Some("Björn Ommer"));
        assert_eq!(ldm.year, Some(2022));

        let nature = find(&papers, "lecun-deep-2015");
        assert_eq!(nature.venue.as_deref(), Some("Nature"));
        assert_eq!(nature.doi.as_deref(), Some("10.1038/nature14539"));

        let attention = find(&papers, "vaswani-attention-2017");
        assert_eq!(attention.title, "Attention is All you Need");
        assert!(attention.authors.contains(&"Łukasz Kaiser".to_string()));
        assert_eq!(
            attention.venue.as_deref(),
            Some("Advances in Neural Information Processing Systems")
        );
        assert_eq!(attention.abstract_text, None);
        assert_eq!(attention.doi, None);
    }

    #[test]
    fn google_scholar_export() {
        let (papers, warnings) = parse(SCHOLAR, "scholar.bib");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(papers.len(), 6);
        assert!(papers.iter().all(|p| p.abstract_text.is_none()));

        let clip = find(&papers, "radford2021learning");
        assert_eq!(
            clip.title,
            "Learning transferable visual models from natural language supervision"
        );
        assert_eq!(clip.authors.len(), 10, "`others` is dropped");
        assert_eq!(clip.authors[1], "Jong Wook Kim");
        assert_eq!(
            clip.venue.as_deref(),
            Some("International conference on machine learning")
        );
        assert_eq!(clip.year, Some(2021));

        let flamingo = find(&papers, "alayrac2022flamingo");
        assert_eq!(
            flamingo.venue.as_deref(),
            Some("Advances in neural information processing systems")
        );
        assert_eq!(flamingo.authors[0], "Jean-Baptiste Alayrac");

        let blip = find(&papers, "dai2023instructblip");
        assert_eq!(blip.venue.as_deref(), Some("arXiv"));
        assert_eq!(blip.arxiv_id.as_deref(), Some("2305.06500"));
        assert_eq!(blip.main_link(), Some("https://arxiv.org/abs/2305.06500"));
        assert_eq!(blip.authors[3], "Anthony Meng Huat Tiong");

        let book = find(&papers, "goodfellow2016deep");
        assert_eq!(book.venue.as_deref(), Some("MIT press Cambridge"));
    }

    #[test]
    fn hand_kept_file_with_mistakes() {
        let (papers, warnings) = parse(AWKWARD, "awkward.bib");
        assert_eq!(
            warnings,
            vec![
                "awkward.bib:39: skipped entry `kirillov2023segment_todo`: no title",
                "awkward.bib:45: skipped malformed entry `broken2020`: its braces are not \
                 closed before the next entry (line 51)",
                "awkward.bib:78: skipped malformed entry `half_pasted_2019`: expected comma \
                 (line 79)",
            ]
        );
        let ids: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            vec![
                "dosovitskiy2021vit",
                "he2022mae",
                "dai2017scannet",
                "ho2020denoising",
                "chollet2017xception",
                "mikolov2013efficient",
                "logan-etal-2019-baracks",
                "devlin-etal-2019-bert",
                "nist2023airmf",
                "openai2023gpt4",
                "maldacena1998large",
                "he2016deep",
                "he2016deep",
            ]
        );
        assert!(papers.iter().all(|p| !p.title.contains("Not a paper")));

        let vit = find(&papers, "dosovitskiy2021vit");
        assert_eq!(
            vit.title,
            "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"
        );
        assert_eq!(vit.year, Some(2021), "bare number year");
        assert_eq!(vit.arxiv_id.as_deref(), Some("2010.11929"));
        assert_eq!(
            vit.venue.as_deref(),
            Some("International Conference on Learning Representations")
        );

        let cvpr =
            "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition";
        let mae = find(&papers, "he2022mae");
        assert_eq!(mae.venue.as_deref(), Some(cvpr), "@string macro");
        assert!(mae.authors.contains(&"Piotr Dollár".to_string()));
        assert_eq!(
            mae.title, "Masked Autoencoders Are Scalable Vision Learners",
            "CRLF"
        );

        let scannet = find(&papers, "dai2017scannet");
        assert_eq!(
            scannet.venue.as_deref(),
            Some(format!("Proc. {cvpr}").as_str())
        );
        assert_eq!(
            scannet.title,
            "ScanNet: Richly-Annotated 3D Reconstructions of Indoor Scenes"
        );
        assert_eq!(scannet.authors.len(), 6, "split on AND too");
        assert_eq!(scannet.authors[5], "Matthias Nießner");
        assert_eq!(scannet.arxiv_id.as_deref(), Some("1702.04405"));

        let ddpm = find(&papers, "ho2020denoising");
        assert_eq!(ddpm.title, "Denoising Diffusion Probabilistic Models");
        assert_eq!(
            ddpm.venue.as_deref(),
            Some("Advances in Neural Information Processing Systems")
        );

        assert_eq!(
            find(&papers, "chollet2017xception").authors,
            vec!["François Chollet"]
        );

        let w2v = find(&papers, "mikolov2013efficient");
        assert_eq!(w2v.authors[0], "Tomáš Mikolov", "@article(...) entry");
        assert_eq!(w2v.arxiv_id.as_deref(), Some("1301.3781"));
        assert_eq!(w2v.venue.as_deref(), Some("arXiv"));

        let logan = find(&papers, "logan-etal-2019-baracks");
        assert_eq!(
            logan.title,
            "Barack's Wife Hillary: Using Knowledge Graphs for Fact-Aware Language Modeling"
        );
        assert_eq!(logan.authors[0], "Robert L. Logan IV");
        assert_eq!(logan.authors.len(), 5);
        assert_eq!(logan.doi.as_deref(), Some("10.18653/v1/p19-1598"));

        let bert = find(&papers, "devlin-etal-2019-bert");
        assert_eq!(bert.authors, vec!["Jacob Devlin", "Ming-Wei Chang"]);
        assert_eq!(bert.doi.as_deref(), Some("10.18653/v1/n19-1423"));
        assert!(
            bert.venue
                .as_deref()
                .unwrap_or_default()
                .contains("North American Chapter")
        );

        let nist = find(&papers, "nist2023airmf");
        assert_eq!(
            nist.authors,
            vec!["National Institute of Standards and Technology"]
        );
        assert_eq!(nist.doi.as_deref(), Some("10.6028/nist.ai.100-1"));
        assert_eq!(
            nist.title,
            "Artificial Intelligence Risk Management Framework (AI RMF 1.0)"
        );

        let gpt4 = find(&papers, "openai2023gpt4");
        assert_eq!(gpt4.year, Some(2023), "from `date`");
        assert_eq!(
            gpt4.arxiv_id.as_deref(),
            Some("2303.08774"),
            "version dropped"
        );
        assert_eq!(gpt4.venue.as_deref(), Some("arXiv"));
        assert_eq!(gpt4.authors, vec!["OpenAI"]);

        let ads = find(&papers, "maldacena1998large");
        assert_eq!(ads.arxiv_id.as_deref(), Some("hep-th/9711200"));
        assert_eq!(ads.venue.as_deref(), Some("Adv. Theor. Math. Phys."));
        assert_eq!(
            ads.title,
            "The Large N Limit of Superconformal Field Theories and Supergravity"
        );

        let resnets: Vec<&Paper> = papers.iter().filter(|p| p.id == "he2016deep").collect();
        assert_eq!(resnets.len(), 2, "duplicate keys are both kept");
        assert_eq!(resnets[1].arxiv_id.as_deref(), Some("1512.03385"));
    }

    #[test]
    fn latex_is_cleaned() {
        let cases = [
            (
                "{{LLaVA}: Visual {Instruction} Tuning}",
                "LLaVA: Visual Instruction Tuning",
            ),
            (
                r#"M{\"o}ller and M\"{u}ller and G\"odel"#,
                "Möller and Müller and Gödel",
            ),
            (
                r"Caf\'e, Caf\'{e}, {\`a} la, C\^ote, Espa\~na",
                "Café, Café, à la, Côte, España",
            ),
            (
                r"Fran\c{c}ois, \v{S}imon, Stra{\ss}e, Stra\ss e",
                "François, Šimon, Straße, Straße",
            ),
            (
                r#"{\O}rsted, S{\o}ren, {\AA}ngstr{\"o}m, {\aa}"#,
                "Ørsted, Søren, Ångström, å",
            ),
            (
                r#"D\'{\i}az, D\'\i az, na\"{\i}ve, \i"#,
                "Díaz, Díaz, naïve, i",
            ),
            (
                r"Pages 1--10 --- and \& more~here",
                "Pages 1–10 — and & more here",
            ),
            (r"\emph{Deep} \textbf{Learning}  {\relax}", "Deep Learning"),
            (
                r"$\alpha$-Net: 50\% of \$1, ``quoted''",
                "α-Net: 50% of $1, “quoted”",
            ),
            (
                "Already unicode: Łukasz, 李飞飞, Müller",
                "Already unicode: Łukasz, 李飞飞, Müller",
            ),
            ("  spread\r\n\tover \n lines ", "spread over lines"),
            (
                r"\H{o} \k{a} \r{u} \u{g} \={a} \.{z} \d{s}",
                "ő ą ů ğ ā ż s\u{323}",
            ),
            (r"{\noopsort{a}}Zebra", "Zebra"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean_latex(input), expected, "input: {input}");
        }
    }

    #[test]
    fn authors_are_split_and_reordered() {
        assert_eq!(
            split_authors(
                r"Rozi{\`e}re, Baptiste AND {Barnes and Noble} and Smith, Jr., John and Jane Q. Doe and others"
            ),
            vec![
                "Baptiste Rozière",
                "Barnes and Noble",
                "John Smith Jr.",
                "Jane Q. Doe"
            ]
        );
        assert_eq!(
            split_authors("{Lee, Kim and Partners}"),
            vec!["Lee, Kim and Partners"]
        );
        assert_eq!(split_authors("  "), Vec::<String>::new());
    }

    #[test]
    fn accent_table_lines_up() {
        for (a, bases, composed) in ACCENTS {
            assert_eq!(
                bases.chars().count(),
                composed.chars().count(),
                "accent {a}"
            );
        }
    }

    #[test]
    fn strings_months_and_unknown_macros() {
        let text = "@string{ conf = \"Conf.\" }\n\
                    @STRING{proc = \"Proc. \" # Conf}\n\
                    @misc{a, title = {T}, booktitle = proc # { on X}, month = jan, note = nosuch}\n";
        let (papers, warnings) = parse(text, "m.bib");
        assert_eq!(papers.len(), 1);
        assert_eq!(papers[0].venue.as_deref(), Some("Proc. Conf. on X"));
        assert_eq!(
            warnings,
            vec!["m.bib:3: entry `a`: unknown @string `nosuch` read as empty"]
        );
    }

    #[test]
    fn recovers_from_broken_entries_anywhere() {
        // Unclosed entry at the end of the file.
        let (papers, warnings) = parse("@misc{ok, title={A}}\n@misc{cut, title = {B", "x.bib");
        assert_eq!(papers.len(), 1);
        assert_eq!(
            warnings,
            vec![
                "x.bib:2: skipped malformed entry `cut`: its braces are not closed before the end of the file"
            ]
        );
        // Garbage between entries and an entry with a bad key.
        let text = "junk text { with } braces\n@misc{a, title={A}}\n@@@ }}}\n\
                    @article{bad key, title={X}}\n@misc{b, title={B}}";
        let (papers, warnings) = parse(text, "y.bib");
        assert_eq!(
            papers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].starts_with("y.bib:4: skipped malformed entry `bad key`"));
        // Entries on one line, and `@` in comments and abstracts.
        let text = "% mail me@example.org\n@misc{a,title={A},abstract={me@x.org {@misc{no}}}}@misc{b,title={B}}";
        let (papers, warnings) = parse(text, "z.bib");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(papers.len(), 2);
        assert_eq!(papers[0].abstract_text.as_deref(), Some("me@x.org @miscno"));
    }

    #[test]
    fn hostile_macros_do_not_blow_up() {
        // Self-reference would recurse forever in a naive resolver.
        let (papers, warnings) = parse("@string{a = a}\n@misc{k, title = a # {T}}", "s.bib");
        assert_eq!(papers.len(), 1);
        assert_eq!(papers[0].title, "T");
        assert_eq!(warnings.len(), 1);
        // Doubling chain: 2^60 bytes if uncapped.
        let mut text = String::from("@string{s0 = \"xxxxxxxx\"}\n");
        for i in 1..60 {
            text.push_str(&format!("@string{{s{i} = s{p} # s{p}}}\n", p = i - 1));
        }
        text.push_str("@misc{k, title = s59}\n");
        let (papers, _) = parse(&text, "s.bib");
        assert!(papers[0].title.len() <= MACRO_CAP);
    }

    #[test]
    fn fields_are_read_from_many_shapes() {
        let text = r#"@misc{k,
            title = {T},
            eprint = {2304.08485v2},
            doi = {https://doi.org/10.1000/ABC\_1},
            url = {https://example.org/a\_b},
            year = {circa 1999--2001},
            howpublished = {\url{https://ignored.example}},
        }
        @misc{m, title={U}, note = {see arxiv.org/abs/2401.00001v3}, publisher = {Self}}
        @misc{n, title={V}, date = {2020-04-17}, howpublished = {\url{https://n.example/x}}}"#;
        let (papers, warnings) = parse(text, "f.bib");
        assert!(warnings.is_empty(), "{warnings:?}");
        let k = &papers[0];
        assert_eq!(k.arxiv_id.as_deref(), Some("2304.08485"));
        assert_eq!(k.doi.as_deref(), Some("10.1000/abc_1"));
        assert_eq!(k.year, Some(1999));
        assert_eq!(
            k.links,
            vec![
                Link {
                    label: "paper".into(),
                    url: "https://example.org/a_b".into()
                },
                Link {
                    label: "doi".into(),
                    url: "https://doi.org/10.1000/abc_1".into()
                },
                Link {
                    label: "arXiv".into(),
                    url: "https://arxiv.org/abs/2304.08485".into()
                },
            ]
        );
        assert_eq!(k.venue.as_deref(), Some("arXiv"));
        let m = &papers[1];
        assert_eq!(m.arxiv_id.as_deref(), Some("2401.00001"));
        assert_eq!(m.venue.as_deref(), Some("arXiv"));
        let n = &papers[2];
        assert_eq!(n.year, Some(2020));
        assert_eq!(n.venue, None, "a bare URL is not a venue");
        assert_eq!(n.main_link(), Some("https://n.example/x"));
    }

    #[test]
    fn empty_key_and_empty_input() {
        assert!(parse("", "e.bib").0.is_empty());
        assert!(parse("no entries here", "e.bib").0.is_empty());
        let (papers, _) = parse("@misc{, title = {A Title}}", "e.bib");
        assert_eq!(papers[0].id, "a-title");
        assert!(papers[0].tags.is_empty());
    }

    /// Mutates the fixtures (xorshift, fixed seed) and checks nothing
    /// panics; the crate-level fuzzer runs much longer.
    #[test]
    fn mutated_fixtures_never_panic() {
        const PIECES: &[&str] = &[
            "{", "}", "(", ")", "\"", "@", "@misc{", "#", ",", "=", "\\", "\\'", "\\c", "{\\",
            "and", " and ", "%", "\n", "\r\n", "$", "~", "--", "é", "李", "arXiv:", "10.",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
        };
        for round in 0..1500 {
            let seed = [ZOTERO, SCHOLAR, AWKWARD][round % 3];
            let mut text: Vec<char> = seed.chars().collect();
            for _ in 0..1 + next(20) {
                let at = next(text.len() + 1);
                match next(3) {
                    0 => {
                        let piece = PIECES[next(PIECES.len())];
                        text.splice(at..at, piece.chars());
                    }
                    1 => {
                        let end = (at + next(40)).min(text.len());
                        text.drain(at..end);
                    }
                    _ => {
                        let end = (at + next(200)).min(text.len());
                        let copy: Vec<char> = text[at..end].to_vec();
                        let to = next(text.len() + 1);
                        text.splice(to..to, copy);
                    }
                }
            }
            let text: String = text.into_iter().collect();
            let mut warnings = Vec::new();
            let _ = parse_bibtex(&text, "fuzz.bib", &mut warnings);

            // And short files made of the pieces alone.
            let mut text = String::from("@misc{k, title = ");
            for _ in 0..next(30) {
                text.push_str(PIECES[next(PIECES.len())]);
            }
            let _ = parse_bibtex(&text, "fuzz.bib", &mut warnings);
            let _ = clean_latex(&text);
            let _ = split_authors(&text);
        }
    }

    /// Inputs that would take quadratic time (or more) in a careless reader.
    #[test]
    fn pathological_inputs_stay_fast() {
        let start = std::time::Instant::now();
        let n = 100_000;
        let inputs = [
            format!("@misc{{k, title = {{{}}}}}", "\\'{".repeat(n)),
            format!("@misc{{k, title = {{{}}}}}", "\\href{".repeat(n)),
            format!("@misc{{k, title = {{T}}, {}}}", "a = 1, ".repeat(n)),
            format!("@misc{{k, author = {{{}}}}}", "x and ".repeat(n)),
            "{".repeat(n),
            "@a{\n".repeat(n),
            "@a{".repeat(n),
        ];
        for text in &inputs {
            let mut warnings = Vec::new();
            let _ = parse_bibtex(text, "p.bib", &mut warnings);
        }
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }
}
