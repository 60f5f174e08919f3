//! The bad-input table of the README, one test per row: a one-line error
//! or warning, exit code 2 for errors, no panic, and an existing index left
//! as it was.

use std::io::Write;
use std::path::Path;

use crate::common::{Outcome, built_index, run, run_with_stdin, shared_index};

fn generation(index: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_link(index.join("current")).ok()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write fixture");
    path
}

/// `mmsearch --source LIST --abstracts ABSTRACTS index` into a fresh index.
fn index_list(list: &[u8], abstracts: &[u8]) -> Outcome {
    let files = tempfile::tempdir().expect("temp dir");
    let list = write(files.path(), "list.md", list);
    let abstracts = write(files.path(), "abstracts.jsonl", abstracts);
    let index = tempfile::tempdir().expect("temp dir");
    let args = [
        "--source",
        list.to_str().expect("utf-8"),
        "--abstracts",
        abstracts.to_str().expect("utf-8"),
        "index",
    ];
    run(index.path(), &args)
}

fn assert_error_kept_index(
    index: &Path,
    out: &Outcome,
    needle: &str,
    before: &Option<std::path::PathBuf>,
) {
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains(needle), "{}", out.stderr);
    assert_eq!(
        &generation(index),
        before,
        "the existing index is untouched"
    );
}

#[test]
fn empty_list_file_and_list_without_entries_are_errors() {
    let index = built_index();
    let before = generation(index.path());
    let files = tempfile::tempdir().expect("temp dir");
    let empty = write(files.path(), "empty.md", b"");
    let prose = write(
        files.path(),
        "prose.md",
        b"# My reading list\n\nSome papers I like:\n- a paper about cats\n",
    );
    for list in [empty, prose] {
        let out = run(
            index.path(),
            &["--source", list.to_str().expect("utf-8"), "index"],
        );
        assert_error_kept_index(index.path(), &out, "no paper entries found", &before);
    }
}

#[test]
fn entries_missing_parts_and_broken_markdown_still_index() {
    let files = tempfile::tempdir().expect("temp dir");
    let list = write(
        files.path(),
        "odd.md",
        b"### ``*Odd*``\n\n\
          **(*CVPR2024_NoAuthors*) A Paper Without Authors.** <br>\n[[paper]](https://arxiv.org/abs/2401.00001)\n\n\
          **(*ICLR2023_NoLinks*) A Paper Without Links.** <br>\n*Ann Lee, Bo Chen.*<br>\n\n\
          **(*arXiv2024_NoTitle*) .** <br>\n*Cy Dee.*<br>\n\n\
          **(*NeurIPS2023_Unclosed*) Unclosed <b>bold</b> title about graph neural networks <br>\n*Ed Fox.*<br>\n",
    );
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(
        index.path(),
        &["--source", list.to_str().expect("utf-8"), "index"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("indexed 4 papers"), "{}", out.stdout);
    let out = run(
        index.path(),
        &[
            "--source",
            list.to_str().expect("utf-8"),
            "--json",
            "--mode",
            "keyword",
            "graph neural networks",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        doc["hits"][0]["title"],
        "Unclosed bold title about graph neural networks"
    );
    let out = run(
        index.path(),
        &["--source", list.to_str().expect("utf-8"), "show", "NoTitle"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("NoTitle"),
        "a missing title falls back to the tag name: {}",
        out.stdout
    );
}

#[test]
fn non_utf8_bytes_are_replaced_with_a_warning() {
    let files = tempfile::tempdir().expect("temp dir");
    let list = write(files.path(), "latin1.md", b"### Sec\n\n**(*ICCV2023_Caf\xe9*) Caf\xe9 Vision Transformers.** <br>\n*Jos\xe9 Garc\xeda.*<br>\n");
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(
        index.path(),
        &["--source", list.to_str().expect("utf-8"), "index"],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("not UTF-8"), "{}", out.stderr);
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
}

#[test]
fn a_50_mb_list_of_duplicate_entries_merges_into_its_papers() {
    let shipped = mmsearch::collection::SHIPPED_LIST.as_bytes();
    let copies = 50 * 1024 * 1024 / shipped.len() + 1;
    let mut big = Vec::with_capacity(copies * shipped.len());
    for _ in 0..copies {
        big.extend_from_slice(shipped);
    }
    let out = index_list(&big, mmsearch::collection::SHIPPED_ABSTRACTS.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("indexed 78 papers (77 with an abstract"),
        "{}",
        out.stdout
    );
}

#[test]
fn malformed_enrichment_lines_are_reported_by_line_and_the_rest_kept() {
    let mut lines: Vec<&str> = mmsearch::collection::SHIPPED_ABSTRACTS.lines().collect();
    lines.insert(2, "{\"id\": \"broken\", \"abstract\": ");
    lines.insert(5, "not json at all");
    let out = index_list(
        mmsearch::collection::SHIPPED_LIST.as_bytes(),
        (lines.join("\n") + "\n").as_bytes(),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    assert!(
        warnings[0].contains("abstracts.jsonl:3:") && warnings[1].contains("abstracts.jsonl:6:"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("77 with an abstract"), "{}", out.stdout);
}

#[test]
fn awkward_queries() {
    let index = shared_index();
    // A 1 MB query through standard input.
    let big = "efficient video tokens ".repeat(1024 * 1024 / 23 + 1);
    let out = run_with_stdin(index, &["--json", "--stdin"], big.as_bytes());
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["hits"].as_array().map(Vec::len), Some(10));
    // Control characters are not words; the query still runs.
    let out = run(index, &["--json", "\u{7}\u{1b}[31m video\u{8}"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // Only control characters and blanks: nothing to search for.
    let out = run_with_stdin(index, &["--stdin"], b" \n\t ");
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("empty query"), "{}", out.stderr);
}

#[test]
fn a_missing_index_directory_is_created_and_built() {
    let parent = tempfile::tempdir().expect("temp dir");
    let index = parent.path().join("not/yet/here");
    let out = run(&index, &["--json", "-n", "3", "video"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(generation(&index).is_some());
}
