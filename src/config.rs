//! The one place that reads environment variables and knows where mmsearch
//! keeps its data, and the settings several modules share, so each is
//! defined once. Nothing here changes ranking: no hidden knobs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

/// Names the index directory when `--index-dir` is not given.
pub(crate) const ENV_INDEX_DIR: &str = "MMSEARCH_INDEX_DIR";
/// Names the models directory when `--models-dir` is not given.
pub(crate) const ENV_MODELS: &str = "MMSEARCH_MODELS";
/// Names the search backend when `--backend` is not given.
pub(crate) const ENV_BACKEND: &str = "MMSEARCH_BACKEND";
/// Names the arXiv API endpoint when `--arxiv-api` is not given.
pub(crate) const ENV_ARXIV_API: &str = "MMSEARCH_ARXIV_API";

/// How many results a listing shows unless told otherwise.
pub(crate) const DEFAULT_LIMIT: usize = 10;
/// The public arXiv API endpoint.
pub(crate) const ARXIV_API: &str = "http://export.arxiv.org/api/query";
/// arXiv's terms: no more than one request every three seconds.
pub(crate) const ARXIV_INTERVAL: Duration = Duration::from_secs(3);
/// arXiv ids per `id_list` request: arXiv's own limit, so one batch is one request.
pub(crate) const ARXIV_MAX_IDS: usize = 100;
/// Seconds before an arXiv request is given up (and retried).
pub(crate) const ARXIV_TIMEOUT: Duration = Duration::from_secs(30);

/// A variable's value, when it is set and not empty.
fn var(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The per-user data directory (`~/.local/share/mmsearch` on Linux).
fn data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "mmsearch")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Internal("no home directory to keep data in: pass --index-dir".into())
        })
}

/// The default index directory: `MMSEARCH_INDEX_DIR`, else the user data directory.
pub(crate) fn default_index_dir() -> Result<PathBuf> {
    match var(ENV_INDEX_DIR) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(data_dir()?.join("index")),
    }
}

/// Where `eval` on the shipped judgments keeps its index when not told:
/// apart from the user's collection, which may be their own papers.
pub(crate) fn shipped_eval_index_dir() -> Result<PathBuf> {
    Ok(data_dir()?.join("eval-shipped"))
}

/// Where `eval --beir DIR` keeps the index of that collection when not told.
pub(crate) fn beir_index_dir(beir_dir: &Path) -> Result<PathBuf> {
    let name = beir_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "beir".to_string());
    Ok(data_dir()?.join("beir").join(crate::paper::slug(&name)))
}

/// Where to look for the models directory, in order, when `--models-dir` is
/// not given: `MMSEARCH_MODELS` (which wins even when wrong, so a typo is
/// reported), else `./models` and the user data directory.
pub(crate) fn models_dir_candidates() -> (Option<PathBuf>, Vec<PathBuf>) {
    let explicit = var(ENV_MODELS).map(PathBuf::from);
    let mut fallbacks = vec![PathBuf::from("models")];
    if let Ok(dir) = data_dir() {
        fallbacks.push(dir.join("models"));
    }
    (explicit, fallbacks)
}

/// The search backend: `MMSEARCH_BACKEND` when set (`milvus://HOST:PORT[/NAME]`),
/// else `None`, the embedded engine.
pub(crate) fn backend() -> Option<String> {
    var(ENV_BACKEND).map(|v| v.to_string_lossy().into_owned())
}

/// The arXiv API endpoint: `MMSEARCH_ARXIV_API`, else the public one.
pub(crate) fn arxiv_api() -> String {
    var(ENV_ARXIV_API)
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_else(|| ARXIV_API.to_string())
}

/// Whether colour is allowed at all (`NO_COLOR` unset or empty); the CLI
/// also checks that standard output is a terminal.
pub(crate) fn color_allowed() -> bool {
    var("NO_COLOR").is_none()
}
