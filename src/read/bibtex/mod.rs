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

mod fields;
mod macros;
mod names;
mod scanner;

use std::collections::{HashMap, HashSet};

use biblatex::RawBibliography;

use crate::paper::Paper;
use fields::build_paper;
use macros::expand;
use scanner::{
    LineCounter, block_source, count_newlines, count_newlines_upto, describe, guess_key,
    split_blocks,
};

/// The longest text one `@string` macro may expand to; real ones are a few
/// hundred bytes, and the cap keeps `@string{b = a # a}` chains from
/// doubling without bound.
pub(super) const MACRO_CAP: usize = 16 * 1024;

/// Parses a .bib file. Entries that cannot be read become warnings
/// (`name:LINE: ...`) and the rest are kept.
pub(crate) fn parse_bibtex(text: &str, name: &str, warnings: &mut Vec<String>) -> Vec<Paper> {
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
            match build_paper(entry.v.kind.v, key, &fields) {
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

/// The paper a stored BibTeX entry reads as on its own (what a writer
/// compares with the merged paper to know what other sources added).
pub(crate) fn paper_of_entry(entry: &crate::paper::BibEntry) -> Option<Paper> {
    let fields: Vec<(String, String)> = entry
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    build_paper(&entry.kind, &entry.key, &fields)
}

#[cfg(test)]
mod tests;
