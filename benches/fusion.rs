//! Fusion cost: two 100-candidate legs (the engine's default depth) that
//! share half their documents, fused by RRF and by linear min-max fusion.
//!
//! Run: `cargo bench --bench fusion`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mmsearch::search::fusion::{self, Fusion};

const LEG: usize = 100;

/// One leg: (document, score), best first.
type Leg = Vec<(usize, f32)>;

/// Keyword leg: documents 0..100 with falling BM25-like scores. Semantic
/// leg: documents 50..150 (so 50 shared) in a scrambled order with falling
/// cosine-like scores, so shared documents sit at different ranks.
fn legs() -> (Leg, Leg) {
    let keyword: Leg = (0..LEG).map(|i| (i, 30.0 - 0.25 * i as f32)).collect();
    let semantic: Leg = (0..LEG)
        .map(|i| {
            let doc = LEG / 2 + (i * 37) % LEG; // 37 is coprime with 100: a permutation
            (doc, 0.9 - 0.004 * i as f32)
        })
        .collect();
    (keyword, semantic)
}

fn bench_fusion(c: &mut Criterion) {
    let (keyword, semantic) = legs();
    let shared = keyword
        .iter()
        .filter(|(d, _)| semantic.iter().any(|(s, _)| s == d))
        .count();
    assert_eq!(shared, LEG / 2, "legs overlap by half");

    let mut group = c.benchmark_group("fusion/100x100_half_overlap");
    for (name, method) in [
        ("rrf_k60", Fusion::Rrf { k: 60.0 }),
        ("linear_alpha0.5", Fusion::Linear { alpha: 0.5 }),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| fusion::fuse(black_box(&keyword), black_box(&semantic), black_box(method)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_fusion
}
criterion_main!(benches);
