//! Author lists: split on `and` outside braces, `Last, First` reordered,
//! LaTeX cleaned, `others` dropped.

use crate::read::latex::clean_latex;

/// Splits on `and` (any case) outside braces, turns `Last, First` and
/// `Last, Jr., First` into `First Last [Jr.]`, cleans LaTeX and drops
/// `others`.
pub(super) fn split_authors(value: &str) -> Vec<String> {
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
pub(super) fn end_word(word: &mut String, current: &mut String, names: &mut Vec<String>) {
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
pub(super) fn reorder_name(name: &str) -> String {
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
