//! What users see when something is off: one line on stderr, exit code 2,
//! never a panic, and awkward query text searched as text.

use crate::common::{ids, mmsearch, one_line, run, run_cmd, search_json, shared_index};

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
        let out = run(shared_index(), &args);
        assert_eq!(out.code, Some(2), "{args:?}");
        let err = one_line(&out.stderr);
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
    let out = run_cmd(
        mmsearch()
            .env("MMSEARCH_MODELS", no_models.path())
            .arg("--index-dir")
            .arg(empty_index.path())
            .arg("video"),
        &["video"],
    );
    assert_eq!(out.code, Some(2));
    let err = one_line(&out.stderr);
    assert!(err.contains("models/fetch"), "{err}");
}

#[test]
fn keyword_mode_answers_from_a_built_index_without_the_model() {
    let no_models = tempfile::tempdir().expect("temp dir");
    let args = ["--mode", "keyword", "--json", "Mamba"];
    let out = run_cmd(
        mmsearch()
            .env("MMSEARCH_MODELS", no_models.path())
            .arg("--index-dir")
            .arg(shared_index())
            .args(args),
        &args,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("arxiv2023-mamba"), "{}", out.stdout);
}

#[test]
fn missing_or_broken_onnx_runtime_is_an_error_not_a_panic() {
    // The model files are in place; the runtime library is absent, or is not a library at all.
    for (library, expected) in [
        (None, "ONNX Runtime not found"),
        (Some(&b"not a library"[..]), "cannot load ONNX Runtime"),
    ] {
        let models = tempfile::tempdir().expect("temp dir");
        let real = crate::common::models_dir().join("all-MiniLM-L6-v2");
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
        let out = run_cmd(
            mmsearch()
                .env("MMSEARCH_MODELS", models.path())
                .arg("--index-dir")
                .arg(index.path())
                .arg("video"),
            &["video"],
        );
        assert_eq!(out.code, Some(2));
        let err = one_line(&out.stderr);
        assert!(
            err.contains(expected) && err.contains("models/fetch"),
            "{err}"
        );
    }
}

#[test]
fn bad_option_values_are_rejected() {
    for args in [["--limit", "0"], ["--alpha", "1.5"], ["--mode", "fuzzy"]] {
        let args = [args[0], args[1], "video"];
        // `run` fails the test on a panic.
        assert_eq!(run(shared_index(), &args).code, Some(2), "{args:?}");
    }
}
