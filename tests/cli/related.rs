//! Related papers, filters, explanations, snippets, typo tolerance and the
//! output formats, through the real binary over the shipped list.

use crate::common::{explained_parts, ids, mmsearch, run, run_cmd, search_json, shared_index};
use serde_json::Value;

fn run_json(args: &[&str]) -> Value {
    run(shared_index(), args).json()
}

fn similar(args: &[&str]) -> Vec<String> {
    let mut all = vec!["similar", "--json"];
    all.extend_from_slice(args);
    ids(&run_json(&all))
}

fn count_in(hits: &[String], wanted: &[&str]) -> usize {
    hits.iter().filter(|h| wanted.contains(&h.as_str())).count()
}

#[test]
fn related_papers_from_three_sections_look_right() {
    // MovieChat makes long videos fit a chat model: its neighbours are the other video LLMs.
    let video = similar(&["MovieChat", "-n", "5"]);
    let video_llms = [
        "emnlp2023-testa",
        "arxiv2023-llama-vid",
        "cvpr2024-chat-univi",
        "arxiv2024-lstp",
        "arxiv2023-valley",
        "arxiv2023-video-chatgpt",
        "arxiv2023-videochat",
        "emnlp2023-video-llama",
        "arxiv2023-videochat2",
    ];
    assert!(count_in(&video, &video_llms) >= 3, "{video:?}");
    // MiniLLM distils large language models: the other distillation papers come first.
    let distil = similar(&["iclr2024-minillm", "-n", "5"])
        .into_iter()
        .take(5)
        .collect::<Vec<_>>();
    let distillation = [
        "emnlp2016-seq-kd",
        "arxiv2020-imitkd",
        "iclr2024-gkd",
        "acl2023-f-distill",
        "arxiv2023-distillspec",
        "arxiv2023-minima",
    ];
    assert!(count_in(&distil, &distillation) >= 3, "{distil:?}");
    // Vision Mamba applies state space models to images: Mamba and VideoMamba are its kin.
    let vim = similar(&["2401.09417", "-n", "5"]);
    assert!(
        count_in(&vim, &["arxiv2023-mamba", "arxiv2024-videomamba"]) >= 1,
        "{vim:?}"
    );
}

#[test]
fn similar_gives_the_same_list_every_time() {
    // Each run is a new process (a new hash seed): the keyword leg alone and
    // the fused list must come back identical, order and scores, every time.
    for mode in ["keyword", "hybrid"] {
        for papers in [&["LLaVA-PruMerge"][..], &["MovieChat", "2307.16449"][..]] {
            let mut args = vec!["similar", "--json", "-n", "40", "--mode", mode];
            args.extend_from_slice(papers);
            let first = run_json(&args);
            assert!(ids(&first).len() >= 20, "{mode} {papers:?}: {first}");
            for _ in 0..3 {
                assert_eq!(run_json(&args), first, "{mode} {papers:?}");
            }
        }
    }
}

#[test]
fn similar_never_returns_the_paper_or_an_entry_merged_into_it() {
    let cases = [
        ("arxiv2023-otterhd", "arxiv2023-otterhd"),
        ("MagnifierBench", "arxiv2023-otterhd"),
        ("MVBench", "arxiv2023-videochat2"),
        ("LLaVA-PruMerge", "arxiv2024-llava-prumerge"),
    ];
    for (reference, own) in cases {
        let hits = similar(&[reference, "-n", "77"]);
        assert!(!hits.iter().any(|h| h == own), "{reference}: {hits:?}");
        assert_eq!(hits.len(), 77, "every other paper can be listed");
    }
}

#[test]
fn several_papers_and_pasted_text() {
    let both = similar(&["iclr2024-minillm", "iclr2024-gkd", "-n", "4"]);
    assert!(
        !both.contains(&"iclr2024-minillm".to_string())
            && !both.contains(&"iclr2024-gkd".to_string())
    );
    assert!(
        count_in(
            &both,
            &[
                "emnlp2016-seq-kd",
                "arxiv2020-imitkd",
                "acl2023-f-distill",
                "arxiv2023-distillspec",
                "arxiv2023-minima"
            ]
        ) >= 3,
        "{both:?}"
    );
    let text = "We compress the visual tokens of each video frame so that a language model can watch hour-long movies within its context window.";
    let pasted = similar(&["--text", text, "-n", "5"]);
    assert!(
        count_in(
            &pasted,
            &[
                "cvpr2024-moviechat",
                "arxiv2023-llama-vid",
                "emnlp2023-testa",
                "cvpr2024-chat-univi",
                "arxiv2024-lstp"
            ]
        ) >= 2,
        "{pasted:?}"
    );
}

#[test]
fn unknown_paper_lists_the_closest_titles() {
    let out = run(
        shared_index(),
        &["similar", "Segmenting Everything in Contxt"],
    );
    assert_eq!(
        out.code,
        Some(0),
        "a near-miss title still resolves: {}",
        out.stderr
    );
    let out = run(shared_index(), &["similar", "Attention Is All You Need"]);
    assert_eq!(out.code, Some(2));
    let err = &out.stderr;
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no paper matches") && err.contains("closest:"),
        "{err}"
    );
}

#[test]
fn filters_still_fill_the_limit() {
    // 13 papers sit in the video section; an image query must still return 10 of them.
    let doc = search_json(&["--section", "video", "--limit", "10", "image generation"]);
    let hits = doc["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 10);
    for h in hits {
        assert!(
            h["sections"]
                .as_array()
                .expect("sections")
                .iter()
                .any(|s| s.as_str().unwrap_or("").contains("Video")),
            "{h}"
        );
    }
    let doc = search_json(&["--year", "2024", "--limit", "15", "language"]);
    let hits = doc["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 15);
    assert!(hits.iter().all(|h| h["year"] == 2024));
    let doc = search_json(&[
        "--year",
        "2020..2022",
        "--venue",
        "arxiv",
        "-n",
        "10",
        "video",
    ]);
    let years: Vec<u64> = doc["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["year"].as_u64().unwrap_or(0))
        .collect();
    assert!(
        !years.is_empty() && years.iter().all(|y| (2020..=2022).contains(y)),
        "{years:?}"
    );
    let doc = search_json(&["--author", "xinlong wang", "-n", "5", "segmentation"]);
    for h in doc["hits"].as_array().expect("hits") {
        assert!(
            h["authors"]
                .as_array()
                .expect("authors")
                .iter()
                .any(|a| a == "Xinlong Wang"),
            "{h}"
        );
    }
    let related = similar(&["MovieChat", "--year", "2024", "-n", "5"]);
    assert_eq!(related.len(), 5);
    assert!(related.iter().all(|id| id.contains("2024")), "{related:?}");
}

#[test]
fn explain_adds_up() {
    let doc = search_json(&[
        "--explain",
        "--fusion",
        "rrf",
        "--rrf-k",
        "60",
        "-n",
        "5",
        "efficient video tokens",
    ]);
    for hit in doc["hits"].as_array().expect("hits") {
        let e = &hit["explain"];
        assert_eq!(e["fusion"]["method"], "rrf");
        let k = e["fusion"]["k"].as_f64().expect("k");
        let mut recomputed = 0.0;
        for leg in ["keyword", "semantic"] {
            if let Some(rank) = e[leg]["rank"].as_u64() {
                recomputed += 1.0 / (k + rank as f64);
                assert_eq!(hit[format!("{leg}_rank")].as_u64(), Some(rank));
            }
        }
        let score = hit["score"].as_f64().expect("score");
        assert!(
            (recomputed - score).abs() < 1e-9,
            "{recomputed} vs {score}: {e}"
        );
        assert!(
            e["fusion"]["formula"]
                .as_str()
                .expect("formula")
                .contains("1/(60+")
        );
    }
    let doc = search_json(&[
        "--explain",
        "--fusion",
        "linear",
        "--alpha",
        "0.3",
        "-n",
        "5",
        "knowledge distillation",
    ]);
    for hit in doc["hits"].as_array().expect("hits") {
        let e = &hit["explain"];
        let parts: f64 = ["keyword", "semantic"]
            .iter()
            .filter_map(|l| e[*l]["contribution"].as_f64())
            .sum();
        assert!(
            (parts - hit["score"].as_f64().expect("score")).abs() < 1e-9,
            "{e}"
        );
        assert_eq!(e["fusion"]["alpha"], 0.3);
    }
    // The default, bounded fusion with word feedback: each part is the leg's
    // weight times its score over what it could be at most (cosine: 1), the
    // keyword share split between the query's words and the words fed back
    // from the first results, and the three add up.
    let doc = search_json(&["--explain", "-n", "8", "state space models for vision"]);
    let mut fed_back_found = 0;
    for hit in doc["hits"].as_array().expect("hits") {
        let e = &hit["explain"];
        assert_eq!(e["fusion"]["method"], "bounded", "{e}");
        let alpha = e["fusion"]["alpha"].as_f64().expect("alpha");
        let words = &e["word_feedback"];
        let keep = words["keep"].as_f64().expect("word feedback ran");
        let listed = words["words"].as_array().expect("words");
        assert!(!listed.is_empty(), "{e}");
        let weights: f64 = listed.iter().filter_map(|w| w[1].as_f64()).sum();
        assert!((weights - 1.0).abs() < 1e-4, "{e}");
        for (word, _) in listed
            .iter()
            .filter_map(|w| w[0].as_str().zip(w[1].as_f64()))
        {
            assert!(
                !["state", "space", "model", "vision"].contains(&word),
                "{e}"
            );
        }
        let (parts, fed_back) = explained_parts(hit);
        fed_back_found += usize::from(fed_back.is_some());
        let score = hit["score"].as_f64().expect("score");
        assert!((parts - score).abs() < 1e-9, "{e}");
        if let Some(cosine) = e["semantic"]["score"].as_f64() {
            let part = e["semantic"]["contribution"].as_f64().expect("part");
            assert!((part - alpha * cosine).abs() < 1e-6, "{e}");
        }
        if let Some(part) = e["keyword"]["contribution"].as_f64() {
            assert!((0.0..=(1.0 - alpha) * keep + 1e-9).contains(&part), "{e}");
        }
        if let Some(part) = fed_back {
            assert!(
                (0.0..=(1.0 - alpha) * (1.0 - keep) + 1e-9).contains(&part),
                "{e}"
            );
        }
    }
    assert!(
        fed_back_found > 0,
        "the fed-back words found none of the first 8: {doc}"
    );
}

#[test]
fn snippets_highlight_the_query_words() {
    let doc = search_json(&["-n", "3", "token merging"]);
    let hit = &doc["hits"][0];
    assert_eq!(hit["id"], "iclr2023-tome");
    let text = hit["snippet"]["text"].as_str().expect("snippet text");
    let ranges = hit["snippet"]["highlights"].as_array().expect("highlights");
    assert!(!ranges.is_empty());
    for r in ranges {
        let (start, end) = (
            r["start"].as_u64().expect("start") as usize,
            r["end"].as_u64().expect("end") as usize,
        );
        let word = text[start..end].to_lowercase();
        assert!(
            word.starts_with("merg") || word.starts_with("token"),
            "{word:?} in {text}"
        );
    }
}

#[test]
fn a_misspelt_word_still_matches() {
    let doc = search_json(&["segmnt anything in context"]);
    assert_eq!(ids(&doc)[0], "iccv2023-seggpt");
    let misspelt = ids(&search_json(&[
        "--mode",
        "keyword",
        "distilation of langage models",
    ]));
    let spelt = ids(&search_json(&[
        "--mode",
        "keyword",
        "distillation of language models",
    ]));
    assert!(
        misspelt[..5].contains(&"iclr2024-minillm".to_string()),
        "{misspelt:?}"
    );
    assert_eq!(
        misspelt[..5],
        spelt[..5],
        "the misspelt query finds what the spelt one does"
    );
}

#[test]
fn jsonl_and_bibtex_formats() {
    let out = run(
        shared_index(),
        &["--format", "jsonl", "-n", "4", "video benchmark"],
    );
    let text = &out.stdout;
    assert_eq!(text.lines().count(), 4);
    for line in text.lines() {
        let hit: Value = serde_json::from_str(line).expect("one JSON hit per line");
        assert!(hit["id"].is_string());
    }
    let out = run(
        shared_index(),
        &["--format", "bibtex", "-n", "5", "efficient video tokens"],
    );
    let parsed = biblatex::Bibliography::parse(&out.stdout).expect("BibTeX parses back");
    assert_eq!(parsed.len(), 5);
    let llama_vid = parsed.get("arxiv2023-llama-vid").expect("LLaMA-VID entry");
    let eprint = llama_vid.get("eprint").expect("eprint field");
    assert_eq!(biblatex::ChunksExt::format_verbatim(eprint), "2311.17043");
    let moviechat = parsed.get("cvpr2024-moviechat").expect("MovieChat entry");
    assert_eq!(
        moviechat.entry_type.to_string().to_lowercase(),
        "inproceedings"
    );
}

#[test]
fn show_prints_the_whole_entry() {
    let out = run(shared_index(), &["show", "MVBench"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = &out.stdout;
    assert!(text.starts_with("MVBench: A Comprehensive Multi-modal Video Understanding Benchmark"));
    for part in [
        "arXiv2023_VideoChat2",
        "arXiv2023_MVBench",
        "Related Benchmark",
        "Kunchang Li",
        "https://github.com/OpenGVLab/Ask-Anything",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let doc = run_json(&["show", "--json", "2403.15388"]);
    assert_eq!(doc["id"], "arxiv2024-llava-prumerge");
    assert!(doc["abstract"].as_str().expect("abstract").len() > 200);
    assert_eq!(
        run(shared_index(), &["show", "no such paper at all"]).code,
        Some(2)
    );
}

#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_cmd(mmsearch().args(["completions", shell]), &[shell]);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        let script = &out.stdout;
        assert!(
            script.contains("mmsearch") && script.contains("similar"),
            "{shell}"
        );
    }
}
