//! Mutation fuzzing on stable Rust (cargo-fuzz needs a nightly toolchain,
//! which this project's machines cannot fetch). Two targets:
//! - the list readers: mutated awesome-lists, BibTeX, JSONL and enrichment
//!   files, and arXiv API answers (Atom);
//! - the query path: mutated queries against a real keyword index of the
//!   shipped list (search, exact lookup, snippets, More-Like-This), the paper
//!   resolver and the filter parser.
//!
//! Run each for ten minutes (outside CI):
//!   MMSEARCH_FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture
//! A crashing input is written to tests/fuzz-regressions/; the non-ignored
//! test replays every file there, so a found crash stays fixed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use mmsearch::collection::{self as corpus, Collection, Sources};
use mmsearch::index::keyword::{self, KeywordIndex};
use mmsearch::read::{Source, SourceFormat};

/// xorshift64*: a seeded generator, so a run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces that matter to the parsers and query analysis.
const TOKENS: &[&str] = &[
    "**",
    "*",
    "(*",
    "*)",
    "[[",
    "]]",
    "](",
    ")",
    "<br>",
    "</b>",
    "###",
    "\n",
    "_",
    "arXiv2023_",
    "https://arxiv.org/abs/",
    "2403.15388",
    "v2",
    "\"",
    "{",
    "}",
    ":",
    "title:",
    "AND",
    "-",
    "~2",
    "^3",
    "\\",
    "é",
    "𝔘",
    "@string{",
    "@article{",
    " # ",
    "{\\\"o}",
    "\\'{e}",
    " and ",
    "&amp;",
    "<entry>",
    "</entry>",
    "<![CDATA[",
    "\u{0}",
    "\u{7}",
    "\u{202e}",
    "..",
    "2023..2024",
    "  ",
    "\t",
    "ﬁ",
    "İ",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            2 if !data.is_empty() => {
                let end = (at + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + rng.below(256)).min(data.len());
                let piece: Vec<u8> = data[start..end].to_vec();
                data.splice(at..at, piece);
            }
            4 => data.insert(at, (rng.next() & 0xff) as u8),
            _ => data.truncate(at),
        }
    }
    data
}

fn list_reader(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let (list, abstracts) = text.split_at(
        text.char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    // Every reader sees the input: the first half as a Markdown list and as
    // BibTeX, the second as a JSONL list and as enrichment.
    let source = |name: &str, format: SourceFormat, text: &str| Source {
        name: name.into(),
        format,
        text: text.to_string(),
        lossy: false,
    };
    let sources = Sources {
        lists: vec![
            source("fuzz.md", SourceFormat::Markdown, list),
            source("fuzz.bib", SourceFormat::Bibtex, list),
            source("fuzz.jsonl", SourceFormat::Jsonl, abstracts),
        ],
        enrichments: vec![source(
            "fuzz-abstracts.jsonl",
            SourceFormat::Jsonl,
            abstracts,
        )],
        paths: None,
    };
    let collection = Collection::from_sources(&sources).expect("lists never fail to parse");
    // An arXiv answer is untrusted input too: an error, never a panic.
    let _ = mmsearch::enrich::arxiv::parse_feed(&text);
    for paper in &collection.papers {
        let _ = paper.lookup_keys();
        let _ = paper.main_link();
        let _ = mmsearch::cli::print::bibtex(paper);
    }
    let _ = mmsearch::read::beir::parse_beir_corpus(&text, "fuzz");
}

struct QueryTarget {
    index: KeywordIndex,
    papers: Vec<mmsearch::paper::Paper>,
    _dir: tempfile::TempDir,
}

impl QueryTarget {
    fn new() -> Self {
        let papers = Collection::from_sources(&Sources::shipped())
            .expect("shipped list")
            .papers;
        let dir = tempfile::tempdir().expect("temp dir");
        keyword::build(dir.path(), &papers).expect("keyword index");
        let index = KeywordIndex::open(dir.path()).expect("open");
        QueryTarget {
            index,
            papers,
            _dir: dir,
        }
    }

    fn run(&self, input: &[u8]) {
        let query = String::from_utf8_lossy(input);
        self.index.search(&query, 100).expect("search");
        self.index.exact(&query).expect("exact lookup");
        let text = self.papers[input.len() % self.papers.len()].embedding_text();
        let _ = self
            .index
            .snippet(
                &query,
                &mmsearch::search::results::readable_abstract(&text),
                160,
            )
            .expect("snippet");
        self.index
            .more_like_this(&[&query], 20)
            .expect("more like this");
        let _ = mmsearch::search::resolve::resolve(&self.papers, &query);
        let _ = mmsearch::search::filter::parse_years(&query);
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let list = corpus::SHIPPED_LIST;
    let abstracts = corpus::SHIPPED_ABSTRACTS;
    let mut out: Vec<Vec<u8>> = list
        .split("\n\n")
        .take(40)
        .map(|s| s.as_bytes().to_vec())
        .collect();
    for fixture in [
        include_str!("fixtures/zotero.bib"),
        include_str!("fixtures/scholar.bib"),
        include_str!("fixtures/awkward.bib"),
        include_str!("fixtures/papers.jsonl"),
        include_str!("fixtures/arxiv/two_papers.xml"),
        include_str!("fixtures/arxiv/title_search.xml"),
        // Every Markdown layout the reader knows (tables, bullets, numbered
        // items with <details>, year headings, citations, HTML records).
        include_str!("fixtures/markdown-layouts.md"),
    ] {
        // The first half of an input is read as Markdown and BibTeX, the
        // second as JSONL: put the fixture on both sides.
        out.push(format!("{fixture}{fixture}").into_bytes());
    }
    out.push(
        format!(
            "{}{}",
            &list[..list.len().min(4000)],
            &abstracts[..abstracts.len().min(4000)]
        )
        .into_bytes(),
    );
    for q in [
        "efficient video tokens",
        "LLaVA-PruMerge",
        "\"unbalanced (title: AND -*",
        "2403.15388",
        "segmnt anything",
    ] {
        out.push(q.as_bytes().to_vec());
    }
    out
}

/// Mutates seeds for `seconds`, running `target` on each; returns executions.
fn fuzz(name: &str, seconds: u64, target: impl Fn(&[u8])) -> u64 {
    let seeds = seeds();
    let mut rng = Rng(0x5EED_0000 ^ seconds ^ name.len() as u64);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut executions = 0u64;
    while Instant::now() < deadline {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("tests/fuzz-regressions/{name}-{executions}.bin"));
            std::fs::write(&path, &input).expect("save crash");
            panic!(
                "{name}: crash after {executions} executions, input saved to {}",
                path.display()
            );
        }
        executions += 1;
    }
    eprintln!("{name}: {executions} executions in {seconds} s, no crash");
    executions
}

fn seconds() -> u64 {
    std::env::var("MMSEARCH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600)
}

#[test]
#[ignore = "long-running fuzzing; see the module comment"]
fn fuzz_list_reader() {
    assert!(fuzz("list", seconds(), list_reader) > 0);
}

#[test]
#[ignore = "long-running fuzzing; see the module comment"]
fn fuzz_query_path() {
    let target = QueryTarget::new();
    assert!(fuzz("query", seconds(), |input| target.run(input)) > 0);
}

#[test]
fn replay_saved_fuzz_crashes_and_a_short_run() {
    let target = QueryTarget::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    for entry in std::fs::read_dir(&dir).expect("regressions dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".bin") {
            continue;
        }
        let input = std::fs::read(entry.path()).expect("read");
        if name.starts_with("list") {
            list_reader(&input);
        } else {
            target.run(&input);
        }
    }
    // A few seconds of each target keep the harness itself working.
    assert!(fuzz("list-smoke", 2, list_reader) > 0);
    assert!(fuzz("query-smoke", 2, |input| target.run(input)) > 0);
}
