//! The awesome-list reader over the shipped list: every quirk listed in the
//! data README must come out right, since search quality starts here.

use mmsearch::collection::{Collection, Sources};
use mmsearch::read::markdown::parse_awesome_list;

fn shipped() -> Collection {
    Collection::from_sources(&Sources::shipped()).expect("shipped list reads")
}

fn paper<'a>(c: &'a Collection, id: &str) -> &'a mmsearch::paper::Paper {
    c.get(id).unwrap_or_else(|| panic!("paper {id} missing"))
}

#[test]
fn all_80_entries_become_78_papers() {
    let entries = parse_awesome_list(mmsearch::collection::SHIPPED_LIST);
    assert_eq!(entries.len(), 80);
    let c = shipped();
    assert_eq!(
        c.papers.len(),
        78,
        "two pairs of entries are the same paper"
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let mut ids: Vec<&str> = c.papers.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 78, "ids are unique");
}

#[test]
fn every_paper_has_title_authors_links_and_a_section() {
    let c = shipped();
    for p in &c.papers {
        assert!(
            !p.title.is_empty() && !p.title.ends_with('.'),
            "{}: {:?}",
            p.id,
            p.title
        );
        assert!(!p.authors.is_empty(), "{} has no authors", p.id);
        assert!(!p.links.is_empty(), "{} has no links", p.id);
        assert!(!p.sections.is_empty(), "{} has no section", p.id);
    }
    let mut sections: Vec<&str> = c
        .papers
        .iter()
        .flat_map(|p| p.sections.iter().map(String::as_str))
        .collect();
    sections.sort();
    sections.dedup();
    assert_eq!(sections.len(), 8, "{sections:?}");
    assert!(sections.contains(&"Large Video Multimodal Model"));
}

#[test]
fn same_arxiv_id_merges_keeping_both_tags_and_sections() {
    let c = shipped();
    let otter = paper(&c, "arxiv2023-otterhd");
    assert_eq!(
        otter.tags,
        vec!["arXiv2023_OtterHD", "arXiv2023_MagnifierBench"]
    );
    assert_eq!(
        otter.sections,
        vec!["Large Image Multimodal Model", "Related Benchmark"]
    );
    assert!(
        otter.links.iter().any(|l| l.url.contains("MagnifierBench")),
        "links of both entries kept"
    );
    let mvbench = paper(&c, "arxiv2023-videochat2");
    assert_eq!(
        mvbench.tags,
        vec!["arXiv2023_VideoChat2", "arXiv2023_MVBench"]
    );
    assert_eq!(mvbench.arxiv_id.as_deref(), Some("2311.17005"));
    assert!(mvbench.aliases().contains(&"arxiv2023-mvbench".to_string()));
    assert!(
        c.get("arxiv2023-mvbench").is_none(),
        "the duplicate is not a paper of its own"
    );
}

#[test]
fn arxiv_id_comes_from_any_arxiv_link_whatever_its_label() {
    let c = shipped();
    let llava = paper(&c, "arxiv2023-llava1-5");
    assert_eq!(llava.arxiv_id.as_deref(), Some("2310.03744"));
    assert_eq!(llava.links[0].label, "blog");
    assert_eq!(
        paper(&c, "cvpr2024-capsfusion").arxiv_id.as_deref(),
        Some("2310.20550")
    );
}

#[test]
fn entries_without_arxiv_links() {
    let c = shipped();
    let internlm = paper(&c, "arxiv2023-internlm");
    assert_eq!(internlm.arxiv_id, None);
    assert!(
        internlm.abstract_text.is_some(),
        "abstract joined by tag when there is no arXiv id"
    );
    let fuyu = paper(&c, "blog2023-fuyu-8b");
    assert_eq!(fuyu.arxiv_id, None);
    assert_eq!(fuyu.abstract_text, None);
    assert_eq!(fuyu.venue.as_deref(), Some("blog"));
    assert_eq!(fuyu.main_link(), Some("https://www.adept.ai/blog/fuyu-8b"));
}

#[test]
fn tags_with_spaces_and_tags_differing_only_by_year() {
    let c = shipped();
    let llama2 = paper(&c, "arxiv2023-llama-2");
    assert_eq!(llama2.tags, vec!["arXiv2023_Llama 2"]);
    assert_eq!(llama2.year, Some(2023));
    let old = paper(&c, "arxiv2020-survey");
    let new = paper(&c, "arxiv2023-survey");
    assert_eq!(old.title, "Efficient Transformers: A Survey");
    assert_eq!(
        new.title,
        "A Survey of Chain of Thought Reasoning: Advances, Frontiers and Future"
    );
}

#[test]
fn question_mark_titles_lose_only_the_list_period() {
    let c = shipped();
    assert_eq!(
        paper(&c, "arxiv2024-cobsat").title,
        "Can MLLMs Perform Text-to-Image In-Context Learning?"
    );
}

#[test]
fn abstracts_are_joined_for_77_of_78_papers() {
    let c = shipped();
    let with = c
        .papers
        .iter()
        .filter(|p| p.abstract_text.is_some())
        .count();
    assert_eq!(with, 77);
    let llama = paper(&c, "arxiv2023-llama");
    assert!(
        llama
            .abstract_text
            .as_deref()
            .unwrap_or("")
            .starts_with("We introduce LLaMA")
    );
    assert_eq!(llama.venue.as_deref(), Some("arXiv"));
    assert_eq!(llama.authors[0], "Hugo Touvron");
}
