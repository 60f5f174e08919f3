use super::atom::*;
use super::client::*;
use super::*;
use crate::error::{ArxivError, Error, Result};
use std::time::Duration;

const TWO_PAPERS: &str = include_str!("../../../tests/fixtures/arxiv/two_papers.xml");
const ERROR_ENTRY: &str = include_str!("../../../tests/fixtures/arxiv/error_entry.xml");
const EMPTY: &str = include_str!("../../../tests/fixtures/arxiv/empty.xml");
const TITLE_SEARCH: &str = include_str!("../../../tests/fixtures/arxiv/title_search.xml");
const MALFORMED: &str = include_str!("../../../tests/fixtures/arxiv/malformed.xml");

fn assert_malformed(result: Result<Vec<ArxivRecord>>) {
    match result {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(message),
        }) => {
            assert!(message.starts_with("malformed response: "), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
        other => panic!("expected a malformed-response error, got {other:?}"),
    }
}

#[test]
fn parses_two_papers() {
    let records = parse_feed(TWO_PAPERS).unwrap();
    assert_eq!(records.len(), 2);

    let llava = &records[0];
    assert_eq!(llava.arxiv_id, "2304.08485");
    assert_eq!(llava.title, "Visual Instruction Tuning");
    assert_eq!(
        llava.authors,
        ["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"]
    );
    assert_eq!(llava.published.as_deref(), Some("2023-04-17"));
    assert_eq!(llava.primary_category.as_deref(), Some("cs.CV"));
    assert_eq!(llava.doi, None);
    assert!(
            llava
                .abstract_text
                .starts_with("Instruction tuning large language models (LLMs) using machine-generated instruction-following data has improved"),
            "{}",
            llava.abstract_text
        );
    assert!(
        llava
            .abstract_text
            .ends_with("our model and code base publicly available.")
    );
    assert!(!llava.abstract_text.contains('\n'));
    assert!(!llava.abstract_text.contains("  "));

    let llama = &records[1];
    assert_eq!(llama.arxiv_id, "2302.13971");
    assert_eq!(
        llama.title,
        "LLaMA: Open and Efficient Foundation Language Models"
    );
    assert_eq!(llama.authors.len(), 14);
    assert_eq!(llama.authors[0], "Hugo Touvron");
    assert_eq!(llama.authors[5], "Timothée Lacroix");
    assert_eq!(llama.authors[13], "Guillaume Lample");
    assert_eq!(llama.published.as_deref(), Some("2023-02-27"));
    assert_eq!(llama.primary_category.as_deref(), Some("cs.CL"));
    assert!(
        llama
            .abstract_text
            .contains("ranging from 7B to 65B parameters")
    );
}

#[test]
fn feed_level_title_and_id_do_not_leak_into_entries() {
    // The feed's own <title> carries `&amp;` and its <id> an api URL; neither is a paper.
    let records = parse_feed(TWO_PAPERS).unwrap();
    assert!(records.iter().all(|r| !r.title.contains("ArXiv Query")));
}

#[test]
fn decodes_entities_in_fixture() {
    let records = parse_feed(TITLE_SEARCH).unwrap();
    assert!(
        records[0]
            .abstract_text
            .contains("submissions to ILSVRC & COCO 2015 competitions"),
        "{}",
        records[0].abstract_text
    );
}

#[test]
fn parses_title_search_results_in_order() {
    let records = parse_feed(TITLE_SEARCH).unwrap();
    let ids: Vec<_> = records.iter().map(|r| r.arxiv_id.as_str()).collect();
    assert_eq!(ids, ["1512.03385", "1603.05027"]);
    let resnet = &records[0];
    assert_eq!(resnet.title, "Deep Residual Learning for Image Recognition");
    assert_eq!(
        resnet.authors,
        ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    );
    assert_eq!(resnet.published.as_deref(), Some("2015-12-10"));
    assert_eq!(resnet.primary_category.as_deref(), Some("cs.CV"));
    assert_eq!(records[1].published.as_deref(), Some("2016-03-16"));
}

#[test]
fn skips_error_entries() {
    assert_eq!(parse_feed(ERROR_ENTRY).unwrap(), Vec::new());
    let feed = parse(ERROR_ENTRY).unwrap();
    assert_eq!(feed.errors, ["incorrect id format for 1234"]);
}

#[test]
fn empty_feed_is_no_records() {
    assert_eq!(parse_feed(EMPTY).unwrap(), Vec::new());
    assert_eq!(
        parse_feed(r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).unwrap(),
        Vec::new()
    );
}

#[test]
fn truncated_xml_is_malformed() {
    assert_malformed(parse_feed(MALFORMED));
    // Cut in the middle of a tag, too.
    assert_malformed(parse_feed(&TWO_PAPERS[..TWO_PAPERS.len() / 2 + 3]));
}

#[test]
fn html_and_other_non_feeds_are_malformed() {
    let html = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\
                    <body><h1>Service Unavailable</h1><p>Try again later.</p></body></html>";
    assert_malformed(parse_feed(html));
    // Void elements make real HTML ill-formed XML; also an error, not a panic.
    assert_malformed(parse_feed(
        "<html><head><meta charset=utf-8></head><body>x</body></html>",
    ));
    // A <feed> outside the Atom namespace is not what arXiv sends.
    assert_malformed(parse_feed("<feed><entry/></feed>"));
    assert_malformed(parse_feed(""));
    assert_malformed(parse_feed("   \n"));
    assert_malformed(parse_feed("Rate exceeded."));
    assert_malformed(parse_feed(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"></feed><feed xmlns="http://www.w3.org/2005/Atom"/>"#,
    ));
    assert_malformed(parse_feed(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>&nbsp;</title></feed>"#,
    ));
    assert_malformed(parse_feed(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry></feed>"#,
    ));
}

#[test]
fn handles_cdata_entities_old_ids_and_doi() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v1</id>
    <published>1999-01-01T12:00:00Z</published>
    <title>Bounds &lt;x&gt; &amp; the
      <![CDATA[<Large> N & Limit]]> &#233;t&#xE9;</title>
    <summary>A &quot;quoted&quot; &apos;abstract&apos;.</summary>
    <author><name>  Juan   Maldacena </name><arxiv:affiliation>IAS</arxiv:affiliation></author>
    <arxiv:doi>10.1023/A:1026654312961</arxiv:doi>
    <arxiv:primary_category term="hep-th"></arxiv:primary_category>
  </entry>
  <entry>
    <id>https://arxiv.org/abs/math.GT/0309136v3</id>
    <title>Old style with subject class</title>
  </entry>
</feed>"#;
    let records = parse_feed(xml).unwrap();
    assert_eq!(records.len(), 2);
    let r = &records[0];
    assert_eq!(r.arxiv_id, "hep-th/9901001");
    assert_eq!(r.title, "Bounds <x> & the <Large> N & Limit été");
    assert_eq!(r.abstract_text, r#"A "quoted" 'abstract'."#);
    assert_eq!(r.authors, ["Juan Maldacena"]);
    assert_eq!(r.doi.as_deref(), Some("10.1023/A:1026654312961"));
    assert_eq!(r.primary_category.as_deref(), Some("hep-th"));
    assert_eq!(r.published.as_deref(), Some("1999-01-01"));
    assert_eq!(records[1].arxiv_id, "math.GT/0309136");
    assert_eq!(records[1].published, None);
    assert!(records[1].authors.is_empty());
}

#[test]
fn id_and_date_helpers() {
    assert_eq!(
        id_from_url("http://arxiv.org/abs/2304.08485v2").as_deref(),
        Some("2304.08485")
    );
    assert_eq!(
        id_from_url("http://arxiv.org/abs/2304.08485").as_deref(),
        Some("2304.08485")
    );
    assert_eq!(
        id_from_url("http://arxiv.org/abs/hep-th/9901001v12").as_deref(),
        Some("hep-th/9901001")
    );
    assert_eq!(id_from_url("http://arxiv.org/api/errors#x"), None);
    assert_eq!(id_from_url("http://arxiv.org/abs/"), None);
    assert_eq!(
        date_part("2023-04-17T17:59:25Z").as_deref(),
        Some("2023-04-17")
    );
    assert_eq!(date_part("2023-04"), None);
    assert_eq!(date_part("ééééééééé"), None);
    assert_eq!(date_part("yesterday!!"), None);
}

#[test]
fn never_panics_on_prefixes_and_garbage() {
    for end in (0..TWO_PAPERS.len()).filter(|&i| TWO_PAPERS.is_char_boundary(i)) {
        let _ = parse_feed(&TWO_PAPERS[..end]);
    }
    for junk in [
        "<",
        "<?",
        "<!",
        "<![CDATA[",
        "&",
        "&#;",
        "&#0;",
        "&#x110000;",
        "</feed>",
        "<a:b/>",
        "<feed xmlns:a=''/>",
    ] {
        let _ = parse_feed(junk);
    }
}

#[test]
fn query_words_strip_query_syntax() {
    assert_eq!(
        query_words("LLaVA: \"Large\" (Language) and Vision-Assistant?"),
        "LLaVA Large Language and Vision Assistant"
    );
    assert_eq!(query_words(":\"()"), "");
}

#[test]
fn backoff_doubles_and_honours_retry_after() {
    let i = Duration::from_millis(100);
    assert_eq!(backoff(i, 1, None), i);
    assert_eq!(backoff(i, 2, None), i * 2);
    assert_eq!(backoff(i, 3, None), i * 4);
    assert_eq!(
        backoff(i, 1, Some(Duration::from_secs(1))),
        Duration::from_secs(1)
    );
    assert_eq!(backoff(i, 3, Some(Duration::from_millis(10))), i * 4);
    assert_eq!(backoff(Duration::ZERO, 3, None), Duration::ZERO);
    let _ = backoff(Duration::MAX, 40, None);
}

// The client against a local HTTP server (retries, spacing, timeouts) is
// tested in tests/cli/arxiv_client.rs, with the suite's one fake arXiv.
