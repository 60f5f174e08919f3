//! The HTTP side of the arXiv API: ureq with a whole-request timeout, one
//! request per interval, retries with backoff on 429/5xx/timeouts, a
//! connection failure reported at once as offline.

use std::thread;
use std::time::{Duration, Instant};

use super::atom::{collapse, parse, parse_feed};
use super::{
    ArxivRecord, CONNECT_TIMEOUT, MAX_ATTEMPTS, MAX_BODY, MAX_IDS_PER_REQUEST, MAX_RETRY_AFTER,
};
use crate::error::{ArxivError, Error, Result};
use crate::paper::normalize_key;

/// A polite arXiv API client: one agent, a minimum gap between request starts,
/// and bounded retries, so `enrich` keeps to arXiv's terms of use unattended.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    interval: Duration,
    timeout: Duration,
    last_start: Option<Instant>,
    requests: usize,
}

/// What one attempt came to, when it did not produce a body.
pub(super) enum Failure {
    /// Worth another attempt (429/5xx, timeout, dropped connection).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final: report at once.
    Fatal(Error),
}

impl Client {
    /// Builds a client for `base_url` (normally `crate::config::ARXIV_API`); `interval` is the
    /// least time between the starts of two requests (arXiv asks for 3 s) and
    /// `timeout` bounds each whole request, so a dead server cannot hang a run.
    pub fn new(base_url: &str, interval: Duration, timeout: Duration) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
            .user_agent(concat!(
                "mmsearch/",
                env!("CARGO_PKG_VERSION"),
                " (paper-list search; arXiv API client)"
            ))
            .build()
            .into();
        Client {
            agent,
            base: base_url.to_string(),
            interval,
            timeout,
            last_start: None,
            requests: 0,
        }
    }

    /// Fetches up to `MAX_IDS_PER_REQUEST` papers by arXiv id in one request, so a
    /// whole list is enriched in a few calls; ids arXiv does not know are simply absent.
    pub fn fetch_ids(&mut self, ids: &[String]) -> Result<Vec<ArxivRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_IDS_PER_REQUEST {
            return Err(Error::Usage(format!(
                "at most {MAX_IDS_PER_REQUEST} arXiv ids per request, got {}",
                ids.len()
            )));
        }
        let mut clean = Vec::with_capacity(ids.len());
        for id in ids {
            let id = id.trim();
            if id.is_empty() || id.contains(',') || id.chars().any(char::is_whitespace) {
                return Err(Error::Usage(format!("not an arXiv id: {id:?}")));
            }
            clean.push(id);
        }
        let body = self.get(&[
            ("id_list", clean.join(",")),
            ("max_results", ids.len().to_string()),
        ])?;
        parse_feed(&body)
    }

    /// Looks a paper up by exact title, for list entries that have no arXiv id;
    /// only a title equal up to case and punctuation counts, so no wrong abstract is attached.
    pub fn search_title(&mut self, title: &str) -> Result<Option<ArxivRecord>> {
        let words = query_words(title);
        if words.is_empty() {
            return Err(Error::Usage(format!(
                "cannot search arXiv for title {title:?}: no words left"
            )));
        }
        let body = self.get(&[
            ("search_query", format!("ti:\"{words}\"")),
            ("max_results", "5".to_string()),
        ])?;
        let wanted = normalize_key(title);
        Ok(parse_feed(&body)?
            .into_iter()
            .find(|record| normalize_key(&record.title) == wanted))
    }

    /// How many HTTP requests (attempts, retries included) this client has made, for reporting.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// Sleeps until `interval` has passed since the previous request started, then marks a start.
    fn wait_turn(&mut self) {
        if let Some(last) = self.last_start {
            let left = self.interval.saturating_sub(last.elapsed());
            if !left.is_zero() {
                thread::sleep(left);
            }
        }
        self.last_start = Some(Instant::now());
        self.requests += 1;
    }

    /// One GET with rate limiting and retries; returns the 2xx body.
    fn get(&mut self, params: &[(&str, String)]) -> Result<String> {
        let mut attempt: u32 = 1;
        loop {
            self.wait_turn();
            let failure = match self.attempt(params) {
                Ok(body) => return Ok(body),
                Err(failure) => failure,
            };
            let (reason, retry_after) = match failure {
                Failure::Fatal(e) => return Err(e),
                Failure::Retry {
                    reason,
                    retry_after,
                } => (reason, retry_after),
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(Error::arxiv(format!(
                    "{reason} after {MAX_ATTEMPTS} attempts"
                )));
            }
            thread::sleep(backoff(self.interval, attempt, retry_after));
            attempt += 1;
        }
    }

    /// Sends one request and sorts the outcome into body, retryable or final.
    fn attempt(&self, params: &[(&str, String)]) -> std::result::Result<String, Failure> {
        let request = self
            .agent
            .get(self.base.as_str())
            .query_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        let mut response = match request.call() {
            Ok(response) => response,
            Err(e) => return Err(self.classify(e)),
        };
        let status = response.status();
        if status.is_success() {
            return response
                .body_mut()
                .with_config()
                .limit(MAX_BODY)
                .lossy_utf8(true)
                .read_to_string()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => Failure::Fatal(Error::arxiv(format!(
                        "response larger than {} MB",
                        MAX_BODY / (1024 * 1024)
                    ))),
                    ureq::Error::Timeout(_) => Failure::Retry {
                        reason: format!("timed out after {:?}", self.timeout),
                        retry_after: None,
                    },
                    other => Failure::Retry {
                        reason: format!("connection dropped mid-response ({other})"),
                        retry_after: None,
                    },
                });
        }
        let code = status.as_u16();
        let label = match status.canonical_reason() {
            Some(reason) => format!("HTTP {code} {reason}"),
            None => format!("HTTP {code}"),
        };
        if matches!(code, 429 | 500 | 502 | 503 | 504) {
            let retry_after = if matches!(code, 429 | 503) {
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|secs| Duration::from_secs(secs).min(MAX_RETRY_AFTER))
            } else {
                None
            };
            return Err(Failure::Retry {
                reason: label,
                retry_after,
            });
        }
        // arXiv explains bad queries in an Atom error entry; pass its words on.
        let detail = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .lossy_utf8(true)
            .read_to_string()
            .ok()
            .and_then(|body| parse(&body).ok())
            .and_then(|feed| feed.errors.into_iter().next());
        Err(Failure::Fatal(Error::arxiv(match detail {
            Some(detail) => format!("{label}: {}", collapse(&detail)),
            None => label,
        })))
    }

    /// Decides whether a transport error means "offline", "try again" or "give up".
    fn classify(&self, e: ureq::Error) -> Failure {
        use std::io::ErrorKind;
        match e {
            // No connection at all: a machine without a route to arXiv
            // should hear so at once, not after four timeouts.
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                Failure::Fatal(Error::from(ArxivError::Offline {
                    url: self.base.clone(),
                    message: e.to_string(),
                }))
            }
            ureq::Error::Timeout(_) => Failure::Retry {
                reason: format!("timed out after {:?}", self.timeout),
                retry_after: None,
            },
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    ErrorKind::UnexpectedEof
                        | ErrorKind::ConnectionReset
                        | ErrorKind::ConnectionAborted
                        | ErrorKind::BrokenPipe
                        | ErrorKind::TimedOut
                        | ErrorKind::Interrupted
                ) =>
            {
                Failure::Retry {
                    reason: format!("connection dropped ({io})"),
                    retry_after: None,
                }
            }
            // Refused, unreachable, DNS failure and other socket errors before any answer.
            ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_) => {
                Failure::Fatal(Error::from(ArxivError::Offline {
                    url: self.base.clone(),
                    message: e.to_string(),
                }))
            }
            ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
                Failure::Fatal(Error::Usage(format!(
                    "invalid arXiv API URL {:?}: {e}",
                    self.base
                )))
            }
            ureq::Error::Protocol(_) => Failure::Retry {
                reason: format!("garbled HTTP response ({e})"),
                retry_after: None,
            },
            other => Failure::Fatal(Error::arxiv(other.to_string())),
        }
    }
}

/// The wait before retry number `attempt` (1-based count of attempts made so far):
/// `max(interval, interval * 2^(attempt-1))`, or a larger `Retry-After`.
pub(super) fn backoff(interval: Duration, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let wait = interval.saturating_mul(factor).max(interval);
    match retry_after {
        Some(asked) if asked > wait => asked,
        _ => wait,
    }
}

/// Title words safe inside `ti:"..."`: arXiv's query parser chokes on quotes,
/// colons, parentheses and the like, and its index ignores punctuation anyway.
pub(super) fn query_words(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    collapse(&cleaned)
}
