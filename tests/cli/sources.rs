//! Any paper list in: each reader picked by extension (or --source-format)
//! over real-world-shaped files, several sources merged into one collection,
//! and the collection remembering its sources in the index directory.

use std::path::Path;

use crate::common::{Outcome, fixture, ids, run, s, search_json_in, shipped_file};
use serde_json::Value;

fn show_json(index: &Path, paper: &str) -> Value {
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(index, &["show", "--json", paper]);
    assert_eq!(code, Some(0), "show {paper}: {stderr}");
    serde_json::from_str(&stdout).expect("JSON")
}

/// A Markdown list entry and a Zotero entry of one paper (LLaMA, same arXiv
/// id) come back as one hit carrying both sources' tags and metadata.
#[test]
fn the_same_paper_from_markdown_and_bibtex_is_one_hit() {
    let index = tempfile::tempdir().expect("temp dir");
    let (list, abstracts, zotero) = (
        shipped_file("seed-papers.md"),
        shipped_file("seed-abstracts.jsonl"),
        fixture("zotero.bib"),
    );
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &[
            "--source",
            s(&list),
            "--abstracts",
            s(&abstracts),
            "--source",
            s(&zotero),
            "index",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // 78 list papers + 6 Zotero entries, of which LLaMA is already listed.
    assert!(stdout.contains("indexed 83 papers"), "{stdout}");
    let doc = search_json_in(
        index.path(),
        &["LLaMA open and efficient foundation language models"],
    );
    let llama: Vec<&Value> = doc["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter(|h| h["arxiv_id"] == "2302.13971")
        .collect();
    assert_eq!(llama.len(), 1, "one hit for LLaMA: {doc:#}");
    assert_eq!(doc["hits"][0]["arxiv_id"], "2302.13971");
    let tags: Vec<&str> = llama[0]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(tags, ["arXiv2023_LLaMA", "touvron_llama_2023"]);
    assert_eq!(llama[0]["sections"][0], "Large Language Model");
    assert_eq!(
        llama[0]["doi"].as_str().map(str::to_lowercase).as_deref(),
        Some("10.48550/arxiv.2302.13971")
    );
    // Either name finds it.
    assert_eq!(
        show_json(index.path(), "touvron_llama_2023")["id"],
        "arxiv2023-llama"
    );
}

/// A Scholar export has no arXiv ids; a title equal to a listed one once
/// normalised (case, punctuation) is the same paper.
#[test]
fn a_bibtex_entry_without_ids_merges_by_normalised_title() {
    let files = tempfile::tempdir().expect("temp dir");
    let bib = files.path().join("scholar-export.bib");
    std::fs::write(
        &bib,
        "@article{liu2023improved,\n  title={Improved baselines with visual instruction tuning},\n  \
         author={Liu, Haotian and Li, Chunyuan and Li, Yuheng and Lee, Yong Jae},\n  \
         journal={arXiv preprint},\n  year={2023}\n}\n",
    )
    .expect("write");
    let index = tempfile::tempdir().expect("temp dir");
    let list = shipped_file("seed-papers.md");
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &["--source", s(&list), "--source", s(&bib), "index"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("indexed 78 papers"), "{stdout}");
    let paper = show_json(index.path(), "liu2023improved");
    assert_eq!(paper["id"], "arxiv2023-llava1-5");
    assert_eq!(paper["arxiv_id"], "2310.03744");
}

#[test]
fn each_format_is_read_by_its_extension() {
    let index = tempfile::tempdir().expect("temp dir");
    let (jsonl, bib, beir) = (
        fixture("papers.jsonl"),
        fixture("scholar.bib"),
        fixture("beir-mini/corpus.jsonl"),
    );
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &[
            "--source",
            s(&jsonl),
            "--source",
            s(&bib),
            "--source",
            s(&beir),
            "index",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // JSONL: 5 of 7 lines are papers; the cut-off line and the one without a
    // title are warnings naming their lines.
    assert!(
        stderr.contains("papers.jsonl:5: skipped malformed line"),
        "{stderr}"
    );
    assert!(
        stderr.contains("papers.jsonl:6: skipped a paper without a title"),
        "{stderr}"
    );
    assert!(stdout.contains("indexed 14 papers"), "{stdout}");

    let sam = show_json(index.path(), "SAM");
    assert_eq!(sam["title"], "Segment Anything");
    assert_eq!(sam["arxiv_id"], "2304.02643");
    assert_eq!(sam["year"], 2023);
    assert_eq!(sam["authors"][4], "Chloé Rolland");
    let ddpm = show_json(index.path(), "2006.11239");
    assert_eq!(
        ddpm["authors"],
        serde_json::json!(["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"])
    );
    assert_eq!(ddpm["year"], 2020);
    let bert = show_json(index.path(), "bert");
    assert_eq!(
        bert["doi"].as_str().map(str::to_lowercase).as_deref(),
        Some("10.18653/v1/n19-1423")
    );
    // A DOI as written elsewhere finds the paper, in `show` and in search.
    assert_eq!(
        show_json(index.path(), "10.18653/v1/N19-1423")["id"],
        "bert"
    );
    let doc = search_json_in(index.path(), &["--mode", "keyword", "10.18653/v1/N19-1423"]);
    assert_eq!(doc["hits"][0]["id"], "bert");
    assert_eq!(doc["hits"][0]["exact_match"], true);
    assert_eq!(bert["venue"], "NAACL");
    let chinese = show_json(index.path(), "大规模视觉语言模型综述");
    assert_eq!(chinese["authors"][0], "张三");

    // BibTeX (Google Scholar): Flamingo, with its venue from `journal`.
    let flamingo = show_json(index.path(), "alayrac2022flamingo");
    assert_eq!(
        flamingo["title"],
        "Flamingo: a visual language model for few-shot learning"
    );
    assert_eq!(flamingo["year"], 2022);
    // BEIR: the document id is the paper id, the text its abstract.
    let beir_doc = show_json(index.path(), "5836");
    assert_eq!(
        beir_doc["title"],
        "Induction of myelodysplasia by myeloid-derived suppressor cells."
    );
    assert!(
        beir_doc["abstract"]
            .as_str()
            .expect("abstract")
            .starts_with("Myelodysplastic")
    );

    let doc = search_json_in(
        index.path(),
        &["--mode", "keyword", "residual learning image recognition"],
    );
    assert!(!ids(&doc).is_empty());
    let doc = search_json_in(
        index.path(),
        &["image segmentation dataset with a billion masks"],
    );
    assert_eq!(ids(&doc)[0], "sam");
}

#[test]
fn an_unknown_extension_needs_source_format() {
    let files = tempfile::tempdir().expect("temp dir");
    let refs = files.path().join("refs.txt");
    std::fs::copy(fixture("scholar.bib"), &refs).expect("copy");
    let index = tempfile::tempdir().expect("temp dir");
    let Outcome { code, stderr, .. } = run(index.path(), &["--source", s(&refs), "index"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--source-format"), "{stderr}");
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &["--source", s(&refs), "index", "--format", "bibtex"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("indexed 6 papers"), "{stdout}");
    let Outcome { code, stderr, .. } = run(
        index.path(),
        &[
            "--source",
            s(&refs),
            "--source-format",
            "bibtex",
            "show",
            "radford2021learning",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    // Asking for the shipped list and a source at once is a contradiction.
    let Outcome { code, stderr, .. } =
        run(index.path(), &["--source", s(&refs), "index", "--shipped"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--shipped"), "{stderr}");
}

/// `mmsearch index --source ...` once; later a plain `index` or search uses
/// the same files, rebuilds when one changed, and `--shipped` goes back.
#[test]
fn the_index_remembers_its_sources() {
    let files = tempfile::tempdir().expect("temp dir");
    let jsonl = files.path().join("mine.jsonl");
    std::fs::copy(fixture("papers.jsonl"), &jsonl).expect("copy");
    let bib = files.path().join("mine.bib");
    std::fs::copy(fixture("zotero.bib"), &bib).expect("copy");
    let index = tempfile::tempdir().expect("temp dir");
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &["--source", s(&jsonl), "--source", s(&bib), "index"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("indexed 10 papers"), "{stdout}");

    // A plain `index` rebuilds the same collection, reusing every vector.
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(index.path(), &["index"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("indexed 10 papers"), "{stdout}");
    assert!(stdout.contains("embedded 0, reused 10"), "{stdout}");

    // A changed source is noticed by the next plain search.
    let mut text = std::fs::read_to_string(&bib).expect("read");
    text.push_str(
        "\n@inproceedings{mildenhall_nerf_2020,\n\ttitle = {{NeRF}: {Representing} {Scenes} as \
         {Neural} {Radiance} {Fields} for {View} {Synthesis}},\n\tauthor = {Mildenhall, Ben and \
         Srinivasan, Pratul P.},\n\tyear = {2020},\n\tbooktitle = {{ECCV}},\n}\n",
    );
    std::fs::write(&bib, text).expect("write");
    let doc = search_json_in(
        index.path(),
        &["--mode", "keyword", "neural radiance fields"],
    );
    assert_eq!(ids(&doc)[0], "mildenhall-nerf-2020");

    // Back to the shipped list.
    let Outcome {
        code,
        stdout,
        stderr,
    } = run(index.path(), &["index", "--shipped"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("indexed 78 papers"), "{stdout}");
    let Outcome { code, stdout, .. } = run(index.path(), &["index"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("indexed 78 papers"), "{stdout}");
}

/// A remembered source that disappeared: searches keep answering from the
/// index as last built (with a one-line warning); `index` says what is wrong.
#[test]
fn a_vanished_source_keeps_the_index_answering() {
    let files = tempfile::tempdir().expect("temp dir");
    let jsonl = files.path().join("mine.jsonl");
    std::fs::copy(fixture("papers.jsonl"), &jsonl).expect("copy");
    let index = tempfile::tempdir().expect("temp dir");
    let Outcome { code, stderr, .. } = run(index.path(), &["--source", s(&jsonl), "index"]);
    assert_eq!(code, Some(0), "{stderr}");
    std::fs::remove_file(&jsonl).expect("remove");

    let Outcome {
        code,
        stdout,
        stderr,
    } = run(
        index.path(),
        &["--mode", "keyword", "--json", "segment anything"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("mine.jsonl"), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(ids(&doc)[0], "sam");

    let Outcome { code, stderr, .. } = run(index.path(), &["index"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("mine.jsonl") && stderr.contains("--source"),
        "{stderr}"
    );
}

/// BibTeX `keywords` are searched and shown; Scholar's `$\{$USENIX$\}$`
/// and an HTML entity are cleaned for display.
#[test]
fn bibtex_keywords_are_searched_and_shown_and_leftovers_cleaned() {
    let files = tempfile::tempdir().expect("temp dir");
    let bib = files.path().join("security.bib");
    std::fs::write(
        &bib,
        "@inproceedings{carlini2021extracting,\n  \
         title={Extracting Training Data from Large Language Models},\n  \
         author={Carlini, Nicholas and Tramer, Florian},\n  \
         booktitle={29th $\\{$USENIX$\\}$ Security Symposium},\n  year={2020},\n  \
         keywords={memorization, privacy}\n}\n\n\
         @article{k2,\n  title={Attacks on Research &#38; Development Pipelines},\n  year={2020}\n}\n",
    )
    .expect("write");
    let index = tempfile::tempdir().expect("temp dir");
    let out = run(index.path(), &["--source", s(&bib), "index"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let doc = search_json_in(index.path(), &["--mode", "keyword", "memorization"]);
    assert_eq!(ids(&doc), ["carlini2021extracting"], "{doc:#}");
    assert_eq!(doc["hits"][0]["venue"], "29th USENIX Security Symposium");
    let shown = run(index.path(), &["show", "carlini2021extracting"]);
    assert!(
        shown.stdout.contains("  keywords: memorization, privacy\n"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains("29th USENIX Security Symposium"),
        "{}",
        shown.stdout
    );
    assert_eq!(
        show_json(index.path(), "k2")["title"],
        "Attacks on Research & Development Pipelines"
    );
}
