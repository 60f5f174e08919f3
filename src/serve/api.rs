//! The HTTP endpoints. Each answers exactly what the matching CLI command
//! prints with `--json` (the same printer writes both), and every bad
//! request gets a 4xx with `{"error": "…"}`, never a 500 or a crash.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::state::{App, Busy};
use crate::cli::print::{self, Format};
use crate::config::DEFAULT_LIMIT;
use crate::error::Error;
use crate::search::engine::{self, Engine, Mode, SearchOptions};
use crate::search::filter::{self, Filter};
use crate::search::fusion::{
    DEFAULT_ALPHA, DEFAULT_BOUNDED_ALPHA, DEFAULT_RRF_K, DEFAULT_SIMILAR_RRF_K, Fusion,
};
use crate::search::resolve::resolve;
use crate::search::results::Hit;

/// Longest `q` accepted, in bytes (the embedding reads 256 word pieces).
pub(crate) const MAX_QUERY_BYTES: usize = 4 * 1024;
/// Longest `text` for `similar` (a pasted abstract), in bytes.
pub(crate) const MAX_TEXT_BYTES: usize = 32 * 1024;
/// How long one request may take before it is answered 503.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// An answer: a JSON (or text) body, or an error with its status.
pub enum Answer {
    /// The body, and whether it is JSON (else plain text).
    Body {
        /// The bytes to send.
        bytes: Vec<u8>,
        /// JSON, else plain text.
        json: bool,
    },
    /// A refusal: `{"error": message}` with this status.
    Error {
        /// 4xx for the caller's mistakes.
        status: StatusCode,
        /// The one-line reason, as the CLI would print it.
        message: String,
    },
}

impl Answer {
    fn error(status: StatusCode, message: impl Into<String>) -> Answer {
        Answer::Error {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Answer {
        Answer::error(StatusCode::BAD_REQUEST, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Body { bytes, json } => {
                let kind = if json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                ([(header::CONTENT_TYPE, kind)], bytes).into_response()
            }
            Answer::Error { status, message } => {
                let body = serde_json::to_vec(&ErrorBody { error: &message })
                    .unwrap_or_else(|_| b"{\"error\":\"error\"}".to_vec());
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
        }
    }
}

/// The status for a library error: the user's fault is 4xx.
fn from_error(e: Error) -> Answer {
    let status = match &e {
        Error::Usage(_) => StatusCode::BAD_REQUEST,
        Error::Model(_) => StatusCode::SERVICE_UNAVAILABLE,
        // The Milvus this server stands in front of failed or is down.
        Error::Backend { .. } => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Answer::error(status, e.to_string())
}

fn from_busy(b: Busy) -> Answer {
    match b {
        Busy::Overloaded => Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy (too many queries wait for the model); try again",
        ),
        Busy::Timeout => Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "timed out waiting for the embedding model; try again",
        ),
        Busy::Failed(e) => from_error(e),
    }
}

/// Query-string parameters, checked against the names an endpoint knows.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: Option<&str>, known: &[&str]) -> Result<Params, Answer> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for (k, _) in &pairs {
            if !known.contains(&k.as_str()) {
                return Err(Answer::bad(format!(
                    "unknown parameter `{k}` (known: {})",
                    known.join(", ")
                )));
            }
        }
        Ok(Params(pairs))
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A parameter given at most once; an empty value counts as absent.
    fn one(&self, key: &str) -> Result<Option<&str>, Answer> {
        match self.all(key).as_slice() {
            [] => Ok(None),
            [v] if v.trim().is_empty() => Ok(None),
            [v] => Ok(Some(v)),
            _ => Err(Answer::bad(format!("`{key}` is given more than once"))),
        }
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, Answer> {
        self.one(key)?
            .map(|v| {
                v.trim()
                    .parse::<T>()
                    .map_err(|_| Answer::bad(format!("`{key}={v}` is not a valid number")))
            })
            .transpose()
    }

    fn flag(&self, key: &str) -> Result<bool, Answer> {
        match self.one(key)? {
            None => Ok(false),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(Answer::bad(format!("`{key}={v}`: use 1 or 0"))),
        }
    }
}

/// What `search` and `similar` share: limit, mode, fusion, filters,
/// explain and the output format (json unless the CLI asks for its own).
struct Listed {
    options: SearchOptions,
    explain: bool,
    format: Format,
    color: bool,
}

const LISTING_KEYS: &[&str] = &[
    "limit", "mode", "fusion", "alpha", "rrf_k", "year", "venue", "section", "author", "explain",
    "format", "color",
];

fn listed(params: &Params, default_rrf: bool) -> Result<Listed, Answer> {
    let limit = match params.number::<u32>("limit")? {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=u32::from(u16::MAX)).contains(&n) => n as usize,
        Some(n) => {
            return Err(Answer::bad(format!(
                "`limit={n}`: give a number from 1 to {}",
                u16::MAX
            )));
        }
    };
    let mode = match params.one("mode")? {
        None | Some("hybrid") => Mode::Hybrid,
        Some("keyword") => Mode::Keyword,
        Some("semantic") => Mode::Semantic,
        Some(v) => {
            return Err(Answer::bad(format!(
                "`mode={v}`: use hybrid, keyword or semantic"
            )));
        }
    };
    let alpha = params.number::<f64>("alpha")?;
    if let Some(alpha) = alpha
        && !(0.0..=1.0).contains(&alpha)
    {
        return Err(Answer::bad(format!(
            "`alpha={alpha}` is not a number between 0 and 1"
        )));
    }
    // `similar` fuses with RRF at its own k, as the CLI does.
    let rrf_k = params.number::<f64>("rrf_k")?.unwrap_or(if default_rrf {
        DEFAULT_SIMILAR_RRF_K
    } else {
        DEFAULT_RRF_K
    });
    if !(rrf_k > 0.0 && rrf_k.is_finite()) {
        return Err(Answer::bad(format!(
            "`rrf_k={rrf_k}` is not a positive number"
        )));
    }
    let fusion = match params.one("fusion")? {
        None if default_rrf => Fusion::Rrf { k: rrf_k },
        Some("rrf") => Fusion::Rrf { k: rrf_k },
        Some("linear") => Fusion::Linear {
            alpha: alpha.unwrap_or(DEFAULT_ALPHA),
        },
        None | Some("bounded") => Fusion::Bounded {
            alpha: alpha.unwrap_or(DEFAULT_BOUNDED_ALPHA),
        },
        Some(v) => {
            return Err(Answer::bad(format!(
                "`fusion={v}`: use bounded, linear or rrf"
            )));
        }
    };
    let years = params
        .one("year")?
        .map(filter::parse_years)
        .transpose()
        .map_err(from_error)?;
    let text = |key: &str| params.one(key).map(|v| v.map(str::to_string));
    let format = match params.one("format")? {
        None | Some("json") => Format::Json,
        Some("jsonl") => Format::Jsonl,
        Some("bibtex") => Format::Bibtex,
        Some("table") => Format::Table,
        Some(v) => {
            return Err(Answer::bad(format!(
                "`format={v}`: use json, jsonl, bibtex or table"
            )));
        }
    };
    Ok(Listed {
        options: SearchOptions {
            limit,
            mode,
            fusion,
            depth: engine::DEFAULT_DEPTH,
            filter: Filter {
                years,
                venue: text("venue")?,
                section: text("section")?,
                author: text("author")?,
            },
            ..SearchOptions::default()
        },
        explain: params.flag("explain")?,
        format,
        color: params.flag("color")?,
    })
}

/// The paper a reference names; an unknown one is a 404 (its message lists
/// the closest titles), an empty one a 400.
fn find(engine: &Engine, reference: &str) -> Result<usize, Answer> {
    if reference.trim().is_empty() {
        return Err(Answer::bad("empty paper reference"));
    }
    resolve(engine.papers(), reference)
        .map_err(|e| Answer::error(StatusCode::NOT_FOUND, e.to_string()))
}

/// Runs blocking engine work off the async threads.
async fn blocking<F>(work: F) -> Answer
where
    F: FnOnce() -> Answer + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"))
}

/// Bounds the whole request.
async fn bounded(work: impl Future<Output = Answer>) -> Answer {
    match tokio::time::timeout(REQUEST_TIMEOUT, work).await {
        Ok(answer) => answer,
        Err(_) => Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took too long; try again",
        ),
    }
}

/// Renders hits with the CLI's printer, so the bytes are what it prints.
fn render(
    engine: &Engine,
    query: &str,
    hits: Vec<Hit<'_>>,
    listed: &Listed,
    snippets: bool,
) -> Answer {
    let results = match engine.results(query, hits, &listed.options, snippets, listed.explain) {
        Ok(r) => r,
        Err(e) => return from_error(e),
    };
    let mut bytes = Vec::new();
    match print::write(&mut bytes, listed.format, &results, listed.color) {
        Ok(()) => Answer::Body {
            bytes,
            json: listed.format == Format::Json,
        },
        Err(e) => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/search`: as `mmsearch search --json`.
pub async fn search(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Answer {
    bounded(async move {
        let mut keys = vec!["q"];
        keys.extend_from_slice(LISTING_KEYS);
        let params = match Params::parse(raw.as_deref(), &keys) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let query = match params.one("q") {
            Ok(Some(q)) => q.trim().to_string(),
            Ok(None) => return Answer::bad("empty query: give some words to search for (q=…)"),
            Err(a) => return a,
        };
        if query.len() > MAX_QUERY_BYTES {
            return Answer::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the query is {} bytes; at most {MAX_QUERY_BYTES} are accepted",
                    query.len()
                ),
            );
        }
        let listed = match listed(&params, false) {
            Ok(l) => l,
            Err(a) => return a,
        };
        let vector = match listed.options.mode {
            Mode::Keyword => None,
            Mode::Hybrid | Mode::Semantic => match app.embed(query.clone()).await {
                Ok(v) => Some(v),
                Err(b) => return from_busy(b),
            },
        };
        blocking(move || {
            let live = app.live();
            match live
                .engine
                .search_with_vector(&query, vector.as_deref(), &listed.options)
            {
                Ok(hits) => render(&live.engine, &query, hits, &listed, true),
                Err(e) => from_error(e),
            }
        })
        .await
    })
    .await
}

/// `GET /api/similar`: as `mmsearch similar --json`.
pub async fn similar(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Answer {
    bounded(async move {
        let mut keys = vec!["paper", "text"];
        keys.extend_from_slice(LISTING_KEYS);
        let params = match Params::parse(raw.as_deref(), &keys) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let papers: Vec<String> = params
            .all("paper")
            .into_iter()
            .map(str::to_string)
            .collect();
        let text = match params.one("text") {
            Ok(t) => t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            Err(a) => return a,
        };
        if papers.is_empty() && text.is_none() {
            return Answer::bad(
                "give one or more papers (paper=ID, repeatable: id, tag, arXiv id or title) or text=…",
            );
        }
        if text.as_ref().is_some_and(|t| t.len() > MAX_TEXT_BYTES) {
            return Answer::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the text is longer than {MAX_TEXT_BYTES} bytes"),
            );
        }
        let listed = match listed(&params, true) {
            Ok(l) => l,
            Err(a) => return a,
        };
        // Unknown papers are told before paying for an embedding.
        let live = app.live();
        if let Some(refused) = papers.iter().find_map(|r| find(&live.engine, r).err()) {
            return refused;
        }
        drop(live);
        let vector = match &text {
            Some(t) => match app.embed(t.clone()).await {
                Ok(v) => Some(v),
                Err(b) => return from_busy(b),
            },
            None => None,
        };
        blocking(move || {
            let live = app.live();
            // The generation may have changed while embedding: resolve again.
            let seeds = match papers
                .iter()
                .map(|r| find(&live.engine, r))
                .collect::<Result<Vec<usize>, Answer>>()
            {
                Ok(s) => s,
                Err(refused) => return refused,
            };
            let described: Vec<String> = seeds
                .iter()
                .map(|&i| live.engine.papers()[i].id.clone())
                .collect();
            let query = match &text {
                Some(_) if described.is_empty() => "similar to the given text".to_string(),
                Some(_) => format!("similar to {} and the given text", described.join(", ")),
                None => format!("similar to {}", described.join(", ")),
            };
            let with_text = text.as_deref().zip(vector.as_deref());
            match live.engine.similar(&seeds, with_text, &listed.options) {
                Ok(hits) => render(&live.engine, &query, hits, &listed, false),
                Err(e) => from_error(e),
            }
        })
        .await
    })
    .await
}

/// `GET /api/papers/{id}`: as `mmsearch show --json`.
pub async fn paper(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let params = match Params::parse(raw.as_deref(), &["format"]) {
        Ok(p) => p,
        Err(a) => return a,
    };
    let table = match params.one("format") {
        Ok(None | Some("json")) => false,
        Ok(Some("table")) => true,
        Ok(Some(v)) => return Answer::bad(format!("`format={v}`: use json or table")),
        Err(a) => return a,
    };
    let live = app.live();
    let paper = match find(&live.engine, &id) {
        Ok(i) => &live.engine.papers()[i],
        Err(refused) => return refused,
    };
    let mut bytes = Vec::new();
    let written = if table {
        print::write_paper(&mut bytes, paper)
    } else {
        serde_json::to_writer_pretty(&mut bytes, paper)
            .map_err(std::io::Error::other)
            .map(|_| bytes.push(b'\n'))
    };
    match written {
        Ok(()) => Answer::Body {
            bytes,
            json: !table,
        },
        Err(e) => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// What `/api/health` answers.
#[derive(Serialize)]
pub(crate) struct Health<'a> {
    /// Always "ok" when it answers at all.
    pub status: &'a str,
    /// Papers in the live generation.
    pub papers: usize,
    /// The live generation's directory name.
    pub generation: &'a str,
    /// The embedding model (id and variant).
    pub model: &'a str,
    /// The index directory served, canonical.
    pub index_dir: &'a std::path::Path,
    /// The Milvus collection served (`milvus://HOST:PORT/NAME`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'a str>,
    /// The server's process id.
    pub pid: u32,
    /// mmsearch's version.
    pub version: &'a str,
    /// Requests answered before this one.
    pub requests: u64,
}

/// `GET /api/health`.
pub async fn health(State(app): State<Arc<App>>) -> Answer {
    let live = app.live();
    let health = Health {
        status: "ok",
        papers: live.engine.papers().len(),
        generation: &live.generation,
        model: &app.model,
        index_dir: &app.index_dir,
        backend: app.backend.as_deref(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION"),
        requests: app.requests.load(std::sync::atomic::Ordering::Relaxed),
    };
    match serde_json::to_vec_pretty(&health) {
        Ok(mut bytes) => {
            bytes.push(b'\n');
            Answer::Body { bytes, json: true }
        }
        Err(e) => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/map`: the collection in 2D.
pub async fn map(State(app): State<Arc<App>>) -> Answer {
    blocking(move || {
        let live = app.live();
        if live.map.get().is_none() {
            // Not cached when the backend fails: the next request tries again.
            let vectors = match live.engine.vectors() {
                Ok(v) => v,
                Err(e) => return from_error(e),
            };
            let engine = &live.engine;
            let map = super::map::build(
                &live.generation,
                engine.papers(),
                &vectors,
                engine.manifest().model.dimensions,
            );
            let _ = live.map.set(serde_json::to_vec(&map).unwrap_or_default());
        }
        let bytes = live.map.get().cloned().unwrap_or_default();
        Answer::Body { bytes, json: true }
    })
    .await
}

/// Anything else: 404 with a JSON error.
pub(crate) async fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, "no such endpoint")
}
