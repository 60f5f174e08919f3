//! Milvus boolean expressions for what mmsearch asks of a collection: the
//! metadata filters (`--year`, `--venue`, `--section`, `--author`), lists of
//! documents and exact-lookup keys. Pure functions, so every
//! quoting rule is unit-tested here rather than found out on a server.

use crate::paper::filter::Filter;

/// Separates the values of a list field (authors, sections, keys) in the
/// single string Milvus stores, and ends it on both sides, so `like
/// "%|x|%"` finds a whole value. Never part of a value after `cleaned`.
pub(crate) const SEPARATOR: char = '|';

/// A value as stored for substring filters: lower-cased (filters ignore
/// case, like the embedded engine's), separators replaced.
pub(crate) fn cleaned(value: &str) -> String {
    value.to_lowercase().replace(SEPARATOR, " ")
}

/// Several values in one string: `|a|b|`.
pub(crate) fn joined<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from(SEPARATOR);
    for value in values {
        out.push_str(&cleaned(value));
        out.push(SEPARATOR);
    }
    out
}

/// A string literal: Milvus parses `"..."` with backslash escapes.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `field like "%needle%"`, or `None` when the needle holds one of `like`'s
/// wildcards (`%`, `_`), which Milvus 2.5 cannot escape: the caller then
/// names the matching documents instead.
fn contains(field: &str, needle: &str) -> Option<String> {
    let needle = cleaned(needle);
    if needle.contains(['%', '_']) {
        return None;
    }
    Some(format!("{field} like {}", literal(&format!("%{needle}%"))))
}

/// The filter as a Milvus expression over the stored fields `year`, `venue`,
/// `sections` and `authors`; `None` when some part cannot be said exactly.
pub(crate) fn filter(filter: &Filter) -> Option<String> {
    let mut parts = Vec::new();
    if let Some((from, to)) = filter.years {
        parts.push(format!("(year >= {from} and year <= {to})"));
    }
    if let Some(venue) = &filter.venue {
        parts.push(contains("venue", venue)?);
    }
    if let Some(section) = &filter.section {
        parts.push(contains("sections", section)?);
    }
    if let Some(author) = &filter.author {
        parts.push(contains("authors", author)?);
    }
    Some(parts.join(" and "))
}

/// Exactly these documents.
pub(crate) fn ids(docs: &[usize]) -> String {
    let list: Vec<String> = docs.iter().map(usize::to_string).collect();
    format!("id in [{}]", list.join(","))
}

/// Documents with exact-lookup key `key` (already normalised).
pub(crate) fn key(key: &str) -> Option<String> {
    let key = cleaned(key);
    (!key.contains(['%', '_'])).then(|| {
        format!(
            "keys like {}",
            literal(&format!("%{SEPARATOR}{key}{SEPARATOR}%"))
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_filter_is_an_empty_expression_and_years_are_a_range() {
        assert_eq!(filter(&Filter::default()).as_deref(), Some(""));
        let f = Filter {
            years: Some((2023, 2024)),
            venue: Some("CVPR".into()),
            ..Filter::default()
        };
        assert_eq!(
            filter(&f).as_deref(),
            Some(r#"(year >= 2023 and year <= 2024) and venue like "%cvpr%""#)
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_and_wildcards_refused() {
        let f = Filter {
            author: Some(r#"O"Brien\"#.into()),
            ..Filter::default()
        };
        assert_eq!(
            filter(&f).as_deref(),
            Some(r#"authors like "%o\"brien\\%""#)
        );
        let wild = Filter {
            venue: Some("100%".into()),
            ..Filter::default()
        };
        assert_eq!(filter(&wild), None);
        assert_eq!(
            filter(&Filter {
                section: Some("a_b".into()),
                ..Filter::default()
            }),
            None
        );
    }

    #[test]
    fn list_values_are_joined_between_separators_and_keys_match_whole_values() {
        assert_eq!(joined(["Ada Lovelace", "A|B"]), "|ada lovelace|a b|");
        assert_eq!(key("llava").as_deref(), Some(r#"keys like "%|llava|%""#));
        assert_eq!(ids(&[3, 1]), "id in [3,1]");
    }
}
