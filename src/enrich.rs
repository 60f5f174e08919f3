//! `mmsearch enrich`: a user's own list rarely carries abstracts, and titles
//! alone search poorly. This fetches what arXiv knows about the papers that
//! lack an abstract (by arXiv id in batches, else by exact title) into the
//! collection's enrichment cache. The cache is rewritten atomically after
//! every answer, so an interrupted run keeps what it fetched and the next
//! run asks only for the rest.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::arxiv::{ArxivRecord, Client};
use crate::corpus::{Collection, EnrichmentRow, Paper, Sources, VenueYear, normalize_key};
use crate::error::{Error, Result};
use crate::store::write_atomically;

/// arXiv's terms: no more than one request every three seconds.
pub const ARXIV_INTERVAL: Duration = Duration::from_secs(3);
/// arXiv's API takes at most this many ids a request in practice.
pub const MAX_BATCH: usize = 100;
/// Marks a cache row for a paper arXiv does not know.
const NOT_FOUND: &str = "not-found";

#[derive(Debug, Clone)]
pub struct EnrichOptions {
    pub api: String,
    pub interval: Duration,
    pub timeout: Duration,
    pub batch_size: usize,
    /// Ask again about papers an earlier run did not find.
    pub retry_missing: bool,
    pub progress: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnrichReport {
    /// Papers without an abstract before the run.
    pub missing: usize,
    /// Papers an earlier run already answered for (found or not).
    pub cached: usize,
    pub fetched_by_id: usize,
    pub fetched_by_title: usize,
    pub not_found: usize,
    pub requests: usize,
    /// One line per batch or title that failed (malformed answer, HTTP error).
    pub failures: Vec<String>,
}

impl EnrichReport {
    pub fn fetched(&self) -> usize {
        self.fetched_by_id + self.fetched_by_title
    }
}

/// The cache's rows, and what they already answer.
struct Cache {
    rows: Vec<EnrichmentRow>,
    ids: HashSet<String>,
    titles: HashSet<String>,
}

impl Cache {
    /// Reads the cache; lines that do not parse are dropped with a warning
    /// (they would be dropped anyway on the next write).
    fn read(path: &Path, warnings: &mut Vec<String>) -> Result<Cache> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut cache = Cache {
            rows: Vec::new(),
            ids: HashSet::new(),
            titles: HashSet::new(),
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<EnrichmentRow>(line) {
                Ok(row) => cache.push(row),
                Err(e) => warnings.push(format!(
                    "{}:{}: dropped malformed line ({e})",
                    path.display(),
                    n + 1
                )),
            }
        }
        Ok(cache)
    }

    fn push(&mut self, row: EnrichmentRow) {
        if let Some(id) = &row.arxiv_id {
            self.ids.insert(id.clone());
        }
        if let Some(title) = &row.title {
            self.titles.insert(normalize_key(title));
        }
        self.rows.push(row);
    }

    fn forget_missing(&mut self) {
        self.rows.retain(|r| r.status.as_deref() != Some(NOT_FOUND));
        let rows = std::mem::take(&mut self.rows);
        self.ids.clear();
        self.titles.clear();
        rows.into_iter().for_each(|r| self.push(r));
    }

    fn save(&self, path: &Path) -> Result<()> {
        let mut out = Vec::new();
        for row in &self.rows {
            serde_json::to_writer(&mut out, row)?;
            out.push(b'\n');
        }
        write_atomically(path, &out)
    }
}

fn found_row(paper: &Paper, record: ArxivRecord) -> EnrichmentRow {
    let year = record
        .published
        .as_deref()
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse().ok());
    EnrichmentRow {
        id: paper.tags.first().cloned(),
        arxiv_id: Some(record.arxiv_id),
        title: Some(record.title),
        authors: record.authors,
        published: record.published,
        primary_category: record.primary_category,
        doi: record.doi,
        venue_year: Some(VenueYear {
            venue: Some("arXiv".into()),
            year,
        }),
        abstract_text: Some(record.abstract_text),
        status: None,
    }
}

fn missing_row(paper: &Paper, by_title: bool) -> EnrichmentRow {
    EnrichmentRow {
        id: paper.tags.first().cloned(),
        arxiv_id: if by_title {
            None
        } else {
            paper.arxiv_id.clone()
        },
        title: by_title.then(|| paper.title.clone()),
        status: Some(NOT_FOUND.into()),
        ..EnrichmentRow::default()
    }
}

/// Fetches what is missing for `sources` into the cache at `cache_path`.
/// A network failure stops the run (what was fetched is kept); a batch
/// that fails otherwise is reported and the run goes on.
pub fn enrich(
    sources: &Sources,
    cache_path: &Path,
    options: &EnrichOptions,
    warnings: &mut Vec<String>,
) -> Result<EnrichReport> {
    if options.batch_size == 0 || options.batch_size > MAX_BATCH {
        return Err(Error::Usage(format!(
            "the batch size must be between 1 and {MAX_BATCH}"
        )));
    }
    let collection = Collection::from_sources(sources)?;
    warnings.extend(collection.warnings.iter().cloned());
    let mut cache = Cache::read(cache_path, warnings)?;
    if options.retry_missing {
        cache.forget_missing();
    }
    let mut report = EnrichReport::default();
    let missing: Vec<&Paper> = collection
        .papers
        .iter()
        .filter(|p| p.abstract_text.is_none())
        .collect();
    report.missing = missing.len();
    let mut by_id: Vec<&Paper> = Vec::new();
    let mut by_title: Vec<&Paper> = Vec::new();
    for paper in missing {
        match &paper.arxiv_id {
            Some(id) if cache.ids.contains(id) => report.cached += 1,
            Some(_) => by_id.push(paper),
            None if cache.titles.contains(&normalize_key(&paper.title)) => report.cached += 1,
            None if normalize_key(&paper.title).is_empty() => {}
            None => by_title.push(paper),
        }
    }
    let bar = progress_bar(options.progress, by_id.len() + by_title.len());
    let mut client = Client::new(&options.api, options.interval, options.timeout);
    let result = (|| -> Result<()> {
        for batch in by_id.chunks(options.batch_size) {
            let ids: Vec<String> = batch.iter().filter_map(|p| p.arxiv_id.clone()).collect();
            bar.set_message(format!("arXiv ids {}", ids.join(",")));
            match client.fetch_ids(&ids) {
                Ok(records) => {
                    for paper in batch {
                        let record = records
                            .iter()
                            .find(|r| Some(&r.arxiv_id) == paper.arxiv_id.as_ref());
                        match record {
                            Some(record) => {
                                cache.push(found_row(paper, record.clone()));
                                report.fetched_by_id += 1;
                            }
                            None => {
                                cache.push(missing_row(paper, false));
                                report.not_found += 1;
                            }
                        }
                    }
                    cache.save(cache_path)?;
                }
                Err(Error::Arxiv(message)) => report
                    .failures
                    .push(format!("ids {}: {message}", ids.join(","))),
                Err(e) => return Err(e),
            }
            bar.inc(batch.len() as u64);
        }
        for paper in &by_title {
            bar.set_message(format!("title {}", paper.title));
            match client.search_title(&paper.title) {
                Ok(Some(record)) => {
                    cache.push(found_row(paper, record));
                    report.fetched_by_title += 1;
                    cache.save(cache_path)?;
                }
                Ok(None) => {
                    cache.push(missing_row(paper, true));
                    report.not_found += 1;
                    cache.save(cache_path)?;
                }
                Err(Error::Arxiv(message)) => report
                    .failures
                    .push(format!("title \"{}\": {message}", paper.title)),
                Err(e) => return Err(e),
            }
            bar.inc(1);
        }
        Ok(())
    })();
    bar.finish_and_clear();
    report.requests = client.requests();
    match result {
        Err(Error::Offline { url, message }) if report.fetched() + report.not_found > 0 => {
            Err(Error::Offline {
                url,
                message: format!(
                    "{message}; the {} answers fetched before are kept in the cache",
                    report.fetched() + report.not_found
                ),
            })
        }
        Err(e) => Err(e),
        Ok(()) => Ok(report),
    }
}

fn progress_bar(show: bool, total: usize) -> ProgressBar {
    if !show || total == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("enrich {bar:30} {pos}/{len} papers, eta {eta} {wide_msg}")
    {
        bar.set_style(style);
    }
    bar
}
