//! What users see when something is off: one line on stderr, exit code 2,
//! never a panic, and awkward query text searched as text.

mod common;

use common::{ids, mmsearch, search_json, shared_index};
use predicates::prelude::*;

fn one_line_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).to_string();
    assert!(!text.contains("panicked"), "panic: {text}");
    assert_eq!(text.trim_end().lines().count(), 1, "not one line: {text}");
    text
}

#[test]
fn query_syntax_characters_are_searched_as_text() {
    for query in [
        "\"unbalanced",
        "(",
        "title:",
        "AND",
        "-",
        "*",
        "video AND",
        "title:video (tokens",
        "a:b:c ) ] } ^2 ~1",
    ] {
        let doc = search_json(&[query]);
        assert!(doc["hits"].is_array(), "{query:?}");
    }
    // Words around the syntax still count.
    let hits = ids(&search_json(&["--mode", "keyword", "title:(Mamba"]));
    assert!(
        hits.iter().take(3).any(|id| id == "arxiv2023-mamba"),
        "{hits:?}"
    );
}

#[test]
fn empty_and_blank_queries_are_a_clear_error() {
    for args in [vec![], vec![""], vec!["   "], vec!["search", "\t"]] {
        let out = mmsearch()
            .arg("--index-dir")
            .arg(shared_index())
            .args(&args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = one_line_error(&out.stderr);
        assert!(err.contains("empty query"), "{err}");
    }
}

#[test]
fn a_ten_thousand_character_query_works() {
    let long = "efficient video tokens for long video understanding ".repeat(200);
    assert!(long.len() >= 10_000);
    let doc = search_json(&[&long]);
    assert_eq!(ids(&doc).len(), 10);
}

#[test]
fn missing_model_names_the_fix() {
    let empty_index = tempfile::tempdir().expect("temp dir");
    let no_models = tempfile::tempdir().expect("temp dir");
    let out = mmsearch()
        .env("MMSEARCH_MODELS", no_models.path())
        .arg("--index-dir")
        .arg(empty_index.path())
        .arg("video")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = one_line_error(&out.stderr);
    assert!(err.contains("models/fetch"), "{err}");
}

#[test]
fn keyword_mode_answers_from_a_built_index_without_the_model() {
    let no_models = tempfile::tempdir().expect("temp dir");
    mmsearch()
        .env("MMSEARCH_MODELS", no_models.path())
        .arg("--index-dir")
        .arg(shared_index())
        .args(["--mode", "keyword", "--json", "Mamba"])
        .assert()
        .success()
        .stdout(predicate::str::contains("arxiv2023-mamba"));
}

#[test]
fn missing_or_broken_onnx_runtime_is_an_error_not_a_panic() {
    // The model files are in place; the runtime library is absent, or is not a library at all.
    for (library, expected) in [
        (None, "ONNX Runtime not found"),
        (Some(&b"not a library"[..]), "cannot load ONNX Runtime"),
    ] {
        let models = tempfile::tempdir().expect("temp dir");
        let real = common::models_dir().join("all-MiniLM-L6-v2");
        let model_dir = models.path().join("all-MiniLM-L6-v2");
        std::fs::create_dir_all(&model_dir).expect("mkdir");
        for f in [
            "mmsearch-model.json",
            "tokenizer.json",
            "config.json",
            "special_tokens_map.json",
            "tokenizer_config.json",
        ] {
            std::fs::copy(real.join(f), model_dir.join(f)).expect("copy");
        }
        if let Some(bytes) = library {
            std::fs::create_dir_all(models.path().join("onnxruntime")).expect("mkdir");
            std::fs::write(models.path().join("onnxruntime/libonnxruntime.so"), bytes)
                .expect("write");
        }
        let index = tempfile::tempdir().expect("temp dir");
        let out = mmsearch()
            .env("MMSEARCH_MODELS", models.path())
            .arg("--index-dir")
            .arg(index.path())
            .arg("video")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let err = one_line_error(&out.stderr);
        assert!(
            err.contains(expected) && err.contains("models/fetch"),
            "{err}"
        );
    }
}

#[test]
fn bad_option_values_are_rejected() {
    for args in [["--limit", "0"], ["--alpha", "1.5"], ["--mode", "fuzzy"]] {
        mmsearch()
            .arg("--index-dir")
            .arg(shared_index())
            .args(args)
            .arg("video")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("panicked").not());
    }
}
