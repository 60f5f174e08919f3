//! The Milvus backend against a real Milvus (Lite 2.5.1, started per test):
//! the same answers as the embedded engine, every command, faults and
//! interrupted builds. Each index directory is a copy of the shared one, so
//! the Milvus builds reuse its vectors instead of embedding again.

use std::time::Duration;

use crate::common::milvus::Milvus;
use crate::common::{built_index, explained_parts, ids, one_line, run, s, search_json_in, spawn};

/// `mmsearch --backend URL ARGS...` on `index`.
fn on(index: &std::path::Path, url: &str, args: &[&str]) -> crate::common::Outcome {
    let mut all = vec!["--backend", url];
    all.extend_from_slice(args);
    run(index, &all)
}

fn json_on(index: &std::path::Path, url: &str, args: &[&str]) -> serde_json::Value {
    let out = on(index, url, &[args, &["--json"]].concat());
    assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    serde_json::from_str(&out.stdout).expect("valid JSON")
}

/// How many of `these` (ids, words) are also in `those`: how far Milvus's
/// answer agrees with the embedded engine's.
fn in_both(these: &[String], those: &[String]) -> usize {
    these.iter().filter(|x| those.contains(x)).count()
}

fn default_ndcg(report: &serde_json::Value) -> f64 {
    let run = report["default_run"].as_str().expect("default_run");
    report["runs"][run]["ndcg@10"]
        .as_f64()
        .unwrap_or_else(|| panic!("no nDCG@10 for {run} in {report}"))
}

#[test]
fn milvus_answers_the_mission_query_and_the_judgments_as_the_embedded_engine_does() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("papers");
    let built = on(index.path(), &url, &["index"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    assert!(
        built.stdout.contains("reused 78") && built.stdout.contains(&url),
        "vectors of the local index are reused, the collection named: {}",
        built.stdout
    );

    let query = ["efficient video tokens", "--limit", "5"];
    let local = ids(&search_json_in(index.path(), &query));
    let remote = ids(&json_on(index.path(), &url, &query));
    let shared = in_both(&remote, &local);
    assert!(shared >= 4, "top 5 embedded {local:?}, Milvus {remote:?}");

    // Word feedback runs on Milvus too: the same words from the same first
    // papers, sent to Milvus's BM25, and the explanation's three parts add up.
    let query = ["efficient video tokens", "--limit", "8", "--explain"];
    let words = |doc: &serde_json::Value| -> Vec<String> {
        doc["hits"][0]["explain"]["word_feedback"]["words"]
            .as_array()
            .unwrap_or_else(|| panic!("no word feedback: {doc}"))
            .iter()
            .filter_map(|w| w[0].as_str().map(str::to_string))
            .collect()
    };
    let local = search_json_in(index.path(), &query);
    let remote = json_on(index.path(), &url, &query);
    let (local_words, remote_words) = (words(&local), words(&remote));
    let same = in_both(&remote_words, &local_words);
    assert!(
        same >= 8,
        "fed-back words embedded {local_words:?}, Milvus {remote_words:?}"
    );
    let mut found_by_the_words = 0;
    for hit in remote["hits"].as_array().expect("hits") {
        let (parts, fed_back) = explained_parts(hit);
        found_by_the_words += usize::from(fed_back.is_some());
        let score = hit["score"].as_f64().expect("score");
        assert!((parts - score).abs() < 1e-9, "{hit}");
    }
    assert!(found_by_the_words > 0, "{remote}");

    let local_eval = run(index.path(), &["eval", "--shipped", "--json"]).json();
    let remote_eval = on(index.path(), &url, &["eval", "--shipped", "--json"]).json();
    let (local_ndcg, remote_ndcg) = (default_ndcg(&local_eval), default_ndcg(&remote_eval));
    assert!(
        (local_ndcg - remote_ndcg).abs() <= 0.02,
        "shipped nDCG@10 embedded {local_ndcg:.4}, Milvus {remote_ndcg:.4}"
    );
}

#[test]
fn lookups_filters_related_papers_show_and_export_work_on_milvus() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("commands");
    let exact = ids(&json_on(
        index.path(),
        &url,
        &["LLaVA-PruMerge", "--limit", "3"],
    ));
    assert_eq!(exact[0], "arxiv2024-llava-prumerge", "{exact:?}");

    // A filter is a Milvus expression: the same papers pass as locally.
    let filtered = [
        "video", "--year", "2024", "--venue", "cvpr", "--limit", "50",
    ];
    let mut local = ids(&search_json_in(index.path(), &filtered));
    let mut remote = ids(&json_on(index.path(), &url, &filtered));
    assert!(!remote.is_empty());
    local.sort();
    remote.sort();
    assert_eq!(local, remote, "the same papers pass the filter");

    let related = ids(&json_on(
        index.path(),
        &url,
        &["similar", "LLaVA-PruMerge", "--limit", "5"],
    ));
    assert_eq!(related.len(), 5);
    assert!(!related.contains(&"arxiv2024-llava-prumerge".to_string()));
    // More-Like-This picks its words as the embedded leg does, so the
    // related papers are mostly the same.
    let local_related = ids(&run(
        index.path(),
        &["similar", "LLaVA-PruMerge", "--limit", "5", "--json"],
    )
    .json());
    let shared = in_both(&related, &local_related);
    assert!(
        shared >= 4,
        "similar embedded {local_related:?}, Milvus {related:?}"
    );

    let shown = on(index.path(), &url, &["show", "2403.15388"]);
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    assert!(
        shown.stdout.starts_with("LLaVA-PruMerge"),
        "{}",
        shown.stdout
    );

    let exported = on(index.path(), &url, &["export", "--format", "jsonl"]);
    assert_eq!(exported.code, Some(0), "{}", exported.stderr);
    assert_eq!(exported.stdout.lines().count(), 78);

    let explained = on(index.path(), &url, &["efficient video tokens", "--explain"]);
    assert!(
        explained
            .stdout
            .contains("BM25 / the best BM25 the query could give"),
        "{}",
        explained.stdout
    );
}

#[test]
fn a_stopped_milvus_is_one_line_and_exit_2_and_a_restarted_one_answers_again() {
    let Some(mut milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("faults");
    let first = ids(&json_on(index.path(), &url, &["video", "--limit", "3"]));
    milvus.stop();
    for args in [&["video"][..], &["index"], &["similar", "LLaVA-PruMerge"]] {
        let out = on(index.path(), &url, args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        let line = one_line(&out.stderr);
        assert!(
            line.contains(&url["milvus://".len()..].replace("/faults", "")),
            "names the address: {line}"
        );
    }
    milvus.restart();
    let again = ids(&json_on(index.path(), &url, &["video", "--limit", "3"]));
    assert_eq!(first, again, "the collection survived the restart");
}

#[test]
fn a_killed_index_run_leaves_the_previous_collection_answering() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("killed");
    let before = ids(&json_on(
        index.path(),
        &url,
        &["video tokens", "--limit", "5"],
    ));
    // A build that reuses every vector takes well under a second, nearly
    // all of it in Milvus; kills spread over it land at different steps.
    for delay in [0, 60, 120, 180, 240, 300, 400, 600] {
        let mut child = spawn(index.path(), &["--backend", &url, "index"]);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let after = ids(&json_on(
            index.path(),
            &url,
            &["video tokens", "--limit", "5"],
        ));
        assert_eq!(before, after, "killed after {delay} ms");
    }
    let rebuilt = on(index.path(), &url, &["index"]);
    assert_eq!(rebuilt.code, Some(0), "{}", rebuilt.stderr);
    let last = ids(&json_on(
        index.path(),
        &url,
        &["video tokens", "--limit", "5"],
    ));
    assert_eq!(before, last);
}

#[test]
fn a_changed_list_rebuilds_the_milvus_collection_saying_why() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("lists");
    let shipped = on(index.path(), &url, &["index"]);
    assert_eq!(shipped.code, Some(0), "{}", shipped.stderr);
    let list = crate::common::fixture("zotero.bib");
    let own = on(index.path(), &url, &["--source", s(&list), "index"]);
    assert_eq!(own.code, Some(0), "{}", own.stderr);
    // The collection remembers its source, as an index directory does: a
    // plain query searches it, not the shipped list.
    let hits = json_on(index.path(), &url, &["learning", "--limit", "50"]);
    assert!(
        !ids(&hits).contains(&"arxiv2024-llava-prumerge".to_string()),
        "{hits}"
    );
    let back = on(index.path(), &url, &["index", "--shipped"]);
    assert_eq!(back.code, Some(0), "{}", back.stderr);
    assert!(back.stdout.contains("indexed 78 papers"), "{}", back.stdout);
}

/// `mmsearch serve --backend` answers from the Milvus collection what the
/// commands answer in-process, a command on the same collection asks it, a
/// command on the embedded index does not, and a new generation written by
/// `mmsearch index` goes live in the running server.
#[test]
fn serve_on_milvus_answers_as_the_commands_and_follows_new_generations() {
    let Some(mut milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("served");
    let built = on(index.path(), &url, &["index"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let mut server = crate::common::server::Server::start_args(
        index.path(),
        "127.0.0.1:0",
        &["--backend", &url],
    );
    let (status, health) = server.get_json("/api/health");
    assert_eq!(status, 200);
    assert_eq!(health["papers"], 78, "{health}");
    assert_eq!(health["backend"], url.as_str(), "{health}");
    let before = health["generation"].as_str().unwrap_or("").to_string();
    assert!(
        before.starts_with("served_g"),
        "the Milvus collection: {health}"
    );

    let query = ["efficient video tokens", "--limit", "10"];
    let in_process = on(
        index.path(),
        &url,
        &[&query[..], &["--json", "--no-server"]].concat(),
    );
    assert_eq!(in_process.code, Some(0), "{}", in_process.stderr);
    let (status, served) = server.get_json("/api/search?q=efficient+video+tokens&limit=10");
    assert_eq!(status, 200, "{served}");
    assert_eq!(
        ids(&served),
        ids(&in_process.json()),
        "server and command agree"
    );
    let asked = on(index.path(), &url, &[&query[..], &["--json"]].concat());
    assert_eq!(
        asked.stdout, in_process.stdout,
        "through the server, byte for byte"
    );
    let requests = |server: &crate::common::server::Server| {
        server.get_json("/api/health").1["requests"]
            .as_u64()
            .unwrap_or(0)
    };
    let counted = requests(&server);
    let embedded = run(index.path(), &["--json", "efficient video tokens"]);
    assert_eq!(embedded.code, Some(0), "{}", embedded.stderr);
    assert_eq!(
        requests(&server),
        counted + 1,
        "a command on the embedded index is not sent to the Milvus server (only this health check was)"
    );

    let (status, map) = server.get_json("/api/map");
    assert_eq!(status, 200, "{map}");
    let points = map["points"].as_array().map(Vec::len);
    assert_eq!(
        points,
        Some(78),
        "every paper on the map, its vector read from Milvus"
    );

    // A smaller list written into the collection from another command.
    let list = crate::common::fixture("zotero.bib");
    let rebuilt = on(index.path(), &url, &["--source", s(&list), "index"]);
    assert_eq!(rebuilt.code, Some(0), "{}", rebuilt.stderr);
    let mut swapped = None;
    for _ in 0..100 {
        let (_, health) = server.get_json("/api/health");
        if health["generation"] != before.as_str() {
            swapped = Some(health);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = swapped.unwrap_or_else(|| panic!("no new generation: {}", server.stderr()));
    assert!(health["papers"].as_u64().unwrap_or(0) < 78, "{health}");
    let (_, after) = server.get_json("/api/search?q=learning&limit=50");
    let cli = json_on(
        index.path(),
        &url,
        &["learning", "--limit", "50", "--no-server"],
    );
    assert_eq!(
        ids(&after),
        ids(&cli),
        "the server answers from the new collection"
    );

    // Milvus down: a 502 naming it, the server stays up and answers again
    // once Milvus is back.
    milvus.stop();
    let (status, down) = server.get_json("/api/search?q=learning");
    assert_eq!(status, 502, "{down}");
    assert!(
        down["error"]
            .as_str()
            .is_some_and(|e| e.contains("Milvus at")),
        "{down}"
    );
    milvus.restart();
    let (status, back) = server.get_json("/api/search?q=learning&limit=50");
    assert_eq!(status, 200, "{back}");
    assert_eq!(ids(&back), ids(&cli));
    assert!(server.terminate().success(), "{}", server.stderr());
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

/// On a collection larger than a leg's 100 candidates, a paper the keyword
/// leg found and the vector top 100 missed is fused with its real cosine
/// (not as if unrelated in meaning), on Milvus as in the embedded engine.
#[test]
fn keyword_hits_past_the_vector_top_100_carry_their_cosine_on_milvus_as_embedded() {
    let corpus = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/scifact/corpus.jsonl");
    let Ok(text) = std::fs::read_to_string(&corpus) else {
        eprintln!("skipped: no {}", corpus.display());
        return;
    };
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let subset = data.path().join("corpus.jsonl");
    let first: Vec<&str> = text.lines().take(300).collect();
    std::fs::write(&subset, first.join("\n") + "\n").expect("write subset");
    let index = tempfile::tempdir().expect("temp dir");
    let local_build = run(index.path(), &["--source", s(&subset), "index"]);
    assert_eq!(local_build.code, Some(0), "{}", local_build.stderr);
    let url = milvus.url("subset");
    let remote_build = on(index.path(), &url, &["--source", s(&subset), "index"]);
    assert_eq!(remote_build.code, Some(0), "{}", remote_build.stderr);

    let query = [
        "cell protein expression in patients",
        "--limit",
        "100",
        "--explain",
    ];
    let local = search_json_in(index.path(), &query);
    let remote = json_on(index.path(), &url, &query);
    for (name, doc) in [("embedded", &local), ("Milvus", &remote)] {
        let hits = doc["hits"].as_array().expect("hits");
        let keyword_hits: Vec<&serde_json::Value> =
            hits.iter().filter(|h| h["keyword_rank"].is_u64()).collect();
        assert!(
            keyword_hits.iter().all(|h| h["semantic_rank"].is_u64()),
            "{name}: a keyword hit without a cosine"
        );
        let past = keyword_hits
            .iter()
            .filter(|h| h["semantic_rank"].as_u64().is_some_and(|r| r > 100))
            .count();
        assert!(
            past > 0,
            "{name}: every keyword hit was in the vector top 100"
        );
        // The explanation says which cosines the vector leg did not return.
        for hit in hits {
            let past_top = &hit["explain"]["semantic"]["past_top"];
            match hit["semantic_rank"].as_u64() {
                Some(rank) if rank > 100 => assert_eq!(past_top, 100, "{name}: {hit}"),
                _ => assert!(past_top.is_null(), "{name}: {hit}"),
            }
        }
    }
    let (local, remote) = (ids(&local), ids(&remote));
    let shared = in_both(&remote[..10], &local[..10]);
    assert!(shared >= 8, "top 10 embedded {local:?}, Milvus {remote:?}");
}

/// A remembered source that has gone missing: search keeps answering from
/// the Milvus collection as last built (not from the index directory's own
/// index of another list), saying why.
#[test]
fn a_missing_remembered_source_searches_the_milvus_collection_as_last_built() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let index = built_index();
    let url = milvus.url("gone");
    let list = index.path().join("mine.bib");
    std::fs::copy(crate::common::fixture("zotero.bib"), &list).expect("copy list");
    let built = on(index.path(), &url, &["--source", s(&list), "index"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let before = ids(&json_on(index.path(), &url, &["learning", "--limit", "50"]));
    assert!(!before.is_empty());
    std::fs::remove_file(&list).expect("remove list");
    let out = on(index.path(), &url, &["learning", "--limit", "50", "--json"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("searching the index as last built"),
        "{}",
        out.stderr
    );
    assert_eq!(
        ids(&out.json()),
        before,
        "the collection's papers, not the shipped list's"
    );
}

/// A collection whose records do not fit one answer: 80 papers of 60,000
/// characters are 4.8 MB, more than the 4 MiB the client takes in one
/// message, so they are read back (at open, and for reuse by the next
/// build) in smaller batches; every paper is found by its own word.
#[test]
fn long_abstracts_are_read_back_from_milvus_in_answers_that_fit() {
    let Some(milvus) = Milvus::start() else {
        return;
    };
    let data = tempfile::tempdir().expect("temp dir");
    let source = data.path().join("long.jsonl");
    let vocabulary = [
        "turbulent",
        "boundary",
        "layer",
        "shock",
        "wave",
        "nozzle",
        "pressure",
        "heat",
        "transfer",
        "wing",
        "supersonic",
        "laminar",
        "flow",
        "surface",
        "viscous",
        "jet",
    ];
    let mut lines = Vec::new();
    for paper in 0..80usize {
        let mut text = format!("marker{paper}x appears first. ");
        let mut n = paper;
        while text.len() < 60_000 {
            n = n.wrapping_mul(2_654_435_761).wrapping_add(97) % 1_000_003;
            text.push_str(vocabulary[n % vocabulary.len()]);
            text.push(' ');
        }
        lines.push(
            serde_json::json!({
                "title": format!("Long report {paper} on {}", vocabulary[paper % 16]),
                "year": 1960 + (paper % 10),
                "abstract": text,
            })
            .to_string(),
        );
    }
    std::fs::write(&source, lines.join("\n") + "\n").expect("write source");
    let index = tempfile::tempdir().expect("temp dir");
    let url = milvus.url("long");
    let built = on(index.path(), &url, &["--source", s(&source), "index"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);

    for paper in [0, 41, 79] {
        let doc = json_on(
            index.path(),
            &url,
            &[
                "--source",
                s(&source),
                &format!("marker{paper}x"),
                "-n",
                "3",
            ],
        );
        assert_eq!(
            doc["hits"][0]["title"],
            format!("Long report {paper} on {}", vocabulary[paper % 16]),
            "{doc}"
        );
    }
    // A rebuild reads every record and vector back to reuse them.
    let mut changed = lines.clone();
    changed[0] = changed[0].replace("Long report 0 on", "Long report zero on");
    std::fs::write(&source, changed.join("\n") + "\n").expect("write source");
    let rebuilt = on(index.path(), &url, &["--source", s(&source), "index"]);
    assert_eq!(rebuilt.code, Some(0), "{}", rebuilt.stderr);
    assert!(rebuilt.stdout.contains("reused 79"), "{}", rebuilt.stdout);
}
