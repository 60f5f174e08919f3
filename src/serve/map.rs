//! The map of the collection: every paper as a point in 2D, the first two
//! principal components of the stored (unit) vectors. Computed with
//! nalgebra's symmetric eigendecomposition, of the d×d covariance when the
//! collection is larger than the vector size, else of the n×n Gram matrix
//! (same components, cheaper for small collections).

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

use crate::paper::Paper;

/// One paper on the map.
#[derive(Debug, Serialize)]
pub struct MapPoint<'a> {
    /// The paper's id.
    pub id: &'a str,
    /// Its title (shown on hover).
    pub title: &'a str,
    /// The paper's first section (its colour on the map).
    pub section: Option<&'a str>,
    /// Venue, for the page's venue list.
    pub venue: Option<&'a str>,
    /// Year.
    pub year: Option<u16>,
    /// First principal component.
    pub x: f32,
    /// Second principal component.
    pub y: f32,
}

/// What `/api/map` answers.
#[derive(Debug, Serialize)]
pub struct Map<'a> {
    /// The generation the points come from.
    pub generation: &'a str,
    /// Distinct first sections, in the order the list gives them.
    pub sections: Vec<&'a str>,
    /// Share of the variance the two axes explain.
    pub explained_variance: [f32; 2],
    /// One point per paper, in the collection's order.
    pub points: Vec<MapPoint<'a>>,
}

/// Projects `vectors` (one per paper, same order; a missing vector is the
/// origin) onto their first two principal components.
pub fn project(vectors: &[Option<Vec<f32>>], dimensions: usize) -> (Vec<[f32; 2]>, [f32; 2]) {
    let n = vectors.len();
    if n == 0 || dimensions == 0 {
        return (Vec::new(), [0.0, 0.0]);
    }
    let mut x = DMatrix::<f64>::zeros(n, dimensions);
    for (i, v) in vectors.iter().enumerate() {
        if let Some(v) = v {
            for (j, value) in v.iter().take(dimensions).enumerate() {
                x[(i, j)] = f64::from(*value);
            }
        }
    }
    // Centre the columns.
    for j in 0..dimensions {
        let mean = x.column(j).sum() / n as f64;
        x.column_mut(j).add_scalar_mut(-mean);
    }
    let (coords, eigenvalues): (DMatrix<f64>, Vec<f64>) = if n <= dimensions {
        // Gram matrix X Xᵀ = U Λ Uᵀ; the projections are U √Λ.
        let eigen = SymmetricEigen::new(&x * x.transpose());
        let order = top_two(eigen.eigenvalues.as_slice());
        let mut coords = DMatrix::<f64>::zeros(n, 2);
        for (c, &k) in order.iter().enumerate() {
            let scale = eigen.eigenvalues[k].max(0.0).sqrt();
            for i in 0..n {
                coords[(i, c)] = eigen.eigenvectors[(i, k)] * scale;
            }
        }
        (coords, eigen.eigenvalues.iter().copied().collect())
    } else {
        // Covariance XᵀX = V Λ Vᵀ; the projections are X V.
        let eigen = SymmetricEigen::new(x.transpose() * &x);
        let order = top_two(eigen.eigenvalues.as_slice());
        let mut axes = DMatrix::<f64>::zeros(dimensions, 2);
        for (c, &k) in order.iter().enumerate() {
            axes.set_column(c, &eigen.eigenvectors.column(k));
        }
        (&x * axes, eigen.eigenvalues.iter().copied().collect())
    };
    let total: f64 = eigenvalues.iter().map(|v| v.max(0.0)).sum();
    let mut sorted = eigenvalues.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let share = |k: usize| {
        if total > 0.0 {
            (sorted.get(k).copied().unwrap_or(0.0).max(0.0) / total) as f32
        } else {
            0.0
        }
    };
    // Eigenvectors have no sign; fix it so the map does not flip between
    // generations: the largest coordinate along each axis is positive.
    let mut points: Vec<[f32; 2]> = (0..n)
        .map(|i| [coords[(i, 0)] as f32, coords[(i, 1)] as f32])
        .collect();
    for axis in 0..2 {
        let flip = points
            .iter()
            .map(|p| p[axis])
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .is_some_and(|v| v < 0.0);
        if flip {
            points.iter_mut().for_each(|p| p[axis] = -p[axis]);
        }
    }
    (points, [share(0), share(1)])
}

/// Indices of the two largest eigenvalues (a single one repeats).
fn top_two(values: &[f64]) -> [usize; 2] {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let first = order.first().copied().unwrap_or(0);
    [first, order.get(1).copied().unwrap_or(first)]
}

/// The map document for a loaded collection.
pub fn build<'a>(
    generation: &'a str,
    papers: &'a [Paper],
    vectors: &[Option<Vec<f32>>],
    dimensions: usize,
) -> Map<'a> {
    let (coords, explained_variance) = project(vectors, dimensions);
    let mut sections: Vec<&str> = Vec::new();
    for paper in papers {
        if let Some(s) = paper.sections.first()
            && !sections.contains(&s.as_str())
        {
            sections.push(s);
        }
    }
    let points = papers
        .iter()
        .zip(coords)
        .map(|(p, [x, y])| MapPoint {
            id: &p.id,
            title: &p.title,
            section: p.sections.first().map(String::as_str),
            venue: p.venue.as_deref(),
            year: p.year,
            x,
            y,
        })
        .collect();
    Map {
        generation,
        sections,
        explained_variance,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points spread along one direction come out spread along the first axis.
    #[test]
    fn first_axis_follows_the_largest_spread() {
        let data: Vec<Vec<f32>> = (0..6)
            .map(|i| {
                let t = i as f32;
                vec![t, 0.1 * (t % 2.0), 0.0]
            })
            .collect();
        let refs: Vec<Option<Vec<f32>>> = data.iter().cloned().map(Some).collect();
        for dims_first in [true, false] {
            // 6 points in 3 dimensions take the covariance path; padded to
            // 10 dimensions they take the Gram-matrix path.
            let (points, share) = if dims_first {
                project(&refs, 3)
            } else {
                let padded: Vec<Vec<f32>> = data
                    .iter()
                    .map(|v| {
                        let mut p = v.clone();
                        p.resize(10, 0.0);
                        p
                    })
                    .collect();
                let refs: Vec<Option<Vec<f32>>> = padded.into_iter().map(Some).collect();
                project(&refs, 10)
            };
            let xs: Vec<f32> = points.iter().map(|p| p[0]).collect();
            assert!(share[0] > 0.9, "{share:?}");
            let spread = xs.iter().cloned().fold(f32::MIN, f32::max)
                - xs.iter().cloned().fold(f32::MAX, f32::min);
            assert!((spread - 5.0).abs() < 1e-3, "{xs:?}");
        }
    }
}
