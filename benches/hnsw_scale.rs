//! How the semantic leg (hnsw_rs through `mmsearch::index::vector::VectorIndex`,
//! with the engine's graph settings) scales: N synthetic 384-d unit vectors,
//! clustered like text embeddings (1,000 random centroids plus noise), then
//! build time, memory, recall against exact search and query latency.
//!
//! Run: `cargo bench --bench hnsw_scale` (N = 200,000), or
//! `MMSEARCH_SCALE_N=50000 cargo bench --bench hnsw_scale`. The build is
//! the slow part: on two shared cores about 130 vectors/s, so N = 200,000
//! takes about 26 minutes and N = 1,000,000 hours; memory is about 6 KiB
//! per vector. `MMSEARCH_SCALE_DUMP=0` skips the save/reload step (it
//! writes about 3.7 KB per vector to a temporary directory).

use std::time::{Duration, Instant};

use hnsw_rs::prelude::{DistCosine, Distance};
use mmsearch::index::vector::VectorIndex;

#[path = "common/synthetic.rs"]
mod synthetic;
use synthetic::*;

const RECALL_QUERIES: usize = 200;
const LATENCY_QUERIES: usize = 1_000;

fn recall(index: &VectorIndex, queries: &[Vec<f32>], exact: &[Vec<usize>], k: usize) -> f64 {
    let mut found = 0usize;
    let mut wanted = 0usize;
    for (q, truth) in queries.iter().zip(exact) {
        let truth = &truth[..k.min(truth.len())];
        let got: Vec<usize> = index.search(q, k).into_iter().map(|(d, _)| d).collect();
        found += truth.iter().filter(|d| got.contains(d)).count();
        wanted += truth.len();
    }
    found as f64 / wanted.max(1) as f64
}

/// p50 and p99 of single-threaded query latency, in microseconds.
fn latency(index: &VectorIndex, queries: &[Vec<f32>], k: usize) -> (f64, f64) {
    for q in queries.iter().take(50) {
        std::hint::black_box(index.search(q, k)); // warm-up
    }
    let mut times: Vec<Duration> = queries
        .iter()
        .map(|q| {
            let t = Instant::now();
            std::hint::black_box(index.search(q, k));
            t.elapsed()
        })
        .collect();
    times.sort();
    let at = |p: f64| {
        let i = ((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99))
}

/// A dot product the compiler can vectorise: eight independent lanes.
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

/// Nanoseconds per call of `f` over consecutive pairs of `data`.
fn ns_per_eval(data: &[Vec<f32>], f: impl Fn(&[f32], &[f32]) -> f32) -> f64 {
    let pairs = data.len().min(20_001) - 1;
    let rounds = (2_000_000 / pairs.max(1)).max(1);
    let t = Instant::now();
    let mut sink = 0f32;
    for _ in 0..rounds {
        for w in data[..=pairs].windows(2) {
            sink += f(std::hint::black_box(&w[0]), std::hint::black_box(&w[1]));
        }
    }
    std::hint::black_box(sink);
    t.elapsed().as_secs_f64() * 1e9 / (rounds * pairs).max(1) as f64
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let n: usize = std::env::var("MMSEARCH_SCALE_N")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.replace('_', "")
                .parse()
                .expect("MMSEARCH_SCALE_N is a number")
        })
        .unwrap_or(200_000);
    assert!(n > 0, "MMSEARCH_SCALE_N must be positive");
    let dump = std::env::var("MMSEARCH_SCALE_DUMP").map_or(true, |v| v != "0");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |name: &str, value: String| {
        eprintln!("  {name}: {value}");
        rows.push((name.to_string(), value));
    };

    eprintln!("hnsw_scale: N = {n}, {DIM}-d, {CENTROIDS} clusters, {threads} threads");
    let rss_start = status_kb("VmRSS:");
    let mut rng = Rng(SEED);
    let t = Instant::now();
    let centroids = centroids(&mut rng);
    let data: Vec<Vec<f32>> = (0..n).map(|_| point(&mut rng, &centroids)).collect();
    let queries: Vec<Vec<f32>> = (0..LATENCY_QUERIES.max(RECALL_QUERIES))
        .map(|_| point(&mut rng, &centroids))
        .collect();
    let rss_data = status_kb("VmRSS:");
    row(
        "data generated",
        format!(
            "{:.1} s, {:.0} MiB",
            t.elapsed().as_secs_f64(),
            mib(rss_data.saturating_sub(rss_start))
        ),
    );

    // What one distance costs: hnsw_rs's DistCosine (three f64 sums, not
    // vectorised) against a plain dot product, enough for unit vectors.
    if data.len() > 1 {
        let cosine = ns_per_eval(&data, |a, b| DistCosine.eval(a, b));
        let dot = ns_per_eval(&data, |a, b| 1.0 - dot_lanes(a, b));
        row(
            "one distance: DistCosine / 8-lane dot",
            format!("{cosine:.0} ns / {dot:.0} ns ({:.1}x)", cosine / dot),
        );
    }

    let hwm_before = status_kb("VmHWM:");
    let t = Instant::now();
    let index = VectorIndex::build(&data);
    let build = t.elapsed().as_secs_f64();
    let rss_built = status_kb("VmRSS:");
    let hwm_built = status_kb("VmHWM:");
    assert_eq!(index.len(), n);
    row(
        "build (parallel_insert)",
        format!("{build:.1} s ({:.0} vectors/s)", n as f64 / build),
    );
    row(
        "RSS growth for the index",
        format!(
            "{:.0} MiB ({:.2} KiB/vector)",
            mib(rss_built.saturating_sub(rss_data)),
            rss_built.saturating_sub(rss_data) as f64 / n as f64
        ),
    );
    row(
        "peak RSS growth during build",
        format!(
            "{:.0} MiB",
            mib(hwm_built.saturating_sub(hwm_before.max(rss_data)))
        ),
    );
    row(
        "peak RSS of the process",
        format!("{:.0} MiB", mib(hwm_built)),
    );

    let t = Instant::now();
    let recall_queries = &queries[..RECALL_QUERIES];
    let exact = exact_top_k(&data, recall_queries, 100);
    row(
        "exact brute-force scan",
        format!(
            "{:.1} ms/query (1 thread)",
            t.elapsed().as_secs_f64() * 1e3 / RECALL_QUERIES as f64 * threads as f64
        ),
    );
    row(
        "recall@10 (k=10)",
        format!("{:.4}", recall(&index, recall_queries, &exact, 10)),
    );
    row(
        "recall@100 (k=100, engine depth)",
        format!("{:.4}", recall(&index, recall_queries, &exact, 100)),
    );
    for k in [10, 100] {
        let (p50, p99) = latency(&index, &queries[..LATENCY_QUERIES], k);
        row(
            &format!("query latency k={k} (1 thread)"),
            format!("p50 {p50:.0} µs, p99 {p99:.0} µs"),
        );
    }

    if dump {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let t = Instant::now();
        index.save(tmp.path()).expect("index saved");
        let save = t.elapsed().as_secs_f64();
        let size = dir_size(tmp.path());
        drop(index);
        drop(data);
        let t = Instant::now();
        let loaded = VectorIndex::load(tmp.path(), DIM).expect("index reloaded");
        let load = t.elapsed().as_secs_f64();
        assert_eq!(loaded.len(), n);
        row(
            "dump size / save / load",
            format!(
                "{:.0} MiB, {save:.1} s, {load:.1} s",
                size as f64 / (1024.0 * 1024.0)
            ),
        );
    }

    println!();
    println!("| hnsw_rs, N = {n}, {DIM}-d clustered | value |");
    println!("| --- | --- |");
    for (name, value) in &rows {
        println!("| {name} | {value} |");
    }
}
