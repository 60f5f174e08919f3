//! The identity rules agree across readers: the same link gives the same
//! arXiv id whether it comes from Markdown, JSONL or BibTeX.

use super::{bibtex, jsonl, markdown};

fn from_markdown(url: &str) -> Option<String> {
    let list =
        format!("### S\n\n**(*arXiv2024_X*) A Title.** <br>\n*Ann Lee.*<br>\n[[paper]]({url})\n");
    markdown::parse_awesome_list(&list)
        .pop()
        .and_then(|p| p.arxiv_id)
}

fn from_jsonl(url: &str) -> Option<String> {
    let line = serde_json::json!({"title": "A Title", "url": url}).to_string();
    let mut warnings = Vec::new();
    jsonl::parse_jsonl_papers(&line, "t.jsonl", &mut warnings)
        .pop()
        .and_then(|p| p.arxiv_id)
}

fn from_jsonl_field(id: &str) -> Option<String> {
    let line = serde_json::json!({"title": "A Title", "arxiv_id": id}).to_string();
    let mut warnings = Vec::new();
    jsonl::parse_jsonl_papers(&line, "t.jsonl", &mut warnings)
        .pop()
        .and_then(|p| p.arxiv_id)
}

fn from_bibtex(url: &str) -> Option<String> {
    let bib = format!("@misc{{k, title = {{A Title}}, url = {{{url}}}}}\n");
    let mut warnings = Vec::new();
    bibtex::parse_bibtex(&bib, "t.bib", &mut warnings)
        .pop()
        .and_then(|p| p.arxiv_id)
}

#[test]
fn old_style_and_html_links_give_one_id_in_every_reader() {
    for (url, id) in [
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/html/2304.08485", "2304.08485"),
        ("https://arxiv.org/pdf/2304.08485v2", "2304.08485"),
    ] {
        assert_eq!(from_markdown(url).as_deref(), Some(id), "markdown {url}");
        assert_eq!(from_jsonl(url).as_deref(), Some(id), "jsonl {url}");
        assert_eq!(from_bibtex(url).as_deref(), Some(id), "bibtex {url}");
    }
}

#[test]
fn a_jsonl_arxiv_id_field_is_read_in_any_spelling() {
    for text in [
        "2304.08485",
        "arXiv:2304.08485v3",
        "https://arxiv.org/abs/2304.08485",
    ] {
        assert_eq!(
            from_jsonl_field(text).as_deref(),
            Some("2304.08485"),
            "{text}"
        );
    }
    assert_eq!(
        from_jsonl_field("hep-th/9901001v2").as_deref(),
        Some("hep-th/9901001")
    );
}

#[test]
fn a_doi_keeps_its_case_and_merges_case_insensitively() {
    let lines = [
        serde_json::json!({"id": "a", "title": "One Paper", "doi": "https://doi.org/10.1109/CVPR.2016.90"}),
        serde_json::json!({"id": "b", "title": "Another Title Entirely", "doi": "doi:10.1109/cvpr.2016.90"}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let sources = crate::collection::Sources {
        lists: vec![super::Source::text(
            "t.jsonl",
            super::SourceFormat::Jsonl,
            lines,
        )],
        enrichments: Vec::new(),
        paths: None,
    };
    let papers = crate::collection::Collection::from_sources(&sources)
        .expect("reads")
        .papers;
    assert_eq!(papers.len(), 1, "{papers:?}");
    assert_eq!(papers[0].doi.as_deref(), Some("10.1109/CVPR.2016.90"));
}

/// Fuzzer finding: an `arxiv_id` that is not one is dropped with a warning
/// naming the line, not kept.
#[test]
fn an_invalid_jsonl_arxiv_id_is_dropped_with_a_warning() {
    let mut warnings = Vec::new();
    let papers = super::jsonl::parse_jsonl_papers(
        "{\"title\": \"Segment Anything\", \"arxiv_id\": \":304.02643\"}\n",
        "p.jsonl",
        &mut warnings,
    );
    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].arxiv_id, None);
    assert_eq!(
        warnings,
        ["p.jsonl:1: arxiv_id \":304.02643\" is not an arXiv id; ignored"]
    );
}

/// Fuzzer finding: a tag with no letters (`(*_*)`) gave an empty id.
#[test]
fn a_markdown_tag_without_letters_gives_no_empty_id() {
    let papers = super::markdown::parse_awesome_list(
        "**(*_*) Tag Without Letters.** <br>\n*Ann Author.*<br>\n[[paper]](https://arxiv.org/abs/2301.00001)\n",
    );
    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].id, "arxiv-2301-00001");
    assert!(papers[0].tags.is_empty());
}

/// Fuzzer finding: an arXiv error quoting a multi-line answer is one line.
#[test]
fn arxiv_errors_are_one_line() {
    let e = crate::error::Error::arxiv("HTTP 500:\n<html>\n  oops\n</html>");
    assert_eq!(e.to_string(), "arXiv API: HTTP 500: <html> oops </html>");
}
