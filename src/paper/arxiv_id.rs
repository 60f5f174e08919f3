//! The one arXiv-id normaliser. Every reader (Markdown links, JSONL
//! `arxiv_id`/`url`, BibTeX `eprint`/`url`/`doi`/`journal`), `resolve` and the
//! arXiv client call these, so one paper has one id however a source wrote it:
//! new-style `2304.08485` or old-style `hep-th/9901001`, bare or with an
//! `arXiv:` prefix, in an `abs`/`pdf`/`html` URL, with or without a version.

use std::sync::LazyLock;

use regex::Regex;

/// The id pattern itself: new style (`YYMM.NNNNN`) or old style
/// (`archive[.SUBJ]/YYMMNNN`).
const ID: &str = r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[a-z]{2})?/[0-9]{7})";

/// A whole string that is an id: `2304.08485`, `arXiv:2304.08485v2`,
/// `hep-th/9901001`, or an arXiv URL.
static BARE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^(?:arxiv:\s*)?{ID}(?:v[0-9]+)?$")).expect("valid regex")
});

/// An id inside other text: an `arxiv.org/abs|pdf|html/` URL (or the old
/// `arxiv.org/ftp/arxiv/papers/YYMM/ID.pdf`), `arXiv:ID`, `arXiv ID` or the
/// arXiv DOI `10.48550/arXiv.ID`.
static IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)(?:arxiv\.org/(?:abs|pdf|html|ftp/arxiv/papers/[0-9]{{4}})/|arxiv:\s*|arxiv\.|arxiv\s+){ID}(?:v[0-9]+)?(?:$|[^0-9])"
    ))
    .expect("valid regex")
});

/// The canonical id, as arXiv writes it: no version; an old-style
/// archive in lower case with its subject class in upper case.
fn canonical(id: &str) -> String {
    match id.split_once('/') {
        Some((archive, number)) => match archive.split_once('.') {
            // `math.GT/0309136`: archive lower case, subject class upper case.
            Some((name, class)) => format!(
                "{}.{}/{number}",
                name.to_ascii_lowercase(),
                class.to_ascii_uppercase()
            ),
            None => format!("{}/{number}", archive.to_ascii_lowercase()),
        },
        None => id.to_string(),
    }
}

/// The id when the whole of `text` (trimmed) is one: a bare id, with an
/// `arXiv:` prefix or a version, or an arXiv `abs`/`pdf`/`html` URL.
pub fn parse(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some(c) = BARE.captures(text) {
        return Some(canonical(&c["id"]));
    }
    let lower = text.to_ascii_lowercase();
    let is_url = [
        "https://",
        "http://",
        "arxiv.org/",
        "www.arxiv.org/",
        "export.arxiv.org/",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    if is_url && lower.contains("arxiv.org/") {
        return find(text);
    }
    None
}

/// The first arXiv id mentioned anywhere in `text` (a link, a note, a DOI).
pub fn find(text: &str) -> Option<String> {
    IN_TEXT.captures(text).map(|c| canonical(&c["id"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_one_id_gives_the_same_id() {
        for text in [
            "2304.08485",
            "2304.08485v2",
            "arXiv:2304.08485",
            "arxiv: 2304.08485v1",
            "https://arxiv.org/abs/2304.08485",
            "https://arxiv.org/abs/2304.08485v3",
            "https://arxiv.org/pdf/2304.08485v3.pdf",
            "https://arxiv.org/html/2304.08485v1",
            "arxiv.org/html/2304.08485",
            "https://arxiv.org/ftp/arxiv/papers/2304/2304.08485.pdf",
        ] {
            assert_eq!(parse(text).as_deref(), Some("2304.08485"), "{text}");
        }
    }

    #[test]
    fn old_style_ids_are_read_everywhere() {
        for text in [
            "hep-th/9901001",
            "hep-th/9901001v2",
            "arXiv:hep-th/9901001",
            "HEP-TH/9901001",
            "https://arxiv.org/abs/hep-th/9901001",
            "http://arxiv.org/pdf/hep-th/9901001v1",
        ] {
            assert_eq!(parse(text).as_deref(), Some("hep-th/9901001"), "{text}");
        }
        assert_eq!(parse("math.AG/0601001").as_deref(), Some("math.AG/0601001"));
    }

    #[test]
    fn ids_are_found_inside_text() {
        assert_eq!(
            find("see arXiv:2403.15388v2 for details").as_deref(),
            Some("2403.15388")
        );
        assert_eq!(
            find("10.48550/arXiv.2304.08485").as_deref(),
            Some("2304.08485")
        );
        assert_eq!(
            find("[[paper]](https://arxiv.org/html/2304.08485)").as_deref(),
            Some("2304.08485")
        );
    }

    #[test]
    fn things_that_are_not_ids_are_refused() {
        for text in [
            "",
            "2304",
            "23040.8485",
            "hello world",
            "10.1109/CVPR.2016.90",
            "https://example.org/abs/2304.08485x",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
        assert_eq!(find("no id here 1234.5"), None);
    }
}
