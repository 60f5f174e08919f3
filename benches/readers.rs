//! Reader throughput: how long it takes to turn a large export into papers
//! (no embedding). A 5,000-entry Zotero export and a 5,000-line JSONL dump,
//! made by repeating the test fixtures with fresh keys, ids, titles and
//! DOIs, and with their arXiv ids hidden, so nothing merges; and the same
//! BibTeX entries plus the shipped Markdown list read as one collection;
//! and a 3,000-entry Markdown list in every layout the reader knows (the
//! layout excerpts of `tests/fixtures/markdown-layouts.md`, repeated).
//!
//! Run: `cargo bench --bench readers`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mmsearch::collection::{Collection, Sources};
use mmsearch::read::markdown::parse_markdown;
use mmsearch::read::{Source, SourceFormat};

const ENTRIES: usize = 5_000;

/// `fixture` repeated until it has `ENTRIES` records, each made unique by
/// rewriting `marker` (a key or title prefix) with a counter.
fn repeat(fixture: &str, per_copy: usize, rewrite: impl Fn(&str, usize) -> String) -> String {
    (0..ENTRIES.div_ceil(per_copy))
        .map(|copy| rewrite(fixture, copy))
        .collect()
}

fn bibtex() -> String {
    let fixture = include_str!("../tests/fixtures/zotero.bib");
    repeat(fixture, 6, |text, copy| {
        text.replace("@misc{", &format!("@misc{{c{copy}_"))
            .replace("@inproceedings{", &format!("@inproceedings{{c{copy}_"))
            .replace("@article{", &format!("@article{{c{copy}_"))
            .replace("title = {", &format!("title = {{Copy {copy}: "))
            .replace("doi = {", &format!("doi = {{10.9999/{copy}."))
            .replace("arxiv.org/abs/", &format!("example.org/{copy}/"))
            .replace("arXiv", "preprint")
            .replace("eprint", "old_eprint")
    })
}

fn jsonl() -> String {
    let fixture = include_str!("../tests/fixtures/papers.jsonl");
    repeat(fixture, 5, |text, copy| {
        text.replace("\"title\": \"", &format!("\"title\": \"Copy {copy}: "))
            .replace("\"arxiv_id\"", "\"old_arxiv_id\"")
            .replace("\"doi\": \"", &format!("\"doi\": \"10.9999/{copy}."))
            .replace("\"id\": \"", &format!("\"id\": \"c{copy}-"))
    })
}

/// The layout excerpts repeated until the list has 3,000 entries; returns
/// the text and its entry count.
fn markdown_list() -> (String, usize) {
    let fixture = include_str!("../tests/fixtures/markdown-layouts.md");
    let per_copy = parse_markdown(fixture).0.len();
    let text = fixture.repeat(3_000usize.div_ceil(per_copy));
    let entries = parse_markdown(&text).0.len();
    (text, entries)
}

fn collection(lists: Vec<(SourceFormat, String)>) -> Sources {
    Sources {
        lists: lists
            .into_iter()
            .map(|(format, text)| Source {
                name: "bench".into(),
                format,
                text,
                lossy: false,
            })
            .collect(),
        enrichments: Vec::new(),
        paths: None,
    }
}

fn bench_readers(c: &mut Criterion) {
    let bib = collection(vec![(SourceFormat::Bibtex, bibtex())]);
    let json = collection(vec![(SourceFormat::Jsonl, jsonl())]);
    let mixed = collection(vec![
        (
            SourceFormat::Markdown,
            mmsearch::collection::SHIPPED_LIST.to_string(),
        ),
        (SourceFormat::Bibtex, bibtex()),
    ]);
    let bib_papers = Collection::from_sources(&bib).expect("reads").papers.len();
    let json_papers = Collection::from_sources(&json).expect("reads").papers.len();
    let mixed_papers = Collection::from_sources(&mixed)
        .expect("reads")
        .papers
        .len();
    let (md_text, md_entries) = markdown_list();
    let md = collection(vec![(SourceFormat::Markdown, md_text.clone())]);
    eprintln!(
        "readers: {bib_papers} BibTeX papers, {json_papers} JSONL papers, {md_entries} Markdown entries"
    );

    let mut group = c.benchmark_group("readers");
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(20);
    group.throughput(Throughput::Elements(bib_papers as u64));
    group.bench_function("bibtex_5000_entries", |b| {
        b.iter(|| Collection::from_sources(black_box(&bib)))
    });
    group.throughput(Throughput::Elements(json_papers as u64));
    group.bench_function("jsonl_5000_lines", |b| {
        b.iter(|| Collection::from_sources(black_box(&json)))
    });
    group.throughput(Throughput::Elements(md_entries as u64));
    group.bench_function("markdown_3000_entries_every_layout", |b| {
        b.iter(|| parse_markdown(black_box(&md_text)).0.len())
    });
    group.bench_function("markdown_3000_entries_merged", |b| {
        b.iter(|| Collection::from_sources(black_box(&md)))
    });
    group.throughput(Throughput::Elements(mixed_papers as u64));
    group.bench_function("markdown_plus_bibtex_merged", |b| {
        b.iter(|| Collection::from_sources(black_box(&mixed)))
    });
    group.finish();
}

criterion_group!(benches, bench_readers);
criterion_main!(benches);
