//! Searching an opened index: `engine` runs the legs and fuses them
//! (`fusion`, over any number of legs), `author` puts a named author's
//! papers first, `filter` narrows by year, venue,
//! section or author, `resolve` finds the paper a user names, `feedback`
//! and `word_feedback` let the first hits refine the query (its vector, its
//! words), and `results` is what every printer (and a server) is handed.

pub mod author;
pub mod engine;
pub mod feedback;
pub use crate::paper::filter;
pub mod fusion;
pub mod resolve;
pub mod results;
pub mod word_feedback;

use serde::Serialize;

pub use engine::{Engine, EngineConfig, Legs, SearchOptions};
pub use results::{Hit, Results, Snippet};

/// Which legs answer a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Both legs, fused.
    Hybrid,
    /// BM25 only.
    Keyword,
    /// Embeddings only.
    Semantic,
}
