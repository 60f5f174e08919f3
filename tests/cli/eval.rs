//! `mmsearch eval` through the real binary: the shipped judgments, a small
//! BEIR collection written by the test, TREC run files and the index cache.

use crate::common::{one_line, run, shared_index};
use serde_json::Value;

fn eval_json(args: &[&str], index: &std::path::Path) -> Value {
    let mut all = vec!["eval", "--json"];
    all.extend_from_slice(args);
    run(index, &all).json()
}

#[test]
fn shipped_judgments_show_fusion_beating_both_legs() {
    let report = eval_json(&[], shared_index());
    assert_eq!(report["collection"], "shipped list");
    assert_eq!(report["split"], "test");
    assert!(report["queries"].as_u64().expect("queries") >= 45);
    let ndcg = |mode: &str| report["runs"][mode]["ndcg@10"].as_f64().expect("ndcg@10");
    for mode in [
        "keyword",
        "semantic",
        "hybrid-rrf",
        "hybrid-linear",
        "default",
    ] {
        for metric in ["ndcg@10", "mrr@10", "recall@100", "map@100"] {
            let v = report["runs"][mode][metric].as_f64().expect(metric);
            assert!((0.0..=1.0).contains(&v), "{mode} {metric} {v}");
        }
    }
    assert!(
        ndcg("hybrid-rrf") > ndcg("keyword") && ndcg("hybrid-rrf") > ndcg("semantic"),
        "{report}"
    );
    // The run plain `mmsearch QUERY` uses is named, and it beats both legs.
    let default = report["default_run"].as_str().expect("default_run");
    assert_eq!(default, "default");
    assert!(
        ndcg(default) > ndcg("keyword") && ndcg(default) > ndcg("semantic"),
        "{report}"
    );
    // Every query kind is reported on its own, and together they are the set.
    let categories = report["categories"].as_object().expect("categories");
    let names: Vec<&str> = categories.keys().map(String::as_str).collect();
    assert_eq!(names, ["author", "exact", "paraphrase", "topical"]);
    let total: u64 = categories
        .values()
        .map(|c| c["queries"].as_u64().expect("queries"))
        .sum();
    assert_eq!(Some(total), report["queries"].as_u64());
    // The default is at least the better single leg on every kind of query.
    for (name, category) in categories {
        let ndcg = |mode: &str| category["runs"][mode]["ndcg@10"].as_f64().expect("ndcg");
        let best = ndcg("keyword").max(ndcg("semantic"));
        assert!(ndcg("default") >= best, "{name}: {category}");
    }
    assert_eq!(report["default_fusion"]["method"], "bounded");
}

/// A six-document BEIR collection where each query has one right answer.
fn tiny_beir(dir: &std::path::Path) {
    let docs = [
        (
            "d1",
            "Knowledge distillation",
            "A small student network is trained to imitate a large teacher network.",
        ),
        (
            "d2",
            "Video tokens",
            "We compress the visual tokens of long videos so language models can read them cheaply.",
        ),
        (
            "d3",
            "Protein folding",
            "Predicting the three-dimensional structure of proteins from their amino acid sequence.",
        ),
        (
            "d4",
            "Image segmentation",
            "Segmenting every object in an image from a point or box prompt.",
        ),
        (
            "d5",
            "Speech recognition",
            "Transcribing spoken audio into text with an end-to-end neural model.",
        ),
        (
            "d6",
            "Graph networks",
            "Message passing neural networks learn over nodes and edges of graphs.",
        ),
    ];
    let corpus: String = docs
        .iter()
        .map(|(id, title, text)| {
            serde_json::json!({"_id": id, "title": title, "text": text}).to_string() + "\n"
        })
        .collect();
    std::fs::write(dir.join("corpus.jsonl"), corpus).expect("write corpus");
    let queries = [
        ("q1", "teach a small model with a big one"),
        ("q2", "cheaper video tokens"),
        ("q3", "structure of proteins"),
    ];
    let lines: String = queries
        .iter()
        .map(|(id, text)| serde_json::json!({"_id": id, "text": text}).to_string() + "\n")
        .collect();
    std::fs::write(dir.join("queries.jsonl"), lines).expect("write queries");
    std::fs::create_dir_all(dir.join("qrels")).expect("mkdir");
    std::fs::write(
        dir.join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n",
    )
    .expect("qrels");
}

#[test]
fn beir_collection_is_indexed_once_evaluated_and_written_as_trec_runs() {
    let beir = tempfile::tempdir().expect("temp dir");
    tiny_beir(beir.path());
    let index = tempfile::tempdir().expect("temp dir");
    let runs = tempfile::tempdir().expect("temp dir");
    let beir_dir = beir.path().to_str().expect("utf-8 path");
    let run_dir = runs.path().to_str().expect("utf-8 path");
    let report = eval_json(&["--beir", beir_dir, "--run-out", run_dir], index.path());
    assert_eq!(report["documents"], 6);
    assert_eq!(report["queries"], 3);
    // Each query's one relevant document is easy to find: hybrid gets all three first.
    assert_eq!(
        report["runs"]["hybrid-rrf"]["mrr@10"].as_f64(),
        Some(1.0),
        "{report}"
    );
    for mode in ["keyword", "semantic", "hybrid-rrf", "hybrid-linear"] {
        let text =
            std::fs::read_to_string(runs.path().join(format!("{mode}.trec"))).expect("run file");
        let first = text.lines().next().expect("a line");
        let cols: Vec<&str> = first.split_whitespace().collect();
        assert_eq!(cols.len(), 6, "{first}");
        assert_eq!(cols[1], "Q0");
    }
    let qrels = std::fs::read_to_string(runs.path().join("qrels.txt")).expect("qrels");
    assert!(qrels.lines().any(|l| l == "q2 0 d2 1"), "{qrels}");

    // The second run reuses the cached index: the live generation does not change.
    let generation = std::fs::read_link(index.path().join("current")).expect("current link");
    eval_json(&["--beir", beir_dir], index.path());
    assert_eq!(
        std::fs::read_link(index.path().join("current")).expect("link"),
        generation
    );

    // A plain search there answers from the corpus it holds, as after
    // `--source`, instead of replacing it with the shipped list.
    let hits = crate::common::search_json_in(index.path(), &["cheaper video tokens"]);
    assert_eq!(crate::common::ids(&hits)[0], "d2", "{hits}");
    assert_eq!(
        std::fs::read_link(index.path().join("current")).expect("link"),
        generation,
        "the evaluated index was rebuilt by a search"
    );

    // Changing the corpus rebuilds it.
    let mut corpus = std::fs::read_to_string(beir.path().join("corpus.jsonl")).expect("read");
    corpus.push_str("{\"_id\": \"d7\", \"title\": \"Extra\", \"text\": \"One more document.\"}\n");
    std::fs::write(beir.path().join("corpus.jsonl"), corpus).expect("write");
    let report = eval_json(&["--beir", beir_dir], index.path());
    assert_eq!(report["documents"], 7);
}

#[test]
fn several_sets_are_evaluated_into_one_summary() {
    let beir = tempfile::tempdir().expect("temp dir");
    tiny_beir(beir.path());
    let index = tempfile::tempdir().expect("temp dir");
    let runs = tempfile::tempdir().expect("temp dir");
    let beir_dir = beir.path().to_str().expect("utf-8 path");
    let args = ["--shipped", "--beir", beir_dir];
    let mut with_runs = args.to_vec();
    with_runs.extend(["--run-out", runs.path().to_str().expect("utf-8")]);
    let report = eval_json(&with_runs, index.path());
    assert_eq!(report["default_run"], "default");
    let sets = report["sets"].as_array().expect("sets");
    assert_eq!(sets.len(), 2, "{report}");
    assert_eq!(sets[0]["collection"], "shipped list");
    assert_eq!(sets[1]["documents"], 6);
    for set in sets {
        for mode in [
            "keyword",
            "semantic",
            "hybrid-rrf",
            "hybrid-linear",
            "default",
        ] {
            assert!(set["runs"][mode]["ndcg@10"].is_f64(), "{mode}: {set}");
        }
        let best = set["best_leg"].as_str().expect("best_leg");
        assert!(["keyword", "semantic"].contains(&best), "{set}");
    }
    // Each set's run files go to a directory of its own.
    let written: Vec<String> = std::fs::read_dir(runs.path())
        .expect("run dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 2, "{written:?}");
    for dir in &written {
        let trec = runs.path().join(dir).join("default.trec");
        assert!(trec.is_file(), "{}", trec.display());
        assert!(runs.path().join(dir).join("legs.jsonl").is_file());
    }

    // The table: one line per set and per shipped category, the default marked.
    let mut all = vec!["eval"];
    all.extend_from_slice(&args);
    let out = run(index.path(), &all);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = out.stdout;
    assert!(text.contains("default*"), "{text}");
    for line in [
        "shipped list (test)",
        "  paraphrase",
        "  exact",
        "mean over sets",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
    }
}

#[test]
fn tune_picks_on_the_shipped_train_split_and_reports_the_test_split() {
    let index = shared_index();
    let report = eval_json(&["--tune"], index);
    let sets = report["tuning"]["sets"].as_array().expect("tuning sets");
    assert_eq!(sets.len(), 1, "{report}");
    assert_eq!(sets[0][0], "shipped list", "{report}");
    let train_queries = sets[0][1].as_u64().expect("train queries");
    assert!(train_queries >= 50, "{report}");
    // The report is the test split, not the queries tuned on.
    assert_eq!(report["split"], "test", "{report}");
    assert_eq!(report["queries"], 70, "{report}");
    let train = eval_json(&["--split", "train"], index);
    assert_eq!(train["split"], "train", "{train}");
    assert_eq!(train["queries"].as_u64(), Some(train_queries), "{train}");
    let chosen = report["tuning"]["bounded"]["value"]
        .as_f64()
        .expect("alpha");
    assert!((0.0..=1.0).contains(&chosen), "{report}");
}

#[test]
fn the_holdout_split_reports_its_own_queries_and_only_their_categories() {
    let holdout = eval_json(&["--split", "holdout"], shared_index());
    assert_eq!(holdout["split"], "holdout", "{holdout}");
    assert_eq!(holdout["queries"], 40, "{holdout}");
    let categories = holdout["categories"].as_object().expect("categories");
    let mut names: Vec<&str> = categories.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["paraphrase", "topical"], "{holdout}");
    for category in categories.values() {
        assert_eq!(category["queries"], 20, "{holdout}");
    }
}

#[test]
fn eval_errors_are_one_line() {
    let missing = tempfile::tempdir().expect("temp dir");
    for args in [
        vec!["--split", "dev"],
        vec!["--related", "--split", "train"],
        vec!["--beir", missing.path().to_str().expect("utf-8")],
    ] {
        let mut all = vec!["eval"];
        all.extend_from_slice(&args);
        let out = run(shared_index(), &all);
        assert_eq!(out.code, Some(2), "{args:?}");
        one_line(&out.stderr);
    }
}

#[test]
fn semantic_feedback_is_an_eval_lever_and_a_wrong_value_is_refused() {
    let index = shared_index();
    let report = eval_json(&["--feedback", "3:0.3"], index);
    assert_eq!(report["fusion"]["feedback"]["k"], 3, "{report}");
    assert!(report["runs"]["semantic"]["ndcg@10"].is_f64(), "{report}");
    let plain = eval_json(&["--feedback", "off"], index);
    assert!(plain["fusion"]["feedback"].is_null(), "{plain}");
    for wrong in ["3", "0:0.3", "3:2", "many"] {
        let out = run(index, &["eval", "--feedback", wrong]);
        assert_eq!(out.code, Some(2), "{wrong}: {}", out.stderr);
        assert!(
            out.stderr.contains("is not K:WEIGHT"),
            "{wrong}: {}",
            out.stderr
        );
    }
}

#[test]
fn word_feedback_is_on_by_default_an_eval_lever_and_a_wrong_value_is_refused() {
    let index = shared_index();
    let ndcg = |r: &Value, run: &str| r["runs"][run]["ndcg@10"].as_f64().expect("ndcg@10");
    let with = eval_json(&[], index);
    assert_eq!(with["fusion"]["word_feedback"]["papers"], 5, "{with}");
    let without = eval_json(&["--word-feedback", "off"], index);
    assert!(without["fusion"]["word_feedback"].is_null(), "{without}");
    // Only the default (bounded) run feeds words back; the others are the same.
    for run in ["keyword", "semantic", "hybrid-rrf", "hybrid-linear"] {
        assert_eq!(ndcg(&with, run), ndcg(&without, run), "{run}");
    }
    assert!(
        ndcg(&with, "default") > ndcg(&without, "default"),
        "word feedback should help the shipped judgments: {} vs {}",
        ndcg(&with, "default"),
        ndcg(&without, "default")
    );
    for wrong in ["5:10", "0:10:0.9", "5:10:2", "many"] {
        let out = run(index, &["eval", "--word-feedback", wrong]);
        assert_eq!(out.code, Some(2), "{wrong}: {}", out.stderr);
        assert!(
            out.stderr.contains("is not PAPERS:WORDS:KEEP"),
            "{wrong}: {}",
            out.stderr
        );
    }
}

#[test]
fn eval_refuses_to_replace_the_users_own_collection() {
    let index = tempfile::tempdir().expect("temp dir");
    let list = crate::common::fixture("zotero.bib");
    let list = list.to_str().expect("utf-8 path");
    let built = run(index.path(), &["--source", list, "index"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let generation = std::fs::read_link(index.path().join("current")).expect("current link");

    let out = run(index.path(), &["eval"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    let line = one_line(&out.stderr);
    assert!(
        line.contains("zotero.bib") && line.contains("--index-dir"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_link(index.path().join("current")).expect("link"),
        generation,
        "the collection was rebuilt"
    );
    let hits = crate::common::search_json_in(index.path(), &["learning", "--limit", "50"]);
    assert!(
        !crate::common::ids(&hits).contains(&"arxiv2024-llava-prumerge".to_string()),
        "the directory no longer holds the user's list: {hits}"
    );
}
