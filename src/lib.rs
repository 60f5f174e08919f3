//! mmsearch: hybrid (keyword + semantic) search over research-paper lists.
//!
//! The pipeline, one module per concern:
//! `corpus` reads lists into papers, `embed` turns text into vectors,
//! `keyword` (tantivy BM25) and `vector` (hnsw_rs) are the two legs,
//! `fusion` combines their rankings, `store` keeps the index on disk
//! crash-safely, `engine` runs searches, `output` prints them and `cli`
//! is the command line.

pub mod arxiv;
pub mod bibtex;
pub mod cli;
pub mod collection;
pub mod corpus;
pub mod embed;
pub mod engine;
pub mod enrich;
pub mod error;
pub mod eval;
pub mod filter;
pub mod fusion;
pub mod keyword;
pub mod metrics;
pub mod output;
pub mod resolve;
pub mod store;
pub mod vector;

pub use error::{Error, Result};

/// Where mmsearch keeps per-user data (models, indexes) when not told otherwise.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mmsearch")
}
