//! The semantic leg: an hnsw_rs graph over the paper embeddings (cosine),
//! dumped beside the keyword index and reloaded on start-up. HNSW keeps query
//! time flat as collections grow from 80 papers to hundreds of thousands.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{DistCosine, Hnsw};

use crate::error::{Error, Result};

/// File stem of the dump: `vectors.hnsw.data` and `vectors.hnsw.graph`.
pub const BASENAME: &str = "vectors";
pub const DATA_FILE: &str = "vectors.hnsw.data";
pub const GRAPH_FILE: &str = "vectors.hnsw.graph";

/// Graph degree and build effort: the usual defaults for 384-d text
/// embeddings, recall near 1 at these sizes.
const MAX_CONNECTIONS: usize = 16;
const MAX_LAYERS: usize = 16;
const EF_CONSTRUCTION: usize = 200;
/// Search beam: never below this, so small top-k still search broadly.
const MIN_EF_SEARCH: usize = 128;

pub struct VectorIndex {
    hnsw: Hnsw<'static, f32, DistCosine>,
}

impl VectorIndex {
    /// Builds the graph; vector `i` belongs to document `i`.
    pub fn build(vectors: &[Vec<f32>]) -> Self {
        let hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            vectors.len().max(1),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            DistCosine {},
        );
        let items: Vec<(&Vec<f32>, usize)> = vectors.iter().zip(0..).collect();
        hnsw.parallel_insert(&items);
        VectorIndex { hnsw }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        self.hnsw
            .file_dump(dir, BASENAME)
            .map_err(|e| Error::index(dir, format!("cannot write the vector index: {e}")))?;
        Ok(())
    }

    /// Loads a dump. hnsw_rs asserts on malformed files, so a damaged dump is
    /// caught here and reported as an error (the manifest's checksums catch
    /// most damage before this point).
    pub fn load(dir: &Path) -> Result<Self> {
        for name in [DATA_FILE, GRAPH_FILE] {
            if !dir.join(name).is_file() {
                return Err(Error::index(dir, format!("{name} is missing")));
            }
        }
        // The loaded graph borrows from its loader for its whole life; one
        // loader per load is leaked so the index can be 'static.
        let owned_dir = dir.to_path_buf();
        let loaded = catch_unwind(AssertUnwindSafe(move || {
            let io: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(&owned_dir, BASENAME)));
            io.load_hnsw::<f32, DistCosine>()
        }));
        match loaded {
            Ok(Ok(hnsw)) => Ok(VectorIndex { hnsw }),
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
        let ef = limit.max(MIN_EF_SEARCH);
        self.hnsw
            .search(query, limit, ef)
            .into_iter()
            .map(|n| (n.d_id, 1.0 - n.distance))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
