//! `mmsearch enrich`: a user's own list rarely carries abstracts, and titles
//! alone search poorly. This fetches what arXiv knows about the papers that
//! lack an abstract (by arXiv id in batches, else by exact title) into the
//! collection's enrichment cache. The cache is rewritten atomically after
//! every answer, so an interrupted run keeps what it fetched and the next
//! run asks only for the rest.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::collection::{Collection, EnrichmentRow, Sources, VenueYear};
use crate::config::ARXIV_MAX_IDS as MAX_BATCH;
use crate::error::{ArxivError, Error, Result};
use crate::events::{Event, Events, Task};
use crate::index::store::write_atomically;
use crate::paper::{Paper, normalize_key};
use arxiv::{ArxivRecord, Client};

pub mod arxiv;
/// Marks a cache row for a paper arXiv does not know.
const NOT_FOUND: &str = "not-found";

/// How an enrich run talks to arXiv.
#[derive(Debug, Clone)]
pub struct EnrichOptions {
    /// The API endpoint.
    pub api: String,
    /// Time between requests.
    pub interval: Duration,
    /// Time before a request is given up (and retried).
    pub timeout: Duration,
    /// arXiv ids per request.
    pub batch_size: usize,
    /// Ask again about papers an earlier run did not find.
    pub retry_missing: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnrichReport {
    /// Papers without an abstract before the run.
    pub missing: usize,
    /// Papers an earlier run already answered for (found or not).
    pub cached: usize,
    /// Fetched by id.
    pub fetched_by_id: usize,
    /// Fetched by title.
    pub fetched_by_title: usize,
    /// Not found.
    pub not_found: usize,
    /// Requests.
    pub requests: usize,
    /// One line per batch or title that failed (malformed answer, HTTP error).
    pub failures: Vec<String>,
}

impl EnrichReport {
    /// Fetched.
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
    events: &Events,
) -> Result<EnrichReport> {
    if options.batch_size == 0 || options.batch_size > MAX_BATCH {
        return Err(Error::Usage(format!(
            "the batch size must be between 1 and {MAX_BATCH}"
        )));
    }
    let collection = Collection::from_sources(sources)?;
    let mut warnings = collection.warnings.clone();
    let cache = Cache::read(cache_path, &mut warnings);
    for warning in warnings {
        events.warn(warning);
    }
    let mut cache = cache?;
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
    let total = by_id.len() + by_title.len();
    if total > 0 {
        events.emit(Event::Started {
            task: Task::Enriching,
            total,
        });
    }
    let mut done = 0;
    let step = |done: usize, detail: String| {
        events.emit(Event::Progress {
            task: Task::Enriching,
            done,
            detail: Some(detail),
        })
    };
    let mut client = Client::new(&options.api, options.interval, options.timeout);
    let result = (|| -> Result<()> {
        for batch in by_id.chunks(options.batch_size) {
            let ids: Vec<String> = batch.iter().filter_map(|p| p.arxiv_id.clone()).collect();
            step(done, format!("arXiv ids {}", ids.join(",")));
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
                Err(Error::Arxiv {
                    kind: ArxivError::Answer(message),
                }) => report
                    .failures
                    .push(format!("ids {}: {message}", ids.join(","))),
                Err(e) => return Err(e),
            }
            done += batch.len();
        }
        for paper in &by_title {
            step(done, format!("title {}", paper.title));
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
                Err(Error::Arxiv {
                    kind: ArxivError::Answer(message),
                }) => report
                    .failures
                    .push(format!("title \"{}\": {message}", paper.title)),
                Err(e) => return Err(e),
            }
            done += 1;
        }
        Ok(())
    })();
    if total > 0 {
        events.emit(Event::Finished {
            task: Task::Enriching,
        });
    }
    report.requests = client.requests();
    match result {
        Err(Error::Arxiv {
            kind: ArxivError::Offline { url, message },
        }) if report.fetched() + report.not_found > 0 => Err(ArxivError::Offline {
            url,
            message: format!(
                "{message}; the {} answers fetched before are kept in the cache",
                report.fetched() + report.not_found
            ),
        }
        .into()),
        Err(e) => Err(e),
        Ok(()) => Ok(report),
    }
}
