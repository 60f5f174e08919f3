//! Cuts a .bib file into `@type{...}` blocks without parsing them, so one
//! broken entry costs only itself; a block whose braces never close ends
//! where the next line starting with `@type{` begins.

use biblatex::ParseErrorKind;

/// One `@type{...}` (or `@type(...)`) block, as byte offsets into the file.
pub(super) struct Block<'a> {
    /// Offset of the `@`.
    pub(super) start: usize,
    pub(super) kind: &'a str,
    /// Offset of the opening `{` or `(`.
    pub(super) open: usize,
    pub(super) delim: u8,
    /// One past the closing delimiter; where the next entry starts, or the
    /// end of the file, when the block is not closed.
    pub(super) end: usize,
    pub(super) closed: bool,
}

/// If an entry starts at `at` (an `@`), its type and the offset of its
/// opening delimiter. `@` followed by anything else (an e-mail address in a
/// comment) starts nothing.
pub(super) fn entry_header(text: &str, at: usize) -> Option<(&str, usize, u8)> {
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
pub(super) fn split_blocks(text: &str) -> Vec<Block<'_>> {
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
pub(super) fn scan_body(text: &str, open: usize, delim: u8) -> (usize, bool) {
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
pub(super) fn block_source(text: &str, block: &Block<'_>) -> String {
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
pub(super) fn guess_key(rest: &str) -> String {
    let end = rest.find([',', '\n', '}', ')', '=']).unwrap_or(rest.len());
    let key = rest[..end].trim();
    if key.chars().count() > 60 {
        let cut: String = key.chars().take(60).collect();
        format!("{cut}…")
    } else {
        key.to_string()
    }
}

pub(super) fn describe(kind: &ParseErrorKind) -> String {
    match kind {
        ParseErrorKind::UnexpectedEof => "the entry ends in the middle of a field".to_string(),
        other => other.to_string(),
    }
}

pub(super) fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

pub(super) fn count_newlines_upto(s: &str, offset: usize) -> usize {
    let end = offset.min(s.len());
    s.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count()
}

/// Line numbers for increasing offsets without rescanning from the start.
#[derive(Default)]
pub(super) struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    pub(super) fn line_at(&mut self, text: &str, offset: usize) -> usize {
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
