//! Query latency per mode on SciFact (5,183 abstracts), or on the shipped
//! list when the SciFact data is absent. Each iteration runs the next of a
//! fixed set of 20 judged test queries, so the figures are means over them.
//!
//! The index is cached in `target/bench-index/<collection>` and built on the
//! first run (a few minutes of embedding for SciFact);
//! `MMSEARCH_BENCH_SCIFACT_INDEX` points at another SciFact index directory.
//!
//! Run: `cargo bench --bench query`

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mmsearch::search::engine::{Mode, SearchOptions};
use mmsearch::search::feedback::Feedback;
use mmsearch::search::fusion::Fusion;

const QUERIES: usize = 20;

fn options(mode: Mode) -> SearchOptions {
    SearchOptions {
        mode,
        fusion: Fusion::Rrf { k: 60.0 },
        ..SearchOptions::default()
    }
}

fn bench_queries(c: &mut Criterion) {
    let collection = common::collection(None);
    let engine = common::open_engine(&collection);
    let queries = common::queries(&collection, QUERIES);
    assert!(!queries.is_empty(), "no test queries");
    let vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| engine.embed_query(q).expect("query embedded"))
        .collect();
    eprintln!(
        "mmsearch bench: {} documents, {} queries cycled, limit 10, depth {}",
        engine.papers().len(),
        queries.len(),
        SearchOptions::default().depth
    );

    let mut group = c.benchmark_group(format!("query/{}", collection.label));

    let mut i = 0;
    group.bench_function("embed_query", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(engine.embed_query(&queries[i]).expect("query embedded"))
        })
    });

    let keyword = options(Mode::Keyword);
    let mut i = 0;
    group.bench_function("keyword", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = engine
                .search_with_vector(&queries[i], None, &keyword)
                .expect("keyword search");
            black_box(hits.len())
        })
    });

    let semantic = options(Mode::Semantic);
    let mut i = 0;
    group.bench_function("semantic_given_vector", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = engine
                .search_with_vector(&queries[i], Some(&vectors[i]), &semantic)
                .expect("semantic search");
            black_box(hits.len())
        })
    });

    let hybrid = options(Mode::Hybrid);
    let mut i = 0;
    group.bench_function("hybrid_rrf_given_vector", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            // legs (BM25 + HNSW) then rank (RRF, exact lookups first)
            let hits = engine
                .search_with_vector(&queries[i], Some(&vectors[i]), &hybrid)
                .expect("hybrid search");
            black_box(hits.len())
        })
    });

    let mut i = 0;
    group.bench_function("hybrid_rrf_end_to_end", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = engine.search(&queries[i], &hybrid).expect("hybrid search");
            black_box(hits.len())
        })
    });

    // The default search as `mmsearch QUERY` runs it; the same with the
    // queries' first two words quoted (the phrase path); and with semantic
    // pseudo-relevance feedback (k 5, weight .3: a second vector search),
    // which was measured for issue 12 and not kept.
    let default = SearchOptions::default();
    let mut i = 0;
    group.bench_function("default_end_to_end", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let hits = engine
                .search(&queries[i], &default)
                .expect("default search");
            black_box(hits.len())
        })
    });

    let quoted: Vec<String> = queries
        .iter()
        .map(|q| {
            let words: Vec<&str> = q.split_whitespace().collect();
            match words.as_slice() {
                [a, b, rest @ ..] => format!("\"{a} {b}\" {}", rest.join(" ")),
                _ => q.clone(),
            }
        })
        .collect();
    let feedback = SearchOptions {
        feedback: Some(Feedback { k: 5, weight: 0.3 }),
        ..SearchOptions::default()
    };
    // Legs and fusion only (vector given), where the levers differ; the
    // query embedding is the same for all four.
    // The default without word feedback: the baseline of its cost (a
    // second BM25 search over the fed-back words, their papers' cosines).
    let without_words = SearchOptions {
        word_feedback: None,
        ..SearchOptions::default()
    };
    for (name, list, options) in [
        ("default_given_vector", &queries, &default),
        (
            "default_without_word_feedback_given_vector",
            &queries,
            &without_words,
        ),
        ("default_quoted_given_vector", &quoted, &default),
        ("default_with_feedback_given_vector", &queries, &feedback),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % list.len();
                let hits = engine
                    .search_with_vector(&list[i], Some(&vectors[i]), options)
                    .expect("search");
                black_box(hits.len())
            })
        });
    }

    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = bench_queries
}
criterion_main!(benches);
