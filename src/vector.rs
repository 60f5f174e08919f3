//! The semantic leg: an hnsw_rs graph over the paper embeddings (cosine of
//! unit vectors),
//! dumped beside the keyword index and reloaded on start-up. HNSW keeps query
//! time flat as collections grow from 80 papers to hundreds of thousands.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{Distance, Hnsw};

use crate::error::{Error, Result};

/// File stem of the dump: `vectors.hnsw.data` and `vectors.hnsw.graph`.
pub const BASENAME: &str = "vectors";
pub const DATA_FILE: &str = "vectors.hnsw.data";
pub const GRAPH_FILE: &str = "vectors.hnsw.graph";
/// The raw unit vectors, little-endian f32, one row per document: what
/// `similar` starts from and what exact (filtered) search scans.
pub const MATRIX_FILE: &str = "vectors.f32";

/// Graph degree and build effort: the usual defaults for 384-d text
/// embeddings, recall near 1 at these sizes.
const MAX_CONNECTIONS: usize = 16;
const MAX_LAYERS: usize = 16;
const EF_CONSTRUCTION: usize = 200;
/// Search beam: never below this, so small top-k still search broadly.
const MIN_EF_SEARCH: usize = 128;

pub struct VectorIndex {
    hnsw: Hnsw<'static, f32, UnitCosine>,
    matrix: Vec<f32>,
    dimensions: usize,
}

impl VectorIndex {
    /// Builds the graph; vector `i` belongs to document `i`.
    pub fn build(vectors: &[Vec<f32>]) -> Self {
        let hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            vectors.len().max(1),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            UnitCosine,
        );
        let items: Vec<(&Vec<f32>, usize)> = vectors.iter().zip(0..).collect();
        hnsw.parallel_insert(&items);
        let dimensions = vectors.first().map_or(0, Vec::len);
        let matrix = vectors.iter().flatten().copied().collect();
        VectorIndex {
            hnsw,
            matrix,
            dimensions,
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let bytes: Vec<u8> = self.matrix.iter().flat_map(|v| v.to_le_bytes()).collect();
        let path = dir.join(MATRIX_FILE);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        self.hnsw
            .file_dump(dir, BASENAME)
            .map_err(|e| Error::index(dir, format!("cannot write the vector index: {e}")))?;
        Ok(())
    }

    /// Loads a dump. hnsw_rs asserts on malformed files, so a damaged dump is
    /// caught here and reported as an error (the manifest's checksums catch
    /// most damage before this point).
    pub fn load(dir: &Path, dimensions: usize) -> Result<Self> {
        for name in [DATA_FILE, GRAPH_FILE, MATRIX_FILE] {
            if !dir.join(name).is_file() {
                return Err(Error::index(dir, format!("{name} is missing")));
            }
        }
        // The loaded graph borrows from its loader for its whole life; one
        // loader per load is leaked so the index can be 'static.
        let owned_dir = dir.to_path_buf();
        let loaded = catch_unwind(AssertUnwindSafe(move || {
            let io: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(&owned_dir, BASENAME)));
            io.load_hnsw::<f32, UnitCosine>()
        }));
        let path = dir.join(MATRIX_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        if dimensions == 0 || bytes.len() % (4 * dimensions) != 0 {
            return Err(Error::index(
                dir,
                format!("{MATRIX_FILE} has a size that does not fit {dimensions}-d vectors"),
            ));
        }
        let matrix = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        match loaded {
            Ok(Ok(hnsw)) => Ok(VectorIndex {
                hnsw,
                matrix,
                dimensions,
            }),
            Ok(Err(e)) => Err(Error::index(
                dir,
                format!("cannot read the vector index: {e}"),
            )),
            Err(_) => Err(Error::index(dir, "the vector index is damaged")),
        }
    }

    /// Nearest documents by cosine similarity, best first: (document, cosine).
    pub fn search(&self, query: &[f32], limit: usize) -> Vec<(usize, f32)> {
        if limit == 0 {
            return Vec::new();
        }
        // Asked for (nearly) everything: an exact scan is cheaper and complete,
        // where a graph search may miss a few points.
        if limit >= self.stored() {
            let all: Vec<usize> = (0..self.stored()).collect();
            return self.search_among(query, &all, limit);
        }
        let ef = limit.max(MIN_EF_SEARCH);
        self.hnsw
            .search(query, limit, ef)
            .into_iter()
            .map(|n| (n.d_id, 1.0 - n.distance))
            .collect()
    }

    /// Exact nearest neighbours among `candidates` only (brute force): used
    /// when a filter leaves few documents, where HNSW could return too few.
    pub fn search_among(
        &self,
        query: &[f32],
        candidates: &[usize],
        limit: usize,
    ) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> = candidates
            .iter()
            .filter_map(|&doc| self.vector(doc).map(|v| (doc, dot(v, query))))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
    }

    /// The stored unit vector of a document.
    pub fn vector(&self, doc: usize) -> Option<&[f32]> {
        let start = doc.checked_mul(self.dimensions)?;
        self.matrix.get(start..start + self.dimensions)
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    /// Number of documents in the graph.
    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// Number of stored vectors (equals `len` for a sound index).
    pub fn stored(&self) -> usize {
        self.matrix.len().checked_div(self.dimensions).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cosine distance for unit vectors, `1 - a·b` (never below 0). Our vectors
/// are normalised, so the norms hnsw_rs's `DistCosine` recomputes on every
/// call are wasted work: that call measured 15× slower than this one.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// Cosine of two unit vectors. Eight running sums let the compiler use
/// SIMD lanes (a single running sum must be added in order).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..8 {
            sums[i] += x[i] * y[i];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = dot(&v, &v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_the_plain_sum_for_any_length() {
        for n in [0, 1, 7, 8, 9, 384] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "n = {n}");
        }
    }

    #[test]
    fn unit_cosine_distance_is_never_negative() {
        let v = normalise(vec![0.3, 0.4, 0.5]);
        assert_eq!(UnitCosine.eval(&v, &v), 0.0_f32.max(1.0 - dot(&v, &v)));
        assert!(UnitCosine.eval(&v, &v) >= 0.0);
        let w: Vec<f32> = v.iter().map(|x| -x).collect();
        assert!((UnitCosine.eval(&v, &w) - 2.0).abs() < 1e-6);
    }
}
