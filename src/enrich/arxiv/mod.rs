//! The arXiv API client behind `mmsearch enrich`: fetches abstracts and
//! metadata as Atom XML, politely (one request every few seconds, retries
//! with backoff on 429/5xx, a timeout), so a user's own list gets abstracts.

mod atom;
mod client;

use std::time::Duration;

pub use atom::parse_feed;
pub use client::Client;

/// What arXiv says about one paper.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArxivRecord {
    /// Without version suffix, e.g. `2304.08485` or `hep-th/9901001`.
    pub arxiv_id: String,
    /// The title.
    pub title: String,
    /// The authors, in order.
    pub authors: Vec<String>,
    /// The abstract.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// Date of the first version, `YYYY-MM-DD`.
    pub published: Option<String>,
    /// Primary category.
    pub primary_category: Option<String>,
    /// The DOI, as written (compare with `paper::doi::key`).
    pub doi: Option<String>,
}

/// arXiv's own limit on one `id_list` request that we keep to, so one batch is one request.
pub(crate) const MAX_IDS_PER_REQUEST: usize = crate::config::ARXIV_MAX_IDS;

/// How long to wait for a connection before calling arXiv unreachable.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times one request is tried in all before giving up on 429/5xx/timeouts.
pub(crate) const MAX_ATTEMPTS: u32 = 4;

/// The longest `Retry-After` we honour, so a confused server cannot stall a run for hours.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The biggest response body we read; a full 100-paper page is well under 1 MB.
pub(super) const MAX_BODY: u64 = 16 * 1024 * 1024;

#[cfg(test)]
mod tests;
