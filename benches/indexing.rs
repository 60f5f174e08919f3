//! Indexing throughput on the same 200 texts (the first 200 SciFact
//! abstracts, or the shipped papers when SciFact is absent):
//!
//! - `embed_unsorted`: `Embedder::embed` on all texts in their file order;
//! - `embed_engine_batches`: the engine's embedding step alone
//!   (`engine::embed_with_progress`: length-sorted chunks of batches);
//! - `embed_engine_batches_cut_at_256`: the same with texts cut at a
//!   query's 256 word pieces (how papers were read before 512), so the
//!   cost of reading whole abstracts is a ratio within one run;
//! - `full_build`: `engine::build` into a fresh directory (model load,
//!   parse, embed, tantivy, hnsw, manifest and checksums, generation swap);
//! - `rebuild_reusing_vectors`: `engine::build` over an existing index of
//!   the same texts with reuse on, i.e. everything except the embedding.
//!
//! Throughput is reported in documents per second.
//!
//! Run: `cargo bench --bench indexing`

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use mmsearch::Events;
use mmsearch::collection::Collection;
use mmsearch::embed::{self, Embedder, Role};
use mmsearch::index::build as engine;
use mmsearch::index::store::IndexDir;
use mmsearch::paper::Paper;

const DOCS: usize = 200;

fn bench_indexing(c: &mut Criterion) {
    let collection = common::collection(Some(DOCS));
    let papers = Collection::from_sources(&collection.sources)
        .expect("collection read")
        .papers;
    let texts: Vec<String> = papers.iter().map(Paper::embedding_text).collect();
    let models = embed::locate_models_dir(None).expect("models found (run models/fetch)");
    // Loaded as the engine loads it for a build (weight prepacking on).
    let mut embedder = Embedder::load(&models, Role::Paper).expect("model loaded");
    eprintln!(
        "mmsearch bench: {} {} texts, mean {} characters",
        texts.len(),
        collection.label,
        texts.iter().map(String::len).sum::<usize>() / texts.len().max(1)
    );

    let mut group = c.benchmark_group(format!("indexing/{}_{}", collection.label, texts.len()));
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(texts.len() as u64));

    group.bench_function("embed_unsorted", |b| {
        b.iter(|| black_box(embedder.embed(&texts).expect("embedded")))
    });

    group.bench_function("embed_engine_batches", |b| {
        b.iter(|| {
            black_box(
                engine::embed_with_progress(&mut embedder, &texts, &Events::none())
                    .expect("embedded"),
            )
        })
    });

    // The same step with texts cut where a query is (256 word pieces), as
    // papers were embedded before they were read to 512: the baseline of
    // what reading the whole abstract costs.
    let mut short_embedder = Embedder::load(&models, Role::Query).expect("model loaded");
    group.bench_function("embed_engine_batches_cut_at_256", |b| {
        b.iter(|| {
            black_box(
                engine::embed_with_progress(&mut short_embedder, &texts, &Events::none())
                    .expect("embedded"),
            )
        })
    });
    drop(short_embedder);

    group.bench_function("full_build", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temporary directory"),
            |tmp| {
                let report = engine::build(
                    &IndexDir::new(tmp.path().join("index")),
                    &collection.sources,
                    &models,
                    false,
                    &Events::none(),
                )
                .expect("index built");
                assert_eq!(report.papers, texts.len());
                tmp // dropped (deleted) outside the timed part
            },
            BatchSize::PerIteration,
        )
    });

    // Everything but the embedding: a rebuild that reuses every vector of
    // the live index (as after editing metadata only).
    let warm = tempfile::tempdir().expect("temporary directory");
    let warm_dir = IndexDir::new(warm.path().join("index"));
    engine::build(
        &warm_dir,
        &collection.sources,
        &models,
        false,
        &Events::none(),
    )
    .expect("index built");
    group.bench_function("rebuild_reusing_vectors", |b| {
        b.iter(|| {
            let report = engine::build(
                &warm_dir,
                &collection.sources,
                &models,
                true,
                &Events::none(),
            )
            .expect("index rebuilt");
            black_box(report.papers)
        })
    });

    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    targets = bench_indexing
}
criterion_main!(benches);
