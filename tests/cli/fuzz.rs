//! Mutation fuzzing on stable Rust (cargo-fuzz needs a nightly toolchain,
//! which this project's machines cannot fetch). Two targets:
//! - the list readers: mutated awesome-lists, BibTeX, JSONL and enrichment
//!   files, and arXiv API answers (Atom);
//! - the query path: mutated queries against a real keyword index of the
//!   shipped list (search, exact lookup, snippets, More-Like-This), the paper
//!   resolver and the filter parser.
//!
//! Each target checks what a user relies on, not only that nothing panics:
//! lists always read, every paper has a unique id, a title and a lookup
//! key, warnings are one line, arXiv records have an id, hits and snippet
//! highlights point inside what they index, hits come best first.
//!
//! Run each for ten minutes (outside CI):
//!   MMSEARCH_FUZZ_SECONDS=600 cargo test --release --test cli fuzz:: -- --ignored --nocapture
//! A failing input is written to tests/fuzz-regressions/ (`list-*.bin` or
//! `query-*.bin`); the non-ignored test replays every file there, so a found
//! failure stays fixed. The committed ones are inputs that once mattered.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use mmsearch::collection::{self, Collection, Sources};
use mmsearch::index::keyword::{self, KeywordIndex};
use mmsearch::paper::Paper;
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

/// What a run of a target saw, so a test can tell that the inputs reached
/// the code they are meant for (a parsed paper, a rejected feed, a hit).
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    inputs: u64,
    /// Inputs from which at least one paper was read.
    with_papers: u64,
    papers: u64,
    warnings: u64,
    feeds_read: u64,
    feeds_rejected: u64,
    /// Queries that found something / had a snippet.
    with_hits: u64,
    with_snippet: u64,
}

impl Seen {
    fn add(&mut self, other: Seen) {
        self.inputs += other.inputs;
        self.with_papers += other.with_papers;
        self.papers += other.papers;
        self.warnings += other.warnings;
        self.feeds_read += other.feeds_read;
        self.feeds_rejected += other.feeds_rejected;
        self.with_hits += other.with_hits;
        self.with_snippet += other.with_snippet;
    }
}

fn list_reader(input: &[u8]) -> Seen {
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
    let mut seen = Seen {
        inputs: 1,
        papers: collection.papers.len() as u64,
        with_papers: u64::from(!collection.papers.is_empty()),
        warnings: collection.warnings.len() as u64,
        ..Seen::default()
    };
    for warning in &collection.warnings {
        assert!(
            !warning.contains('\n'),
            "a warning is one line: {warning:?}"
        );
    }
    let mut ids = std::collections::HashSet::new();
    for paper in &collection.papers {
        assert!(
            !paper.id.trim().is_empty(),
            "a paper without an id: {paper:?}"
        );
        assert!(
            ids.insert(paper.id.as_str()),
            "id {:?} given twice",
            paper.id
        );
        assert!(
            !paper.title.trim().is_empty(),
            "a paper without a title: {paper:?}"
        );
        assert!(
            !paper.lookup_keys().is_empty(),
            "{} cannot be looked up",
            paper.id
        );
        if let Some(id) = &paper.arxiv_id {
            assert_eq!(
                mmsearch::paper::arxiv_id::parse(id).as_deref(),
                Some(id.as_str()),
                "an arXiv id that is not one: {paper:?}"
            );
        }
        let _ = paper.main_link();
        let bib = mmsearch::write::bibtex::entry(paper);
        assert!(bib.starts_with('@'), "{bib}");
    }
    // An arXiv answer is untrusted input too: records with ids, or a
    // one-line error, never a panic.
    match mmsearch::enrich::arxiv::parse_feed(&text) {
        Ok(records) => {
            seen.feeds_read += 1;
            for record in records {
                assert!(!record.arxiv_id.is_empty(), "{record:?}");
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                !message.contains('\n'),
                "an arXiv error is one line: {message:?}"
            );
            seen.feeds_rejected += 1
        }
    }
    if let Ok(docs) = mmsearch::read::beir::parse_beir_corpus(&text, "fuzz") {
        for doc in docs {
            assert!(!doc.id.is_empty(), "{doc:?}");
        }
    }
    seen
}

struct QueryTarget {
    index: KeywordIndex,
    papers: Vec<Paper>,
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

    fn run(&self, input: &[u8]) -> Seen {
        let n = self.papers.len();
        let query = String::from_utf8_lossy(input);
        let hits = self.index.search(&query, 100).expect("search");
        assert!(hits.len() <= 100);
        assert!(hits.iter().all(|&(doc, _)| doc < n), "{hits:?}");
        assert!(
            hits.windows(2).all(|w| w[0].1 >= w[1].1),
            "best first: {hits:?}"
        );
        let exact = self.index.exact(&query).expect("exact lookup");
        assert!(exact.iter().all(|&doc| doc < n), "{exact:?}");
        let text = mmsearch::search::results::readable_abstract(
            &self.papers[input.len() % n].embedding_text(),
        );
        let snippet = self.index.snippet(&query, &text, 160).expect("snippet");
        if let Some(snippet) = &snippet {
            let fragment = snippet.fragment();
            for range in snippet.highlighted() {
                assert!(
                    range.start < range.end && fragment.get(range.clone()).is_some(),
                    "highlight {range:?} outside {fragment:?}"
                );
            }
        }
        let similar = self
            .index
            .more_like_this(&[&query], 20)
            .expect("more like this");
        assert!(similar.len() <= 20 && similar.iter().all(|&(doc, _)| doc < n));
        if let Ok(doc) = mmsearch::search::resolve::resolve(&self.papers, &query) {
            assert!(doc < n);
        }
        if let Ok((from, to)) = mmsearch::search::filter::parse_years(&query) {
            assert!(from <= to, "{query:?} gave {from}..{to}");
        }
        Seen {
            inputs: 1,
            with_hits: u64::from(!hits.is_empty()),
            with_snippet: u64::from(snippet.is_some()),
            ..Seen::default()
        }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let list = collection::SHIPPED_LIST;
    let abstracts = collection::SHIPPED_ABSTRACTS;
    let mut out: Vec<Vec<u8>> = list
        .split("\n\n")
        .take(40)
        .map(|s| s.as_bytes().to_vec())
        .collect();
    for fixture in [
        include_str!("../fixtures/zotero.bib"),
        include_str!("../fixtures/scholar.bib"),
        include_str!("../fixtures/awkward.bib"),
        include_str!("../fixtures/papers.jsonl"),
        include_str!("../fixtures/arxiv/two_papers.xml"),
        include_str!("../fixtures/arxiv/title_search.xml"),
        // Every Markdown layout the reader knows (tables, bullets, numbered
        // items with <details>, year headings, citations, HTML records).
        include_str!("../fixtures/markdown-layouts.md"),
    ] {
        // The first half of an input is read as Markdown and BibTeX, the
        // second as JSONL: put the fixture on both sides.
        out.push(format!("{fixture}{fixture}").into_bytes());
    }
    // Whole arXiv answers too, so that mutated ones are read as well as
    // rejected (a doubled feed never is).
    for feed in [
        include_str!("../fixtures/arxiv/two_papers.xml"),
        include_str!("../fixtures/arxiv/title_search.xml"),
        include_str!("../fixtures/arxiv/error_entry.xml"),
    ] {
        out.push(feed.as_bytes().to_vec());
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

/// How long a fuzzing run goes on.
#[derive(Clone, Copy)]
enum Budget {
    /// A fixed number of inputs: the same inputs on every machine.
    Inputs(u64),
    Seconds(u64),
}

/// Mutates seeds within `budget`, running `target` on each; a failing input
/// is saved as a regression and fails the test.
fn fuzz(name: &str, budget: Budget, target: impl Fn(&[u8]) -> Seen) -> Seen {
    let started = Instant::now();
    let seeds = seeds();
    let (deadline, limit, salt) = match budget {
        Budget::Inputs(n) => (None, n, n),
        Budget::Seconds(s) => (Some(Instant::now() + Duration::from_secs(s)), u64::MAX, s),
    };
    let mut rng = Rng(0x5EED_0000 ^ salt ^ name.len() as u64);
    let mut seen = Seen::default();
    while seen.inputs < limit && deadline.is_none_or(|d| Instant::now() < d) {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        match catch_unwind(AssertUnwindSafe(|| target(&input))) {
            Ok(one) => seen.add(one),
            Err(_) => {
                let path = regressions_dir().join(format!("{name}-{}.bin", seen.inputs));
                std::fs::write(&path, &input).expect("save failing input");
                panic!(
                    "{name}: failed after {} inputs, input saved to {}",
                    seen.inputs,
                    path.display()
                );
            }
        }
    }
    eprintln!("{name}: {seen:?} in {:?}", started.elapsed());
    seen
}

fn regressions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

fn seconds() -> u64 {
    std::env::var("MMSEARCH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600)
}

/// The mutated inputs reach the readers' interesting paths: some still
/// parse into papers (with warnings for what was broken), some arXiv
/// answers parse and some are rejected.
fn assert_lists_exercised(seen: &Seen) {
    assert!(seen.with_papers > 0, "{seen:?}");
    assert!(seen.warnings > 0, "{seen:?}");
    assert!(seen.feeds_read > 0 && seen.feeds_rejected > 0, "{seen:?}");
}

/// Some mutated queries still find papers and get a snippet.
fn assert_queries_exercised(seen: &Seen) {
    assert!(seen.with_hits > 0 && seen.with_snippet > 0, "{seen:?}");
}

#[test]
#[ignore = "long-running fuzzing; see the module comment"]
fn fuzz_list_reader() {
    let seen = fuzz("list", Budget::Seconds(seconds()), list_reader);
    assert_lists_exercised(&seen);
}

#[test]
#[ignore = "long-running fuzzing; see the module comment"]
fn fuzz_query_path() {
    let target = QueryTarget::new();
    let seen = fuzz("query", Budget::Seconds(seconds()), |input| {
        target.run(input)
    });
    assert_queries_exercised(&seen);
}

/// The committed regression corpus (tests/fuzz-regressions/README.md says
/// what each holds); the replay fails if one goes missing.
const CORPUS: &[&str] = &[
    "list-markdown-broken-entries.bin",
    "list-bibtex-unbalanced-and-strings.bin",
    "list-atom-truncated-entities.bin",
    "list-arxiv-id-forms.bin",
    "list-bytes-controls-casefolding.bin",
    "list-empty-tag-bad-arxiv-id.bin",
    "query-casefolding-offsets.bin",
    "query-syntax-soup.bin",
    "query-year-ranges.bin",
    "query-controls-and-ids.bin",
];

#[test]
fn replay_the_regression_corpus() {
    let target = QueryTarget::new();
    let (mut replayed, mut failing) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(regressions_dir())
        .expect("regressions dir")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".bin") {
            continue;
        }
        let input = std::fs::read(entry.path()).expect("read");
        let run = catch_unwind(AssertUnwindSafe(|| {
            if name.starts_with("list") {
                list_reader(&input);
            } else {
                target.run(&input);
            }
        }));
        if run.is_err() {
            failing.push(name.clone());
        }
        replayed.push(name);
    }
    assert!(failing.is_empty(), "failing again: {failing:?}");
    for name in CORPUS {
        assert!(
            replayed.iter().any(|r| r == name),
            "{name} missing from tests/fuzz-regressions: {replayed:?}"
        );
    }
}

/// A short, deterministic run of each target keeps the harness honest: the
/// same inputs every time, all of them passing every check, and reaching
/// the paths they are meant for.
#[test]
fn a_short_fuzzing_run_of_each_target() {
    assert_lists_exercised(&fuzz("list-smoke", Budget::Inputs(3000), list_reader));
    let target = QueryTarget::new();
    assert_queries_exercised(&fuzz("query-smoke", Budget::Inputs(40), |input| {
        target.run(input)
    }));
}
