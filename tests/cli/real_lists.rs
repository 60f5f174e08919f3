//! The Markdown reader over real paper lists that nobody on the project
//! wrote (`../shared/data/lists`, one file per layout, with independently
//! counted entries and arXiv ids), plus a fixture of verbatim excerpts from
//! the permissively licensed ones that always runs. What a user would
//! notice: papers missing, a wrong count, junk where a title should be,
//! wrong authors, venue or year.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::LazyLock;

use mmsearch::collection::{Collection, Sources};
use mmsearch::paper::Paper;
use mmsearch::read::markdown::{MdEntry, parse_markdown};
use mmsearch::read::{Source, SourceFormat};
use regex::Regex;

fn lists_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/lists");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn collection(name: &str, text: &str) -> Collection {
    let sources = Sources {
        lists: vec![Source::text(name, SourceFormat::Markdown, text)],
        enrichments: Vec::new(),
        paths: None,
    };
    Collection::from_sources(&sources).expect("a Markdown list always reads")
}

/// Distinct arXiv ids in arxiv.org abs/pdf/html URLs, counted from the raw
/// text (not by the reader), versions dropped.
fn linked_arxiv_ids(text: &str) -> HashSet<String> {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"arxiv\.org/(?:abs|pdf|html)/([0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]*(?:\.[A-Za-z]{2})?/[0-9]{7})")
            .expect("valid regex")
    });
    URL.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// A title that is not one: a link label, a URL, a date, a badge, emoji,
/// leftover `**`, list punctuation at the end.
fn junk(title: &str) -> bool {
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\d\s\-/.:,\[\]()]+$").expect("valid regex"));
    let lower = title.trim().to_lowercase();
    let label = lower.trim_matches(|c: char| !c.is_alphanumeric());
    let labels = [
        "paper",
        "pdf",
        "code",
        "project",
        "project page",
        "website",
        "link",
        "arxiv",
        "github",
        "demo",
        "video",
        "slides",
        "blog",
        "bibtex",
        "homepage",
        "data",
        "dataset",
        "model",
    ];
    labels.contains(&label)
        || lower.starts_with("http")
        || lower.starts_with("www.")
        || DATE.is_match(&lower)
        || lower.contains("shields.io")
        || lower.contains("badge")
        || title.contains("**")
        || title
            .chars()
            .any(|c| matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF))
        || title.ends_with(['.', ',', ';', ':'])
        || title.trim().is_empty()
}

struct Expect {
    file: &'static str,
    /// Entries the data README counts with the file's own layout pattern.
    entries: usize,
}

const LISTS: &[Expect] = &[
    Expect {
        file: "table-linked-titles.md",
        entries: 91,
    },
    Expect {
        file: "table-bold-titles.md",
        entries: 421,
    },
    Expect {
        file: "bullets-linked-titles.md",
        entries: 55,
    },
    Expect {
        file: "bullets-bold-names-paper-links.md",
        entries: 181,
    },
    Expect {
        file: "numbered-details-abstracts.md",
        entries: 126,
    },
    Expect {
        file: "blocks-title-authors-venue.md",
        entries: 629,
    },
    Expect {
        file: "year-headings-bold-titles.md",
        entries: 378,
    },
    Expect {
        file: "mixed-papers-libraries-datasets.md",
        entries: 192,
    },
    Expect {
        file: "author-first-citations-acl.md",
        entries: 945,
    },
    Expect {
        file: "no-links-accepted-papers.md",
        entries: 225,
    },
];

struct Read {
    text: String,
    entries: Vec<MdEntry>,
    collection: Collection,
}

fn read(dir: &std::path::Path, file: &str) -> Read {
    let text = std::fs::read_to_string(dir.join(file)).expect("list reads");
    let (entries, _skipped) = parse_markdown(&text);
    let collection = collection(file, &text);
    Read {
        text,
        entries,
        collection,
    }
}

fn find<'a>(c: &'a Collection, title: &str) -> &'a Paper {
    c.papers
        .iter()
        .find(|p| p.title == title)
        .unwrap_or_else(|| panic!("no paper titled {title:?}"))
}

#[test]
fn every_list_gives_its_papers_with_clean_titles() {
    let Some(dir) = lists_dir() else { return };
    let mut report = Vec::new();
    for expect in LISTS {
        let r = read(&dir, expect.file);
        let ids = linked_arxiv_ids(&r.text);
        let found: HashSet<&str> = r
            .collection
            .papers
            .iter()
            .filter_map(|p| p.arxiv_id.as_deref())
            .collect();
        let recalled = ids.iter().filter(|id| found.contains(id.as_str())).count();
        let junk_titles: Vec<&str> = r
            .collection
            .papers
            .iter()
            .map(|p| p.title.as_str())
            .filter(|t| junk(t))
            .collect();
        report.push(format!(
            "{}: arXiv {recalled}/{}, entries {} (README {}), papers {}, junk {}",
            expect.file,
            ids.len(),
            r.entries.len(),
            expect.entries,
            r.collection.papers.len(),
            junk_titles.len()
        ));
        assert!(
            recalled * 10 >= ids.len() * 9,
            "{}: only {recalled} of {} linked arXiv ids came back as papers",
            expect.file,
            ids.len()
        );
        assert!(
            junk_titles.is_empty(),
            "{}: junk titles {junk_titles:?}",
            expect.file
        );
        // The README counts one layout pattern; the awesome-nlp list mixes
        // papers with tools, so only its arXiv ids are the measure there.
        if expect.file != "mixed-papers-libraries-datasets.md" {
            let (low, high) = (expect.entries * 85 / 100, expect.entries * 115 / 100);
            assert!(
                (low..=high).contains(&r.entries.len()),
                "{}: {} entries, README counts {}",
                expect.file,
                r.entries.len(),
                expect.entries
            );
        }
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn tables_give_title_venue_year_and_links() {
    let Some(dir) = lists_dir() else { return };
    let linked = read(&dir, "table-linked-titles.md");
    let p = find(
        &linked.collection,
        "Situational Awareness Matters in 3D Vision Language Reasoning",
    );
    assert_eq!(p.arxiv_id.as_deref(), Some("2406.07544"));
    assert_eq!((p.venue.as_deref(), p.year), (Some("CVPR"), Some(2024)));
    // `]( https://…)`: a link with a leading space still counts.
    let p = find(
        &linked.collection,
        "More Text, Less Point: Towards 3D Data-Efficient Point-Language Understanding",
    );
    assert_eq!(p.arxiv_id.as_deref(), Some("2408.15966"));
    let bold = read(&dir, "table-bold-titles.md");
    let p = find(
        &bold.collection,
        "Reasoning as an Attack Surface: Adaptive Evolutionary CoT Jailbreaks for LLMs",
    );
    assert_eq!(p.arxiv_id.as_deref(), Some("2605.24497"));
    assert_eq!((p.venue.as_deref(), p.year), (Some("arXiv"), Some(2026)));
    assert!(p.links.iter().any(|l| l.label == "Paper"), "{:?}", p.links);
}

#[test]
fn bullets_give_authors_venue_and_sections() {
    let Some(dir) = lists_dir() else { return };
    let nerf = read(&dir, "bullets-linked-titles.md");
    let p = find(
        &nerf.collection,
        "NeRF: Representing Scenes as Neural Radiance Fields for View Synthesis",
    );
    assert_eq!(p.authors, vec!["Mildenhall"]);
    assert_eq!((p.venue.as_deref(), p.year), (Some("ECCV"), Some(2020)));
    assert_eq!(p.sections, vec!["Papers"]);
    // Talks and implementations are not papers.
    assert!(
        !nerf
            .collection
            .papers
            .iter()
            .any(|p| p.links.iter().any(|l| l.url.contains("youtube"))),
        "a talk became a paper"
    );
    let robots = read(&dir, "bullets-bold-names-paper-links.md");
    let p = find(&robots.collection, "Neural Scaling Laws for Embodied AI");
    assert_eq!(p.arxiv_id.as_deref(), Some("2405.14005"));
    assert_eq!((p.venue.as_deref(), p.year), (Some("arXiv"), Some(2024)));
    // The broken link `[[https://arxiv.org/abs/1810.08272)]` still gives the id.
    let p = find(
        &robots.collection,
        "BabyAI: A Platform to Study the Sample Efficiency of Grounded Language Learning",
    );
    assert_eq!(p.arxiv_id.as_deref(), Some("1810.08272"));
    let trees = read(&dir, "year-headings-bold-titles.md");
    let p = find(
        &trees.collection,
        "Using MaxSAT for Efficient Explanations of Tree Ensembles",
    );
    assert_eq!((p.venue.as_deref(), p.year), (Some("AAAI"), Some(2022)));
    assert_eq!(p.authors[0], "Alexey Ignatiev");
    assert_eq!(p.sections, vec!["2022"]);
}

#[test]
fn numbered_items_blocks_citations_and_html_records() {
    let Some(dir) = lists_dir() else { return };
    let numbered = read(&dir, "numbered-details-abstracts.md");
    let p = find(
        &numbered.collection,
        "Membership Inference Attacks against Machine Learning Models",
    );
    assert_eq!((p.venue.as_deref(), p.year), (Some("IEEE S&P"), Some(2017)));
    assert_eq!(p.authors[0], "Reza Shokri");
    assert!(
        p.abstract_text
            .as_deref()
            .is_some_and(|a| a.starts_with("We quantitatively investigate")),
        "{:?}",
        p.abstract_text
    );
    let blocks = read(&dir, "blocks-title-authors-venue.md");
    let p = find(
        &blocks.collection,
        "Machine Learning for Protein Engineering",
    );
    assert_eq!(p.authors.len(), 6, "{:?}", p.authors);
    assert_eq!(p.authors[5], "Zachary Wu");
    assert_eq!(
        (p.venue.as_deref(), p.year),
        (Some("Machine Learning in Molecular Sciences"), Some(2023))
    );
    assert_eq!(p.doi.as_deref(), Some("10.1007/978-3-031-37196-7_9"));
    let acl = read(&dir, "author-first-citations-acl.md");
    let p = find(
        &acl.collection,
        "The Mathematics of Statistical Machine Translation: Parameter Estimation",
    );
    assert_eq!(p.authors[0], "Peter E. Brown");
    assert_eq!(p.authors.len(), 4);
    assert_eq!(
        (p.venue.as_deref(), p.year),
        (Some("Computational Linguistics"), Some(1993))
    );
    let eacl = read(&dir, "no-links-accepted-papers.md");
    let p = find(
        &eacl.collection,
        "Enhancing Ethical Explanations of Large Language Models through Iterative Symbolic Refinement",
    );
    assert_eq!(
        p.authors,
        vec![
            "Xin Quan",
            "Marco Valentino",
            "Louise A. Dennis",
            "Andre Freitas"
        ]
    );
    assert_eq!(p.sections, vec!["Long Papers"]);
    let short = eacl
        .collection
        .papers
        .iter()
        .filter(|p| p.sections.iter().any(|s| s == "Short Papers"))
        .count();
    assert!(short > 0, "no paper under # Short Papers");
}

#[test]
fn excerpts_of_every_layout_read_without_the_shared_data() {
    let text = include_str!("../fixtures/markdown-layouts.md");
    let c = collection("markdown-layouts.md", text);
    let titles: Vec<&str> = c.papers.iter().map(|p| p.title.as_str()).collect();
    for title in [
        "Situational Awareness Matters in 3D Vision Language Reasoning",
        "BadThink: Triggered Overthinking Attacks on Chain-of-Thought Reasoning in Large Language Models",
        "DeRF: Decomposed Radiance Fields",
        "Safety in Embodied AI: A Survey of Risks, Attacks, and Defenses",
        "Membership Inference Attacks against Machine Learning Models",
        "Using MaxSAT for Efficient Explanations of Tree Ensembles",
        "ELMo",
        "BPE",
        "Unigram LM",
        "Star-Transformer",
        "Multi-Relational Hyperbolic Word Embeddings from Natural Language Definitions",
    ] {
        assert!(
            titles.contains(&title),
            "{title:?} missing from {titles:#?}"
        );
    }
    // Tools, the table of contents and the contributing section are not papers.
    for not_a_paper in ["spaCy", "textacy", "Tables", "How to add a paper"] {
        assert!(
            !titles.contains(&not_a_paper),
            "{not_a_paper:?} read as a paper"
        );
    }
    let p = c
        .papers
        .iter()
        .find(|p| p.title == "Star-Transformer")
        .expect("citation read");
    assert_eq!(p.arxiv_id.as_deref(), Some("1902.09113"));
    assert_eq!(p.year, Some(2019));
    assert_eq!(p.authors.len(), 6);
    assert!(titles.iter().all(|t| !junk(t)), "{titles:#?}");
}
