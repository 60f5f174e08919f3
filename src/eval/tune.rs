//! `eval --tune`: RRF k and linear alpha picked by nDCG@10 on a train split.

use serde::Serialize;

use super::judgments::Judgments;
use super::metrics;
use super::{EVAL_DEPTH, run_variant};
use crate::error::Result;
use crate::search::engine::{Engine, Legs, Mode, SearchOptions};
use crate::search::fusion::Fusion;

/// Parameters chosen on the train split, and their train scores.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    /// The qrels split.
    pub split: String,
    /// The judged queries.
    pub queries: usize,
    /// The RRF rank offset.
    pub rrf_k: f64,
    /// Rrf train ndcg10.
    pub rrf_train_ndcg10: f64,
    /// The weight of the semantic leg.
    pub alpha: f64,
    /// Linear train ndcg10.
    pub linear_train_ndcg10: f64,
    /// nDCG@10 on the train split for every value tried.
    pub rrf_grid: Vec<(f64, f64)>,
    /// Alpha grid.
    pub alpha_grid: Vec<(f64, f64)>,
}

/// RRF k and linear alpha values tried by `--tune`.
pub const RRF_K_GRID: &[f64] = &[1.0, 5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0, 200.0];

/// Alpha grid.
pub fn alpha_grid() -> Vec<f64> {
    (0..=20).map(|i| f64::from(i) * 0.05).collect()
}

/// Picks RRF k and linear alpha by nDCG@10 on `train` (ties: the first, i.e.
/// smallest, value).
pub fn tune(engine: &Engine, train: &Judgments, legs: &[(String, Legs)]) -> Result<Tuning> {
    let base = SearchOptions {
        limit: EVAL_DEPTH,
        depth: EVAL_DEPTH,
        mode: Mode::Hybrid,
        ..SearchOptions::default()
    };
    let mut rrf_grid = Vec::new();
    for &k in RRF_K_GRID {
        let run = run_variant(
            engine,
            legs,
            &SearchOptions {
                fusion: Fusion::Rrf { k },
                ..base.clone()
            },
        )?;
        rrf_grid.push((k, metrics::evaluate(&run, &train.qrels).0.ndcg_at_10));
    }
    let mut alpha_scores = Vec::new();
    for alpha in alpha_grid() {
        let run = run_variant(
            engine,
            legs,
            &SearchOptions {
                fusion: Fusion::Linear { alpha },
                ..base.clone()
            },
        )?;
        alpha_scores.push((alpha, metrics::evaluate(&run, &train.qrels).0.ndcg_at_10));
    }
    let best = |grid: &[(f64, f64)]| {
        grid.iter()
            .copied()
            .fold((f64::NAN, f64::NEG_INFINITY), |acc, x| {
                if x.1 > acc.1 { x } else { acc }
            })
    };
    let (rrf_k, rrf_train_ndcg10) = best(&rrf_grid);
    let (alpha, linear_train_ndcg10) = best(&alpha_scores);
    Ok(Tuning {
        split: train.split.clone(),
        queries: train.queries.len(),
        rrf_k,
        rrf_train_ndcg10,
        alpha,
        linear_train_ndcg10,
        rrf_grid,
        alpha_grid: alpha_scores,
    })
}
