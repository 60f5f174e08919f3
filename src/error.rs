//! One error type for the whole crate, so every failure reaches the user as a
//! single line with a stable exit code instead of a panic or a backtrace.

use std::path::PathBuf;

/// Everything that can go wrong in mmsearch, phrased for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user asked for something that cannot be done (empty query, unknown option value...).
    #[error("{0}")]
    Usage(String),

    /// The embedding model or ONNX Runtime is missing, unreadable or too old.
    #[error("{0}; run `models/fetch` (or pass --models-dir / set MMSEARCH_MODELS)")]
    Model(String),

    /// A paper list or enrichment file could not be read or understood.
    #[error("{path}: {message}")]
    Corpus { path: PathBuf, message: String },

    /// The on-disk index is missing pieces, damaged, or was built by something else.
    #[error("index at {path}: {message}")]
    Index { path: PathBuf, message: String },

    /// A file system operation failed; the path says where.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The arXiv API could not be reached at all (offline, DNS, refused).
    #[error(
        "cannot reach the arXiv API at {url} ({message}); search keeps working with what mmsearch already has"
    )]
    Offline { url: String, message: String },

    /// The arXiv API answered, but not usefully (HTTP errors after retries, malformed XML).
    #[error("arXiv API: {0}")]
    Arxiv(String),

    #[error("keyword index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),

    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// Wraps an I/O error with the path it happened on, because a bare
    /// "No such file or directory" does not tell the user which file.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn index(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Index {
            path: path.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
