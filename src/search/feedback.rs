//! Pseudo-relevance feedback on vectors (Rocchio without negatives): the
//! query vector is moved toward the mean of the vectors of its first `k`
//! hits, renormalised, and the semantic leg searches again with it. The
//! first hits of a short or oddly worded query are usually on topic, and
//! their mean says what the topic is in the words papers use.

use serde::Serialize;

use crate::index::vector::normalise;
use crate::index::{Ranked, VectorLeg};

/// The feedback every search uses unless told otherwise (`eval --feedback`
/// measures others): see README, "Evaluation".
pub(crate) const DEFAULT_FEEDBACK: Option<Feedback> = None;

/// How far the semantic leg's query vector is moved toward its first hits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Feedback {
    /// How many of the first hits are averaged.
    pub k: usize,
    /// How far the query moves toward their mean: 0 not at all, 1 all the way.
    pub weight: f32,
}

impl std::fmt::Display for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.k, self.weight)
    }
}

impl std::str::FromStr for Feedback {
    type Err = String;

    /// `K:WEIGHT`, e.g. `5:0.3` (K from 1 to 100, WEIGHT from 0 to 1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wrong = || format!("'{s}' is not K:WEIGHT (e.g. 5:0.3, K 1..100, WEIGHT 0..1)");
        let (k, weight) = s.split_once(':').ok_or_else(wrong)?;
        let k: usize = k.trim().parse().map_err(|_| wrong())?;
        let weight: f32 = weight.trim().parse().map_err(|_| wrong())?;
        if !(1..=100).contains(&k) || !(0.0..=1.0).contains(&weight) {
            return Err(wrong());
        }
        Ok(Feedback { k, weight })
    }
}

/// `normalise((1 - weight) * query + weight * mean(first k hits' vectors))`,
/// or `None` when no hit has a stored vector (nothing to move toward).
pub(crate) fn moved_query(
    query: &[f32],
    hits: &Ranked,
    vectors: &dyn VectorLeg,
    feedback: Feedback,
) -> Option<Vec<f32>> {
    let mut mean = vec![0.0f32; query.len()];
    let mut used = 0usize;
    for &(doc, _) in hits.iter().take(feedback.k) {
        if let Some(v) = vectors.vector(doc)
            && v.len() == query.len()
        {
            mean.iter_mut().zip(&v).for_each(|(m, x)| *m += x);
            used += 1;
        }
    }
    if used == 0 {
        return None;
    }
    let w = feedback.weight;
    let moved: Vec<f32> = query
        .iter()
        .zip(&mean)
        .map(|(q, m)| (1.0 - w) * q + w * m / used as f32)
        .collect();
    Some(normalise(moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Result;

    /// Three unit vectors along the axes of a 3-d space.
    struct Axes;

    impl VectorLeg for Axes {
        fn search(&self, _: &[f32], _: usize) -> Result<Ranked> {
            Ok(Vec::new())
        }
        fn search_where(
            &self,
            _: &[f32],
            _: &crate::paper::filter::Filter,
            _: &[usize],
            _: usize,
        ) -> Result<Ranked> {
            Ok(Vec::new())
        }
        fn vector(&self, doc: usize) -> Option<Vec<f32>> {
            (doc < 3).then(|| (0..3).map(|i| if i == doc { 1.0 } else { 0.0 }).collect())
        }
        fn dimensions(&self) -> usize {
            3
        }
        fn documents(&self) -> usize {
            3
        }
    }

    #[test]
    fn the_query_moves_toward_the_mean_of_its_first_hits_and_stays_a_unit_vector() {
        let fb = Feedback { k: 2, weight: 0.5 };
        // Hits 1 and 2 (mean (0, .5, .5)); hit 0 is past k.
        let hits = vec![(1, 0.9), (2, 0.8), (0, 0.1)];
        let v = moved_query(&[1.0, 0.0, 0.0], &hits, &Axes, fb).expect("moved");
        // .5 * (1, 0, 0) + .5 * (0, .5, .5) = (.5, .25, .25), normalised.
        let n = (0.25f32 + 0.0625 + 0.0625).sqrt();
        for (got, want) in v.iter().zip([0.5 / n, 0.25 / n, 0.25 / n]) {
            assert!((got - want).abs() < 1e-6, "{v:?}");
        }
        assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
        // Weight 0 leaves the query as it was; no hits, nothing to move toward.
        let same = moved_query(
            &[1.0, 0.0, 0.0],
            &hits,
            &Axes,
            Feedback { k: 2, weight: 0.0 },
        );
        assert_eq!(same, Some(vec![1.0, 0.0, 0.0]));
        assert_eq!(moved_query(&[1.0, 0.0, 0.0], &Vec::new(), &Axes, fb), None);
    }

    #[test]
    fn feedback_is_read_as_k_colon_weight() {
        assert_eq!("5:0.3".parse(), Ok(Feedback { k: 5, weight: 0.3 }));
        for bad in ["5", "0:0.3", "5:1.5", "x:0.3", "5:-1", ""] {
            assert!(bad.parse::<Feedback>().is_err(), "{bad}");
        }
    }
}
