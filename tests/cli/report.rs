//! What `index` tells the user: entries read and skipped per source
//! (capped warnings plus a count), a source that gives nothing never
//! silently dropped, how many entries merged and (`--verbose`) which and why.

use std::path::{Path, PathBuf};

use crate::common::{fixture, one_line, run, s};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Beside a readable source, a list with no entries is a warning naming it
/// and the layouts the reader knows; the readable one is indexed.
#[test]
fn a_source_without_papers_beside_a_readable_one_is_a_warning() {
    let files = tempfile::tempdir().expect("temp dir");
    let prose = write(
        files.path(),
        "list.md",
        "# My reading list\n\nSome papers I like, mostly about cats.\n",
    );
    let index = tempfile::tempdir().expect("temp dir");
    let zotero = fixture("zotero.bib");
    let out = run(
        index.path(),
        &["--source", s(&prose), "--source", s(&zotero), "index"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("list.md: no paper entries found"))
        .unwrap_or_else(|| panic!("no warning for list.md: {}", out.stderr));
    assert!(warning.starts_with("mmsearch: warning: "), "{warning}");
    assert!(
        warning.contains("table rows with a title column"),
        "{warning}"
    );
    assert!(warning.contains("JSONL"), "{warning}");
    assert!(
        out.stdout.contains("list.md: 0 entries\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("zotero.bib: 6 entries\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("6 entries → 6 papers, 0 merged"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("indexed 6 papers"), "{}", out.stdout);
}

/// Alone, the same list is an error: one line, exit 2, the layouts named.
#[test]
fn a_lone_source_without_papers_is_an_error_naming_the_layouts() {
    let files = tempfile::tempdir().expect("temp dir");
    let prose = write(files.path(), "list.md", "# Reading\n\nNothing here yet.\n");
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(index.path(), &["--source", s(&prose), "index"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let line = one_line(&out.stderr);
    assert!(line.contains("list.md: no paper entries found"), "{line}");
    assert!(line.contains("bulleted or numbered items"), "{line}");
    assert!(line.contains("--source-format"), "{line}");
}

/// Thirty unreadable items: ten warnings with their lines, then one count;
/// the report says 30 skipped and the readable entry is indexed.
#[test]
fn skipped_lines_are_warned_about_up_to_a_cap_and_counted() {
    let files = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(
        "# Papers\n\n- [Segment Anything](https://arxiv.org/abs/2304.02643), Kirillov et al. ICCV 2023\n",
    );
    for i in 0..30 {
        text.push_str(&format!(
            "- [[paper]](https://arxiv.org/abs/2101.{:05}) [[code]](https://github.com/x/y{i})\n",
            i + 1
        ));
    }
    let list = write(files.path(), "broken.md", &text);
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(index.path(), &["--source", s(&list), "index"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let skipped: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("broken.md:") && l.contains(": skipped "))
        .collect();
    assert_eq!(skipped.len(), 10, "{}", out.stderr);
    assert!(
        skipped[0].contains("broken.md:4: skipped"),
        "{}",
        skipped[0]
    );
    assert!(
        out.stderr
            .contains("broken.md: and 20 more warnings like these"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("broken.md: 1 entry, 30 skipped"),
        "{}",
        out.stdout
    );
}

/// Bellman's 1957 book and 1966 article stay two papers; LLaMA from the
/// list and from Zotero (same arXiv id) is one, and `--verbose` says so.
#[test]
fn merges_are_counted_and_listed_with_their_reason() {
    let files = tempfile::tempdir().expect("temp dir");
    let bellman = write(
        files.path(),
        "bellman.bib",
        "@book{bellman1957dynamic,\n  title={Dynamic Programming},\n  author={Bellman, Richard},\n  \
         year={1957},\n  publisher={Princeton University Press}\n}\n\n\
         @article{bellman1966dynamic,\n  title={Dynamic programming},\n  author={Bellman, Richard},\n  \
         journal={Science},\n  volume={153},\n  number={3731},\n  pages={34--37},\n  year={1966}\n}\n",
    );
    let list = crate::common::shipped_file("seed-papers.md");
    let zotero = fixture("zotero.bib");
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(
        index.path(),
        &[
            "--source",
            s(&list),
            "--source",
            s(&zotero),
            "--source",
            s(&bellman),
            "index",
            "--verbose",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // 80 list entries (78 papers), 6 Zotero entries (LLaMA already listed), 2 Bellman.
    assert!(
        out.stdout.contains("88 entries → 85 papers, 3 merged"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().any(|l| l.starts_with("merged ")
            && l.contains("zotero.bib `touvron_llama_2023` into arxiv2023-llama")
            && l.ends_with("same arXiv id 2302.13971")),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("merged "))
            .count(),
        3,
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.starts_with("merged ") && l.contains("bellman")),
        "{}",
        out.stdout
    );
    let doc = crate::common::search_json_in(
        index.path(),
        &["--limit", "5", "dynamic programming bellman"],
    );
    let years: Vec<i64> = doc["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| {
            h["title"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("dynamic programming"))
        })
        .filter_map(|h| h["year"].as_i64())
        .collect();
    assert_eq!(years.len(), 2, "{doc:#}");
    assert!(years.contains(&1957) && years.contains(&1966), "{years:?}");
}
