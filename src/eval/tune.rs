//! `eval --tune`: fusion parameters (RRF k, linear alpha, bounded alpha) picked by nDCG@10 on the train splits of
//! every judged set that has one, maximising the mean over the sets (each set
//! counts once, whatever its number of queries); the worst set at the chosen
//! value is reported beside it.

use serde::Serialize;

use super::judgments::Judgments;
use super::metrics;
use super::{EVAL_DEPTH, run_variant};
use crate::error::{Error, Result};
use crate::search::engine::{Engine, Legs, Mode, SearchOptions};
use crate::search::fusion::Fusion;
use crate::search::word_feedback::WordFeedback;

/// One set's train split, with both legs computed for its queries.
pub struct TrainSet<'a> {
    /// The collection's name.
    pub collection: &'a str,
    /// Its engine.
    pub engine: &'a Engine,
    /// The train judgments.
    pub judgments: &'a Judgments,
    /// The legs of every train query.
    pub legs: &'a [(String, Legs)],
}

/// One value tried: the mean train nDCG@10 over the sets and each set's.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    /// The parameter value.
    pub value: f64,
    /// The mean over the sets.
    pub mean: f64,
    /// Per set, in the order of `Tuning::sets`.
    pub per_set: Vec<f64>,
}

/// The choice for one fusion family.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// The value with the best mean (ties: the first tried).
    pub value: f64,
    /// Its mean train nDCG@10.
    pub mean: f64,
    /// The set it does worst on, and its nDCG@10 there.
    pub worst_set: String,
    /// That nDCG@10.
    pub worst: f64,
    /// Every value tried.
    pub grid: Vec<GridPoint>,
}

/// Parameters chosen on the train splits, and their train scores.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    /// The qrels split tuned on.
    pub split: String,
    /// The sets tuned on and their train queries.
    pub sets: Vec<(String, usize)>,
    /// The judged train queries over all sets.
    pub queries: usize,
    /// The RRF rank offset chosen.
    pub rrf_k: f64,
    /// Its mean train nDCG@10.
    pub rrf_train_ndcg10: f64,
    /// The semantic weight of linear fusion chosen.
    pub alpha: f64,
    /// Its mean train nDCG@10.
    pub linear_train_ndcg10: f64,
    /// RRF k: every value tried.
    pub rrf: Choice,
    /// Linear alpha: every value tried.
    pub linear: Choice,
    /// Bounded fusion's alpha (the default's family): every value tried.
    pub bounded: Choice,
}

/// RRF k values tried by `--tune`.
pub const RRF_K_GRID: &[f64] = &[1.0, 5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0, 200.0];

/// Alpha grid: 0 to 1 by .05, each value the double nearest its decimal
/// (divided, not multiplied, so `--tune` prints 0.3, not 0.30000000000000004).
pub fn alpha_grid() -> Vec<f64> {
    (0..=20).map(|i| f64::from(i) / 20.0).collect()
}

/// Tries `fusion(value)` for every value on every set.
pub(crate) fn choose(
    sets: &[TrainSet<'_>],
    values: &[f64],
    word_feedback: Option<WordFeedback>,
    fusion: impl Fn(f64) -> Fusion,
) -> Result<Choice> {
    let base = SearchOptions {
        limit: EVAL_DEPTH,
        depth: EVAL_DEPTH,
        mode: Mode::Hybrid,
        word_feedback,
        ..SearchOptions::default()
    };
    let mut grid = Vec::new();
    for &value in values {
        let options = SearchOptions {
            fusion: fusion(value),
            ..base.clone()
        };
        let mut per_set = Vec::new();
        for set in sets {
            let run = run_variant(set.engine, set.legs, &options)?;
            per_set.push(metrics::evaluate(&run, &set.judgments.qrels).0.ndcg_at_10);
        }
        let mean = per_set.iter().sum::<f64>() / per_set.len().max(1) as f64;
        grid.push(GridPoint {
            value,
            mean,
            per_set,
        });
    }
    let best = grid
        .iter()
        .fold(None::<&GridPoint>, |acc, p| match acc {
            Some(a) if a.mean >= p.mean => Some(a),
            _ => Some(p),
        })
        .ok_or_else(|| Error::Internal("nothing to tune".into()))?;
    let (worst_at, worst) =
        best.per_set
            .iter()
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |acc, (i, &v)| if v < acc.1 { (i, v) } else { acc },
            );
    Ok(Choice {
        value: best.value,
        mean: best.mean,
        worst_set: sets
            .get(worst_at)
            .map_or(String::new(), |s| s.collection.to_string()),
        worst,
        grid: grid.clone(),
    })
}

/// Picks RRF k and linear alpha by the mean nDCG@10 over the train splits
/// (bounded fusion with `word_feedback`).
pub fn tune(sets: &[TrainSet<'_>], word_feedback: Option<WordFeedback>) -> Result<Tuning> {
    if sets.is_empty() {
        return Err(Error::Usage(
            "no set has a train split to tune on (qrels/train.tsv)".into(),
        ));
    }
    let rrf = choose(sets, RRF_K_GRID, None, |k| Fusion::Rrf { k })?;
    let linear = choose(sets, &alpha_grid(), None, |alpha| Fusion::Linear { alpha })?;
    let bounded = choose(sets, &alpha_grid(), word_feedback, |alpha| {
        Fusion::Bounded { alpha }
    })?;
    Ok(Tuning {
        split: sets[0].judgments.split.clone(),
        sets: sets
            .iter()
            .map(|s| (s.collection.to_string(), s.judgments.queries.len()))
            .collect(),
        queries: sets.iter().map(|s| s.judgments.queries.len()).sum(),
        rrf_k: rrf.value,
        rrf_train_ndcg10: rrf.mean,
        alpha: linear.value,
        linear_train_ndcg10: linear.mean,
        rrf,
        linear,
        bounded,
    })
}

/// The tuning, readably: what was chosen, its mean and its worst set.
pub(crate) fn write_tuning(out: &mut impl std::io::Write, t: &Tuning) -> std::io::Result<()> {
    let sets: Vec<String> = t.sets.iter().map(|(c, n)| format!("{c} {n}")).collect();
    writeln!(
        out,
        "tuned on the {} splits of {} ({} queries), maximising the mean nDCG@10:",
        t.split,
        sets.join(", "),
        t.queries
    )?;
    for (name, c) in [
        ("RRF k", &t.rrf),
        ("linear alpha", &t.linear),
        ("bounded alpha (the default's family)", &t.bounded),
    ] {
        writeln!(
            out,
            "  {name} = {} (mean train nDCG@10 {:.4}; worst set {} {:.4})",
            c.value, c.mean, c.worst_set, c.worst
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_grid_values_print_as_the_decimals_they_stand_for() {
        let printed: Vec<String> = alpha_grid().iter().map(f64::to_string).collect();
        assert_eq!(printed.len(), 21);
        assert_eq!(printed[6], "0.3");
        for p in &printed {
            assert!(p.len() <= 4, "{p}");
        }
    }
}
