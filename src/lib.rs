//! mmsearch: hybrid (keyword + semantic) search over research-paper lists.
//!
//! One folder per concern, in the order a paper meets them: `read` turns
//! files into entries, `paper` holds what a paper is and its identity rules,
//! `collection` merges entries into papers, `embed` turns text into vectors,
//! `index` keeps both legs (tantivy BM25, hnsw_rs) on disk crash-safely,
//! `search` runs and fuses queries into shareable results, `eval` measures,
//! `enrich` fetches abstracts from arXiv, `serve` answers HTTP (API and web
//! page) over one loaded engine, and `cli` is the only part that prints.
//! `config` is the only reader of environment variables; `events` is
//! how the library tells the CLI about progress and warnings.

#![warn(missing_docs)]

pub mod cli;
pub mod collection;
pub mod config;
pub mod embed;
pub mod enrich;
pub mod error;
pub mod eval;
pub mod events;
pub mod index;
pub mod milvus;
pub mod paper;
pub mod read;
pub mod search;
pub mod serve;
pub mod write;

pub use error::{Error, Result};
pub use events::{Event, Events};
pub use search::engine::Engine;
