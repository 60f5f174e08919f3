//! The semantic leg: an hnsw_rs graph over the paper embeddings (cosine of
//! unit vectors),
//! dumped beside the keyword index and reloaded on start-up. HNSW keeps query
//! time flat as collections grow from 80 papers to hundreds of thousands.

use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr::NonNull;

use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{Distance, Hnsw};

use crate::error::{Error, Result};

/// File stem of the dump: `vectors.hnsw.data` and `vectors.hnsw.graph`.
pub(crate) const BASENAME: &str = "vectors";
/// DATA FILE.
pub(crate) const DATA_FILE: &str = "vectors.hnsw.data";
/// GRAPH FILE.
pub(crate) const GRAPH_FILE: &str = "vectors.hnsw.graph";
/// The raw unit vectors, little-endian f32, one row per document: what
/// `similar` starts from and what exact (filtered) search scans.
pub(crate) const MATRIX_FILE: &str = "vectors.f32";

/// Graph degree and build effort: the usual defaults for 384-d text
/// embeddings, recall near 1 at these sizes.
const MAX_CONNECTIONS: usize = 16;
const MAX_LAYERS: usize = 16;
const EF_CONSTRUCTION: usize = 200;
/// Search beam: never below this, so small top-k still search broadly.
const MIN_EF_SEARCH: usize = 128;

/// The graph and the raw vectors of one generation.
pub struct VectorIndex {
    /// Declared first so it is dropped before the loader it was read with.
    hnsw: ManuallyDrop<Hnsw<'static, f32, UnitCosine>>,
    /// The loader a reloaded graph was read with (hnsw_rs ties the graph's
    /// lifetime to it), owned here and freed on drop, so loading an index
    /// any number of times leaks nothing. `None` for a freshly built graph.
    loader: Option<NonNull<HnswIo>>,
    matrix: Vec<f32>,
    dimensions: usize,
}

// SAFETY: `loader` is only dereferenced while loading (before the
// `VectorIndex` exists) and freed in `drop`; the graph itself is Send + Sync.
unsafe impl Send for VectorIndex {}
// SAFETY: as above: shared access never touches `loader`.
unsafe impl Sync for VectorIndex {}

impl Drop for VectorIndex {
    fn drop(&mut self) {
        // SAFETY: the graph is dropped exactly once, here, before its loader.
        unsafe { ManuallyDrop::drop(&mut self.hnsw) };
        if let Some(loader) = self.loader.take() {
            // SAFETY: `loader` came from `Box::into_raw` in `load` and nothing
            // refers to it any more (the graph is gone).
            drop(unsafe { Box::from_raw(loader.as_ptr()) });
        }
    }
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
            hnsw: ManuallyDrop::new(hnsw),
            loader: None,
            matrix,
            dimensions,
        }
    }

    /// Save.
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
        // The loaded graph borrows from its loader for its whole life (in
        // hnsw_rs's types; with the default reload options the data is
        // copied, not mapped). The loader is boxed, its pointer kept, and it
        // is freed after the graph in `drop`.
        let loader = NonNull::from(Box::leak(Box::new(HnswIo::new(dir, BASENAME))));
        let loaded = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the loader lives until `drop` frees it after the graph.
            let io: &'static mut HnswIo = unsafe { &mut *loader.as_ptr() };
            io.load_hnsw::<f32, UnitCosine>()
        }));
        let free_loader = || {
            // SAFETY: no graph read from the loader survives (load failed).
            drop(unsafe { Box::from_raw(loader.as_ptr()) });
        };
        let path = dir.join(MATRIX_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                drop(loaded);
                free_loader();
                return Err(Error::io(&path, e));
            }
        };
        if dimensions == 0 || bytes.len() % (4 * dimensions) != 0 {
            drop(loaded);
            free_loader();
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
                hnsw: ManuallyDrop::new(hnsw),
                loader: Some(loader),
                matrix,
                dimensions,
            }),
            Ok(Err(e)) => {
                free_loader();
                Err(Error::index(
                    dir,
                    format!("cannot read the vector index: {e}"),
                ))
            }
            Err(_) => {
                free_loader();
                Err(Error::index(dir, "the vector index is damaged"))
            }
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
    pub(crate) fn search_among(
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

    /// Number of documents in the graph.
    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// Number of stored vectors (equals `len` for a sound index).
    pub(crate) fn stored(&self) -> usize {
        self.matrix.len().checked_div(self.dimensions).unwrap_or(0)
    }

    /// Is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Cosine distance for unit vectors, `1 - a·b` (never below 0). Our vectors
/// are normalised, so the norms hnsw_rs's `DistCosine` recomputes on every
/// call are wasted work: that call measured 15× slower than this one.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct UnitCosine;

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

impl super::VectorLeg for VectorIndex {
    fn search(&self, query: &[f32], limit: usize) -> Result<super::Ranked> {
        Ok(VectorIndex::search(self, query, limit))
    }

    fn search_where(
        &self,
        query: &[f32],
        _filter: &crate::paper::filter::Filter,
        allowed: &[super::DocId],
        limit: usize,
    ) -> Result<super::Ranked> {
        Ok(VectorIndex::search_among(self, query, allowed, limit))
    }

    fn vector(&self, doc: super::DocId) -> Option<Vec<f32>> {
        VectorIndex::vector(self, doc).map(<[f32]>::to_vec)
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn documents(&self) -> usize {
        self.stored()
    }
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
    fn unit_cosine_distance_is_one_minus_the_cosine_of_the_angle() {
        // Two unit vectors at a known angle: the distance must be 1 - cos θ,
        // computed here from the angle, not from a dot product.
        for degrees in [0.0f32, 30.0, 60.0, 90.0, 135.0, 180.0] {
            let theta = degrees.to_radians();
            let a = [1.0f32, 0.0, 0.0];
            let b = [theta.cos(), theta.sin(), 0.0];
            let expected = 1.0 - theta.cos();
            assert!(
                (UnitCosine.eval(&a, &b) - expected).abs() < 1e-6,
                "{degrees} degrees"
            );
        }
    }

    #[test]
    fn rounding_never_makes_a_distance_negative() {
        // A normalised vector's dot with itself can come out just above 1.
        for n in 1..64 {
            let v = normalise((0..n).map(|i| (i as f32 * 0.71).sin() + 0.01).collect());
            assert!(UnitCosine.eval(&v, &v) >= 0.0, "n = {n}");
        }
    }

    #[test]
    fn loading_an_index_twice_gives_the_same_answers() {
        let vectors: Vec<Vec<f32>> = (0..50)
            .map(|i| normalise((0..8).map(|j| ((i * 8 + j) as f32 * 0.37).sin()).collect()))
            .collect();
        let dir = tempfile::tempdir().expect("temp dir");
        VectorIndex::build(&vectors).save(dir.path()).expect("save");
        let first = VectorIndex::load(dir.path(), 8).expect("load");
        let second = VectorIndex::load(dir.path(), 8).expect("load again");
        assert_eq!(first.search(&vectors[3], 5), second.search(&vectors[3], 5));
        assert_eq!(first.search(&vectors[3], 5)[0].0, 3);
        drop(first);
        // The second is still sound after the first (and its loader) is freed.
        assert_eq!(second.search(&vectors[7], 1)[0].0, 7);
    }
}
