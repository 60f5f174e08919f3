//! `mmsearch export`: the collection out as BibTeX a user can cite from
//! (keys, entry types and fields as they wrote them), JSONL that reads back
//! as the same collection, and Markdown in the shipped list's style; and
//! `search --format bibtex` writing the same entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{fixture, one_line, run, s, shared_index};

fn lists_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/lists");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn index_from(index: &Path, sources: &[&Path]) {
    let mut args: Vec<&str> = Vec::new();
    for source in sources {
        args.extend(["--source", s(source)]);
    }
    args.push("index");
    let out = run(index, &args);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

fn export(index: &Path, format: &str) -> String {
    let out = run(index, &["export", "--format", format]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out.stdout
}

/// The JSONL export, by paper id.
fn rows(index: &Path) -> BTreeMap<String, Value> {
    export(index, "jsonl")
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("a JSON line");
            (row["id"].as_str().expect("id").to_string(), row)
        })
        .collect()
}

/// Each real BibTeX file → index → `export --format bibtex` → index again:
/// every paper comes back with the same citation key, entry type, title,
/// authors, year, DOI, arXiv id and every field as written.
#[test]
fn bibtex_export_reads_back_with_the_same_keys_and_fields() {
    let Some(dir) = lists_dir() else { return };
    for name in ["thesis.bib", "survey-nerf.bib", "book-string-macros.bib"] {
        let files = tempfile::tempdir().expect("temp dir");
        let first = tempfile::tempdir().expect("temp dir");
        index_from(first.path(), &[&dir.join(name)]);
        let bib = export(first.path(), "bibtex");
        let again = files.path().join("exported.bib");
        std::fs::write(&again, &bib).expect("write");
        let second = tempfile::tempdir().expect("temp dir");
        index_from(second.path(), &[&again]);
        let (before, after) = (rows(first.path()), rows(second.path()));
        assert_eq!(before.len(), after.len(), "{name}");
        for (id, row) in &before {
            let back = after
                .get(id)
                .unwrap_or_else(|| panic!("{name}: {id} missing after the round trip"));
            for field in [
                "tags", "title", "authors", "year", "doi", "arxiv_id", "venue", "bibtex",
            ] {
                assert_eq!(row[field], back[field], "{name}: {id}: {field}");
            }
        }
    }
}

/// What the issue saw go wrong: journal papers as `@inproceedings`,
/// volume and pages dropped, DOIs lower-cased, keys rewritten.
#[test]
fn bibtex_export_keeps_types_keys_volume_pages_and_doi_case() {
    let files = tempfile::tempdir().expect("temp dir");
    let bib = files.path().join("refs.bib");
    std::fs::write(
        &bib,
        "@article{Ba.Kiros.Hinton.2016,\n  title = {Layer Normalization},\n  \
         author = {Ba, Jimmy Lei and Kiros, Jamie Ryan and Hinton, Geoffrey E.},\n  \
         journal = {Journal of Machine Learning Research},\n  volume = {17},\n  number = {4},\n  \
         pages = {1--12},\n  year = {2016},\n  doi = {10.5555/JMLR.ABC.17},\n  publisher = {JMLR.org},\n  \
         editor = {Smith, Ann}\n}\n\n\
         @misc{vaswani2017,\n  title = {Attention Is All You Need},\n  author = {Vaswani, Ashish},\n  \
         year = {2017},\n  eprint = {1706.03762},\n  archivePrefix = {arXiv}\n}\n",
    )
    .expect("write");
    let index = tempfile::tempdir().expect("temp dir");
    index_from(index.path(), &[&bib, &fixture("zotero.bib")]);
    let text = export(index.path(), "bibtex");
    let entry = |key: &str| -> String {
        let start = text
            .find(&format!("{{{key},"))
            .unwrap_or_else(|| panic!("no entry {key} in {text}"));
        let start = text[..start].rfind('@').expect("@");
        let end = text[start..].find("\n}\n").expect("entry end");
        text[start..start + end].to_string()
    };
    let ba = entry("Ba.Kiros.Hinton.2016");
    assert!(ba.starts_with("@article{Ba.Kiros.Hinton.2016,"), "{ba}");
    for field in [
        "journal = {Journal of Machine Learning Research}",
        "volume = {17}",
        "number = {4}",
        "pages = {1--12}",
        "publisher = {JMLR.org}",
        "editor = {Smith, Ann}",
        "doi = {10.5555/JMLR.ABC.17}",
    ] {
        assert!(ba.contains(field), "{field} in {ba}");
    }
    assert!(!ba.contains("booktitle"), "{ba}");
    let he = entry("he_deep_2016");
    assert!(he.starts_with("@inproceedings{he_deep_2016,"), "{he}");
    assert!(he.contains("booktitle = {2016 {IEEE} {Conference}"), "{he}");
    assert!(he.contains("doi = {10.1109/CVPR.2016.90}"), "{he}");
    let attention = entry("vaswani2017");
    assert!(attention.starts_with("@misc{vaswani2017,"), "{attention}");
    assert!(attention.contains("eprint = {1706.03762}"), "{attention}");

    // `search --format bibtex` writes the same entry.
    let out = run(
        index.path(),
        &[
            "--mode",
            "keyword",
            "--limit",
            "1",
            "--format",
            "bibtex",
            "Layer Normalization",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with(&ba), "{}\nvs\n{ba}", out.stdout);
}

/// The shipped list's 78 papers → JSONL → index → JSONL: the same text.
#[test]
fn jsonl_export_reads_back_as_the_same_collection() {
    let exported = export(shared_index(), "jsonl");
    assert_eq!(exported.lines().count(), 78);
    let files = tempfile::tempdir().expect("temp dir");
    let path = files.path().join("papers.jsonl");
    let out = run(
        shared_index(),
        &["export", "--format", "jsonl", "--out", s(&path)],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&path).expect("written"), exported);
    let index = tempfile::tempdir().expect("temp dir");
    index_from(index.path(), &[&path]);
    assert_eq!(export(index.path(), "jsonl"), exported);
}

/// The shipped list → Markdown → index: the same titles and ids.
#[test]
fn markdown_export_reads_back_with_the_same_titles_and_ids() {
    let md = export(shared_index(), "markdown");
    assert!(
        md.contains(
            "**(*arXiv2023_LLaMA*) LLaMA: Open and Efficient Foundation Language Models.** <br>"
        ),
        "{md}"
    );
    let files = tempfile::tempdir().expect("temp dir");
    let path = files.path().join("list.md");
    std::fs::write(&path, &md).expect("write");
    let index = tempfile::tempdir().expect("temp dir");
    index_from(index.path(), &[&path]);
    let titles = |rows: &BTreeMap<String, Value>| -> Vec<(String, String)> {
        rows.iter()
            .map(|(id, r)| (id.clone(), r["title"].as_str().unwrap_or("").to_string()))
            .collect()
    };
    let (before, after) = (rows(shared_index()), rows(index.path()));
    assert_eq!(titles(&before), titles(&after));
    for (id, row) in &before {
        assert_eq!(row["arxiv_id"], after[id]["arxiv_id"], "{id}");
        // Every section comes back (in the order the exported list has them).
        let sections = |row: &Value| {
            let mut all: Vec<String> = row["sections"]
                .as_array()
                .expect("sections")
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            all.sort();
            all
        };
        assert_eq!(sections(row), sections(&after[id]), "{id}");
        // So does every tag: a paper merged from two entries is found by
        // either tag afterwards.
        assert_eq!(row["tags"], after[id]["tags"], "{id}");
    }
}

/// A file that cannot be written is one line and a non-zero exit; an
/// unknown format is refused by the argument parser.
#[test]
fn export_errors_are_one_line() {
    let out = run(
        shared_index(),
        &["export", "--out", "/nonexistent-dir/papers.jsonl"],
    );
    assert_ne!(out.code, Some(0));
    assert!(
        one_line(&out.stderr).contains("/nonexistent-dir/"),
        "{}",
        out.stderr
    );
    let out = run(shared_index(), &["export", "--format", "xml"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

/// A list that cannot be read leaves the directory empty, and an export
/// there afterwards is the shipped list, which it says on standard error
/// (with no terminal too) instead of passing it off as the user's papers.
#[test]
fn export_after_a_failed_index_says_it_is_the_shipped_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prose = dir.path().join("notes.md");
    std::fs::write(&prose, "Some thoughts.\n\nNo papers in here at all.\n").expect("write");
    let index = dir.path().join("index");
    let out = run(&index, &["--source", s(&prose), "index"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = run(&index, &["export", "--format", "jsonl"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 78);
    assert!(out.stderr.contains("the shipped list"), "{}", out.stderr);
    let again = run(&index, &["export", "--format", "jsonl"]);
    assert!(again.stderr.is_empty(), "{}", again.stderr);
}
