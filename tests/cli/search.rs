//! Searching the shipped list through the real binary, real model and real
//! index: the answers a researcher would check by eye.

use crate::common::{ids, mmsearch, run, run_cmd, search_json, shared_index};

const EFFICIENT_VIDEO: [&str; 4] = [
    "arxiv2023-llama-vid",
    "emnlp2023-testa",
    "cvpr2024-chat-univi",
    "cvpr2024-moviechat",
];

#[test]
fn mission_query_finds_papers_that_make_video_tokens_cheaper() {
    let doc = search_json(&["efficient video tokens"]);
    let top5 = &ids(&doc)[..5];
    let found = EFFICIENT_VIDEO
        .iter()
        .filter(|id| top5.iter().any(|t| t == *id))
        .count();
    assert!(
        found >= 3,
        "top 5 {top5:?} holds only {found} of {EFFICIENT_VIDEO:?}"
    );
}

#[test]
fn query_words_may_be_given_unquoted() {
    let quoted = ids(&search_json(&["efficient video tokens"]));
    let unquoted = ids(&search_json(&["efficient", "video", "tokens"]));
    assert_eq!(quoted, unquoted);
    let sub = run_cmd(
        mmsearch()
            .args(["search", "--json", "--index-dir"])
            .arg(shared_index())
            .arg("efficient video tokens"),
        &["search"],
    )
    .json();
    assert_eq!(
        quoted,
        ids(&sub),
        "`mmsearch search QUERY` is the same as `mmsearch QUERY`"
    );
}

#[test]
fn exact_lookups_come_first_in_hybrid_and_keyword_mode() {
    let cases = [
        ("LLaVA-PruMerge", "arxiv2024-llava-prumerge"),
        ("llava prumerge", "arxiv2024-llava-prumerge"),
        ("Llama 2", "arxiv2023-llama-2"),
        ("2403.15388", "arxiv2024-llava-prumerge"),
        ("2311.17005", "arxiv2023-videochat2"),
        ("MagnifierBench", "arxiv2023-otterhd"),
        ("Token Merging: Your ViT But Faster", "iclr2023-tome"),
        ("Generative Powers of Ten", "cvpr2024-powers-of-ten"),
    ];
    for (query, expected) in cases {
        for mode in ["hybrid", "keyword"] {
            let doc = search_json(&["--mode", mode, query]);
            assert_eq!(ids(&doc)[0], expected, "{query:?} in {mode} mode");
            assert_eq!(doc["hits"][0]["exact_match"], true);
        }
    }
}

#[test]
fn an_author_name_brings_that_authors_papers_first() {
    // Muhammad Maaz is on three shipped papers; the semantic leg cannot read
    // a name, so without the author rule unrelated papers came between them.
    for query in ["Muhammad Maaz", "maaz"] {
        let doc = search_json(&["--explain", "-n", "5", query]);
        let hits = doc["hits"].as_array().expect("hits");
        let by_author = |h: &serde_json::Value| {
            h["authors"]
                .as_array()
                .expect("authors")
                .iter()
                .any(|a| a == "Muhammad Maaz")
        };
        assert!(
            hits[..3].iter().all(by_author),
            "{query:?}: {:?}",
            ids(&doc)
        );
        assert!(!hits[3..].iter().any(by_author), "{query:?}");
        assert_eq!(hits[0]["explain"]["fusion"]["author_match_first"], true);
        assert_eq!(hits[3]["explain"]["fusion"]["author_match_first"], false);
    }
}

#[test]
fn topic_queries_written_from_the_abstracts() {
    // (query, papers that must all be in the top 5)
    let cases: [(&str, &[&str]); 5] = [
        (
            "state space model for visual representation",
            &["arxiv2024-vim"],
        ),
        ("segmenting everything in context", &["iccv2023-seggpt"]),
        (
            "pixel-level grounding with a large multimodal model",
            &["cvpr2024-glamm", "arxiv2023-pg-video-llava"],
        ),
        (
            "knowledge distillation of large language models",
            &["iclr2024-minillm", "iclr2024-gkd"],
        ),
        (
            "visual agent that operates graphical user interfaces",
            &["arxiv2023-cogagent"],
        ),
    ];
    for (query, expected) in cases {
        let top5 = ids(&search_json(&["--limit", "5", query]));
        for id in expected {
            assert!(
                top5.iter().any(|t| t == id),
                "{query:?}: {id} not in {top5:?}"
            );
        }
    }
    // The two other state space papers are on the first page, not in the top
    // 5: read whole, Mamba's abstract is about language, audio and genomics
    // (its cosine to "visual representation" .32), and the generic "visual
    // representation" papers match more of the query's words.
    let top10 = ids(&search_json(&[
        "--limit",
        "10",
        "state space model for visual representation",
    ]));
    for id in ["arxiv2023-mamba", "arxiv2024-videomamba"] {
        assert!(top10.iter().any(|t| t == id), "{id} not in {top10:?}");
    }
}

#[test]
fn semantic_search_understands_words_the_papers_do_not_use() {
    // None of the distillation abstracts says "teacher student shrink".
    let doc = search_json(&[
        "--mode",
        "semantic",
        "--limit",
        "5",
        "make a small model learn from a big one",
    ]);
    let sections: Vec<String> = doc["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["sections"][0].as_str().unwrap_or_default().to_string())
        .collect();
    let distillation = sections
        .iter()
        .filter(|s| *s == "Large Model Distillation")
        .count();
    assert!(distillation >= 3, "top 5 sections: {sections:?}");
}

#[test]
fn json_output_has_the_documented_shape() {
    let doc = search_json(&["--limit", "3", "video benchmark"]);
    assert_eq!(doc["query"], "video benchmark");
    assert_eq!(doc["mode"], "hybrid");
    let hits = doc["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 3);
    for hit in hits {
        for key in ["id", "title"] {
            assert!(hit[key].is_string(), "{key} in {hit}");
        }
        for key in ["tags", "authors", "sections", "links"] {
            assert!(hit[key].is_array(), "{key} in {hit}");
        }
        assert!(hit["score"].is_f64());
        assert!(hit["year"].is_u64());
        assert!(hit["venue"].is_string());
        assert!(hit["arxiv_id"].is_string() || hit["arxiv_id"].is_null());
        for key in ["keyword_rank", "semantic_rank"] {
            assert!(hit[key].is_u64() || hit[key].is_null(), "{key} in {hit}");
        }
    }
    // The merged paper reports all its seed tags and both sections.
    let doc = search_json(&["--limit", "1", "MVBench"]);
    let tags = &doc["hits"][0]["tags"];
    assert_eq!(
        tags,
        &serde_json::json!(["arXiv2023_VideoChat2", "arXiv2023_MVBench"])
    );
}

#[test]
fn keyword_and_semantic_modes_report_only_their_own_rank() {
    let doc = search_json(&["--mode", "keyword", "--limit", "3", "video"]);
    for hit in doc["hits"].as_array().expect("hits") {
        assert!(hit["keyword_rank"].is_u64());
        assert!(hit["semantic_rank"].is_null());
    }
    let doc = search_json(&["--mode", "semantic", "--limit", "3", "video"]);
    for hit in doc["hits"].as_array().expect("hits") {
        assert!(hit["semantic_rank"].is_u64());
        assert!(hit["keyword_rank"].is_null());
    }
}

#[test]
fn linear_fusion_is_available_and_alpha_one_equals_semantic_order() {
    let semantic = ids(&search_json(&[
        "--mode",
        "semantic",
        "long video understanding",
    ]));
    let linear = ids(&search_json(&[
        "--fusion",
        "linear",
        "--alpha",
        "1",
        "long video understanding",
    ]));
    assert_eq!(semantic, linear);
}

#[test]
fn human_output_lists_rank_title_venue_section_link_and_abstract() {
    let out = run(shared_index(), &["--limit", "2", "LLaMA-VID"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = &out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(" 1. LLaMA-VID: An Image is Worth 2 Tokens"),
        "{text}"
    );
    assert!(lines[1].contains("arXiv 2023") && lines[1].contains("Large Video Multimodal Model"));
    assert!(lines[1].contains("https://arxiv.org/abs/2311.17043"));
    // The third line is a passage of the abstract with the query's words in it.
    assert!(
        lines[2].trim_start().starts_with('…') && lines[2].contains("LLaMA-VID"),
        "{text}"
    );
    assert!(
        !lines[2].contains("https://"),
        "links are left out of snippets: {text}"
    );
    assert!(!text.contains('\x1b'), "no colour codes when piped");
    assert!(text.contains("\n 2. "));
}

#[test]
fn limit_is_respected() {
    assert_eq!(ids(&search_json(&["--limit", "7", "vision"])).len(), 7);
    assert_eq!(ids(&search_json(&["-n", "1", "vision"])).len(), 1);
}

#[test]
fn a_quoted_phrase_ranks_the_paper_that_has_it_first() {
    // Unquoted, "image generation" finds Generative Powers of Ten first
    // (both words, never side by side); quoted, the paper whose title says
    // "Scalable Image Generation" comes first, in hybrid and keyword mode.
    for mode in ["hybrid", "keyword"] {
        let doc = search_json(&["--mode", mode, "-n", "3", "\"image generation\""]);
        let top = &doc["hits"][0];
        assert_eq!(top["id"], "arxiv2024-var", "{mode}: {:?}", ids(&doc));
        let text = format!("{} {}", top["title"], top["abstract"]).to_lowercase();
        assert!(text.contains("image generation"), "{mode}: {text}");
    }
    let unquoted = ids(&search_json(&["-n", "3", "image generation"]));
    assert_ne!(unquoted[0], "arxiv2024-var", "{unquoted:?}");
}
