//! One error type for the whole crate, so every failure reaches the user as a
//! single line with a stable exit code instead of a panic or a backtrace.
//! Variants are typed so callers decide by kind, never by message text.

use std::path::PathBuf;

/// Everything that can go wrong in mmsearch, phrased for the person at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user asked for something that cannot be done (empty query, unknown option value...).
    #[error("{0}")]
    Usage(String),

    /// The embedding model or ONNX Runtime is missing, unreadable or too old.
    #[error(
        "{0}; run `models/fetch --install` in the mmsearch checkout (or pass --models-dir / set MMSEARCH_MODELS)"
    )]
    Model(String),

    /// A paper list or enrichment file could not be understood.
    #[error("{}: {message}", path.display())]
    Source {
        /// The file (or "shipped list").
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A source file could not be read at all. `remembered` says the index
    /// directory named it (the user did not give it this time), so search
    /// can go on with the index as last built.
    #[error("{}: {}", path.display(), unreadable(source, *remembered))]
    SourceUnreadable {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
        /// Remembered by the index rather than given on the command line.
        remembered: bool,
    },

    /// The on-disk index is missing pieces, damaged, or was built by something else.
    #[error("index at {}: {what}", path.display())]
    Index {
        /// The index directory (or generation).
        path: PathBuf,
        /// What is wrong.
        what: String,
    },

    /// A file system operation failed; the path says where.
    #[error("{}: {source}", path.display())]
    Io {
        /// Where it failed.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Talking to the arXiv API failed; the kind says how.
    #[error("{kind}")]
    Arxiv {
        /// How it failed.
        kind: ArxivError,
    },

    /// A search backend server (Milvus) could not be reached or refused a
    /// request; the address says which.
    #[error("Milvus at {address}: {}", one_line(.what))]
    Backend {
        /// `HOST:PORT`.
        address: String,
        /// What failed.
        what: String,
    },

    /// The keyword index (tantivy) failed.
    #[error("keyword index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),

    /// JSON could not be written or read.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),

    /// A bug or an environment mmsearch cannot work in (no home directory).
    #[error("{0}")]
    Internal(String),
}

/// How a conversation with the arXiv API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArxivError {
    /// The API could not be reached at all (offline, DNS, refused): a run stops.
    #[error(
        "cannot reach the arXiv API at {url} ({}); search keeps working with what mmsearch already has",
        one_line(.message)
    )]
    Offline {
        /// The endpoint.
        url: String,
        /// What the network said.
        message: String,
    },
    /// The API answered, but not usefully (HTTP errors after retries,
    /// malformed XML): this request is given up, a run goes on.
    #[error("arXiv API: {}", one_line(.0))]
    Answer(String),
    /// Some requests of a run failed (reported above); what was fetched is kept.
    #[error("arXiv API: {0} request(s) failed (above); run `mmsearch enrich` again to retry them")]
    Incomplete(usize),
}

/// An error message is one line: a server's answer or a network error may
/// span several.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unreadable(source: &std::io::Error, remembered: bool) -> String {
    if remembered {
        format!(
            "this collection's source cannot be read ({source}); give the sources again \
             with `mmsearch index --source FILE...`, or `mmsearch index --shipped`"
        )
    } else {
        source.to_string()
    }
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

    /// A damaged or unusable index at `path`.
    pub fn index(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        Error::Index {
            path: path.into(),
            what: what.into(),
        }
    }

    /// An arXiv answer that is not usable.
    pub fn arxiv(message: impl Into<String>) -> Self {
        Error::Arxiv {
            kind: ArxivError::Answer(one_line(&message.into())),
        }
    }
}

impl From<ArxivError> for Error {
    fn from(kind: ArxivError) -> Self {
        Error::Arxiv { kind }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
