//! Synthetic collections shared by the scale benches: 384-d unit vectors
//! around random cluster centres, as text embeddings cluster, with a
//! deterministic generator, plus exact search and memory readings to judge
//! them by.
#![allow(dead_code)]

pub const DIM: usize = 384;
pub const CENTROIDS: usize = 1_000;
/// Norm of the noise added to a unit centroid: same-cluster pairs then have
/// cosine near 1 / (1 + SPREAD^2) = 0.64, other pairs near 0, much as
/// MiniLM embeddings of related and unrelated abstracts.
pub const SPREAD: f64 = 0.75;
pub const SEED: u64 = 0x5eed_1234_abcd_0001;

/// xorshift64* with Box-Muller normals: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in (0, 1].
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

pub fn centroids(rng: &mut Rng) -> Vec<Vec<f32>> {
    (0..CENTROIDS)
        .map(|_| {
            let mut c: Vec<f32> = (0..DIM).map(|_| rng.normal() as f32).collect();
            normalise(&mut c);
            c
        })
        .collect()
}

pub fn point(rng: &mut Rng, centroids: &[Vec<f32>]) -> Vec<f32> {
    let c = rng.below(centroids.len());
    near(rng, &centroids[c])
}

/// A unit vector near `centre` (the noise of `SPREAD`).
pub fn near(rng: &mut Rng, centre: &[f32]) -> Vec<f32> {
    let sigma = SPREAD / (DIM as f64).sqrt();
    let mut v: Vec<f32> = centre
        .iter()
        .map(|&x| x + (rng.normal() * sigma) as f32)
        .collect();
    normalise(&mut v);
    v
}

/// A field of /proc/self/status, in kB (0 where there is no /proc).
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

pub fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Exact top-k by cosine (the vectors are unit length), split over threads.
pub fn exact_top_k(data: &[Vec<f32>], queries: &[Vec<f32>], k: usize) -> Vec<Vec<usize>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = queries.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = queries
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|q| {
                            let mut scored: Vec<(f32, usize)> = data
                                .iter()
                                .enumerate()
                                .map(|(i, v)| (dot(q, v), i))
                                .collect();
                            let k = k.min(scored.len());
                            if k < scored.len() {
                                scored.select_nth_unstable_by(k, |a, b| b.0.total_cmp(&a.0));
                                scored.truncate(k);
                            }
                            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                            scored.into_iter().map(|(_, i)| i).collect()
                        })
                        .collect::<Vec<Vec<usize>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("exact search thread"))
            .collect()
    })
}
