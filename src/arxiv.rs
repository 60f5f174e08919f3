//! The arXiv API client behind `mmsearch enrich`: fetches abstracts and
//! metadata as Atom XML, politely (one request every few seconds, retries
//! with backoff on 429/5xx, a timeout), so a user's own list gets abstracts.

use std::sync::LazyLock;
use std::thread;
use std::time::{Duration, Instant};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use regex::Regex;

use crate::corpus::normalize_key;
use crate::error::{Error, Result};

/// The public arXiv API endpoint.
pub const DEFAULT_API: &str = "http://export.arxiv.org/api/query";

/// What arXiv says about one paper.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArxivRecord {
    /// Without version suffix, e.g. `2304.08485` or `hep-th/9901001`.
    pub arxiv_id: String,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// Date of the first version, `YYYY-MM-DD`.
    pub published: Option<String>,
    pub primary_category: Option<String>,
    pub doi: Option<String>,
}

/// arXiv's own limit on one `id_list` request that we keep to, so one batch is one request.
pub const MAX_IDS_PER_REQUEST: usize = 100;

/// How long to wait for a connection before calling arXiv unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times one request is tried in all before giving up on 429/5xx/timeouts.
pub const MAX_ATTEMPTS: u32 = 4;

/// The longest `Retry-After` we honour, so a confused server cannot stall a run for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const ARXIV_NS: &str = "http://arxiv.org/schemas/atom";

/// The biggest response body we read; a full 100-paper page is well under 1 MB.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// `2304.08485v2` or `hep-th/9901001v1` (the part after `/abs/`), version optional.
static ARXIV_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<id>\d{4}\.\d{4,5}|[A-Za-z][A-Za-z.-]*/\d{7})(?:v\d+)?$").expect("valid regex")
});

/// Which namespace an element lives in, as far as this parser cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Atom,
    Arxiv,
    Other,
}

fn ns_of(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) if *ns == ATOM_NS => Ns::Atom,
        ResolveResult::Bound(Namespace(ns)) if *ns == ARXIV_NS => Ns::Arxiv,
        _ => Ns::Other,
    }
}

/// One open element on the parser's stack.
#[derive(Debug)]
struct Open {
    ns: Ns,
    local: String,
}

impl Open {
    fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// Fields of the `<entry>` being read, before validation.
#[derive(Debug, Default)]
struct PartialEntry {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    authors: Vec<String>,
    published: Option<String>,
    primary_category: Option<String>,
    doi: Option<String>,
}

/// A parsed feed: the papers, and the text of arXiv's error entries.
#[derive(Debug, Default)]
struct Feed {
    records: Vec<ArxivRecord>,
    errors: Vec<String>,
}

fn malformed(message: impl std::fmt::Display) -> Error {
    Error::Arxiv(format!("malformed response: {message}"))
}

/// Joins runs of whitespace (arXiv wraps and indents titles and abstracts) into single spaces.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `http://arxiv.org/abs/2304.08485v2` -> `2304.08485`; None for anything else.
fn id_from_url(url: &str) -> Option<String> {
    let (_, rest) = url.trim().split_once("/abs/")?;
    let caps = ARXIV_ID.captures(rest)?;
    Some(caps["id"].to_string())
}

/// `2023-04-17T17:59:25Z` -> `2023-04-17`; None if it does not start with a date.
fn date_part(timestamp: &str) -> Option<String> {
    let day = timestamp.trim().get(..10)?;
    let b = day.as_bytes();
    let shape_ok = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        _ => c.is_ascii_digit(),
    });
    shape_ok.then(|| day.to_string())
}

/// The `term` attribute of `<arxiv:primary_category term="cs.CV" .../>`.
fn term_attribute(start: &BytesStart<'_>) -> Result<Option<String>> {
    for attr in start.attributes() {
        let attr = attr.map_err(malformed)?;
        if attr.key.local_name().as_ref() == "term" {
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(malformed)?;
            let value = value.trim();
            return Ok((!value.is_empty()).then(|| value.to_string()));
        }
    }
    Ok(None)
}

/// Turns a finished `<entry>` into a record, or into an error message for arXiv's error entries.
fn finish_entry(entry: PartialEntry, feed: &mut Feed) {
    let id = entry.id.unwrap_or_default();
    let title = entry.title.unwrap_or_default();
    if id.contains("/api/errors") || title == "Error" {
        let message = entry.summary.filter(|s| !s.is_empty()).unwrap_or(title);
        feed.errors.push(message);
        return;
    }
    // An entry without a recognisable arXiv id cannot be matched to anything; skip it.
    let Some(arxiv_id) = id_from_url(&id) else {
        return;
    };
    feed.records.push(ArxivRecord {
        arxiv_id,
        title,
        authors: entry.authors,
        abstract_text: entry.summary.unwrap_or_default(),
        published: entry.published,
        primary_category: entry.primary_category,
        doi: entry.doi,
    });
}

/// Reads a whole Atom document; errors and papers are kept apart for the client's messages.
fn parse(xml: &str) -> Result<Feed> {
    let mut reader = NsReader::from_str(xml);
    let mut feed = Feed::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut text = String::new();
    let mut entry: Option<PartialEntry> = None;
    let mut seen_root = false;

    loop {
        let event = reader
            .read_resolved_event()
            .map(|(resolved, event)| (ns_of(&resolved), event));
        let (ns, event) = match event {
            Ok(pair) => pair,
            Err(e) => {
                return Err(malformed(format_args!(
                    "{e} at byte {}",
                    reader.error_position()
                )));
            }
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(start) | Event::Empty(start) if stack.is_empty() => {
                if seen_root {
                    return Err(malformed("more than one root element"));
                }
                let local = start.local_name().as_ref().to_string();
                if ns != Ns::Atom || local != "feed" {
                    return Err(malformed(format_args!(
                        "expected an Atom <feed>, got <{}>",
                        start.name().as_ref()
                    )));
                }
                seen_root = true;
                if opens {
                    stack.push(Open { ns, local });
                }
            }
            Event::Start(start) => {
                text.clear();
                let local = start.local_name().as_ref().to_string();
                let in_entry = stack.len() == 2 && entry.is_some();
                if stack.len() == 1 && ns == Ns::Atom && local == "entry" {
                    entry = Some(PartialEntry::default());
                } else if in_entry
                    && ns == Ns::Arxiv
                    && local == "primary_category"
                    && let Some(e) = entry.as_mut()
                {
                    e.primary_category = term_attribute(&start)?;
                }
                stack.push(Open { ns, local });
            }
            Event::Empty(start) => {
                text.clear();
                let in_entry = stack.len() == 2 && entry.is_some();
                if in_entry
                    && ns == Ns::Arxiv
                    && start.local_name().as_ref() == "primary_category"
                    && let Some(e) = entry.as_mut()
                {
                    e.primary_category = term_attribute(&start)?;
                }
            }
            Event::End(_) => {
                let Some(closed) = stack.pop() else {
                    return Err(malformed("closing tag without an open element"));
                };
                let value = std::mem::take(&mut text);
                match (stack.len(), entry.as_mut()) {
                    (1, Some(_)) if closed.is(Ns::Atom, "entry") => {
                        if let Some(done) = entry.take() {
                            finish_entry(done, &mut feed);
                        }
                    }
                    (2, Some(e)) => match (closed.ns, closed.local.as_str()) {
                        (Ns::Atom, "id") => e.id = Some(value.trim().to_string()),
                        (Ns::Atom, "title") => e.title = Some(collapse(&value)),
                        (Ns::Atom, "summary") => e.summary = Some(collapse(&value)),
                        (Ns::Atom, "published") => e.published = date_part(&value),
                        (Ns::Arxiv, "doi") => {
                            let doi = collapse(&value);
                            e.doi = (!doi.is_empty()).then_some(doi);
                        }
                        _ => {}
                    },
                    (3, Some(e))
                        if closed.is(Ns::Atom, "name")
                            && stack.last().is_some_and(|p| p.is(Ns::Atom, "author")) =>
                    {
                        let name = collapse(&value);
                        if !name.is_empty() {
                            e.authors.push(name);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                let chunk = t.xml10_content();
                if stack.is_empty() && !chunk.trim().is_empty() {
                    return Err(malformed("text outside the root element"));
                }
                text.push_str(&chunk);
            }
            Event::CData(c) => {
                if stack.is_empty() {
                    return Err(malformed("CDATA outside the root element"));
                }
                text.push_str(&c.xml10_content());
            }
            Event::GeneralRef(r) => {
                if stack.is_empty() {
                    return Err(malformed("entity reference outside the root element"));
                }
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => text.push(c),
                        Ok(None) | Err(_) => {
                            return Err(malformed(format_args!(
                                "bad character reference &{};",
                                &*r
                            )));
                        }
                    }
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    text.push_str(s);
                } else {
                    return Err(malformed(format_args!("undefined entity &{};", &*r)));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }

    if let Some(open) = stack.last() {
        return Err(malformed(format_args!(
            "document ends inside <{}> (truncated?)",
            open.local
        )));
    }
    if !seen_root {
        return Err(malformed("no XML document (empty body?)"));
    }
    Ok(feed)
}

/// Parses an arXiv API Atom feed into records, skipping arXiv's error entries,
/// so the caller gets papers or one clear "malformed response" error, never a panic.
pub fn parse_feed(xml: &str) -> Result<Vec<ArxivRecord>> {
    parse(xml).map(|feed| feed.records)
}

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
enum Failure {
    /// Worth another attempt (429/5xx, timeout, dropped connection).
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Final: report at once.
    Fatal(Error),
}

impl Client {
    /// Builds a client for `base_url` (normally [`DEFAULT_API`]); `interval` is the
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

    /// Fetches up to [`MAX_IDS_PER_REQUEST`] papers by arXiv id in one request, so a
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
                return Err(Error::Arxiv(format!(
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
                    ureq::Error::BodyExceedsLimit(_) => Failure::Fatal(Error::Arxiv(format!(
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
        Err(Failure::Fatal(Error::Arxiv(match detail {
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
                Failure::Fatal(Error::Offline {
                    url: self.base.clone(),
                    message: e.to_string(),
                })
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
            | ureq::Error::ConnectProxyFailed(_) => Failure::Fatal(Error::Offline {
                url: self.base.clone(),
                message: e.to_string(),
            }),
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
            other => Failure::Fatal(Error::Arxiv(other.to_string())),
        }
    }
}

/// The wait before retry number `attempt` (1-based count of attempts made so far):
/// `max(interval, interval * 2^(attempt-1))`, or a larger `Retry-After`.
fn backoff(interval: Duration, attempt: u32, retry_after: Option<Duration>) -> Duration {
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
fn query_words(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    collapse(&cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    const TWO_PAPERS: &str = include_str!("../tests/fixtures/arxiv/two_papers.xml");
    const ERROR_ENTRY: &str = include_str!("../tests/fixtures/arxiv/error_entry.xml");
    const EMPTY: &str = include_str!("../tests/fixtures/arxiv/empty.xml");
    const TITLE_SEARCH: &str = include_str!("../tests/fixtures/arxiv/title_search.xml");
    const MALFORMED: &str = include_str!("../tests/fixtures/arxiv/malformed.xml");

    fn assert_malformed(result: Result<Vec<ArxivRecord>>) {
        match result {
            Err(Error::Arxiv(message)) => {
                assert!(message.starts_with("malformed response: "), "{message}");
                assert!(!message.contains('\n'), "{message}");
            }
            other => panic!("expected a malformed-response error, got {other:?}"),
        }
    }

    #[test]
    fn parses_two_papers() {
        let records = parse_feed(TWO_PAPERS).unwrap();
        assert_eq!(records.len(), 2);

        let llava = &records[0];
        assert_eq!(llava.arxiv_id, "2304.08485");
        assert_eq!(llava.title, "Visual Instruction Tuning");
        assert_eq!(
            llava.authors,
            ["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"]
        );
        assert_eq!(llava.published.as_deref(), Some("2023-04-17"));
        assert_eq!(llava.primary_category.as_deref(), Some("cs.CV"));
        assert_eq!(llava.doi, None);
        assert!(
            llava
                .abstract_text
                .starts_with("Instruction tuning large language models (LLMs) using machine-generated instruction-following data has improved"),
            "{}",
            llava.abstract_text
        );
        assert!(
            llava
                .abstract_text
                .ends_with("our model and code base publicly available.")
        );
        assert!(!llava.abstract_text.contains('\n'));
        assert!(!llava.abstract_text.contains("  "));

        let llama = &records[1];
        assert_eq!(llama.arxiv_id, "2302.13971");
        assert_eq!(
            llama.title,
            "LLaMA: Open and Efficient Foundation Language Models"
        );
        assert_eq!(llama.authors.len(), 14);
        assert_eq!(llama.authors[0], "Hugo Touvron");
        assert_eq!(llama.authors[5], "Timothée Lacroix");
        assert_eq!(llama.authors[13], "Guillaume Lample");
        assert_eq!(llama.published.as_deref(), Some("2023-02-27"));
        assert_eq!(llama.primary_category.as_deref(), Some("cs.CL"));
        assert!(
            llama
                .abstract_text
                .contains("ranging from 7B to 65B parameters")
        );
    }

    #[test]
    fn feed_level_title_and_id_do_not_leak_into_entries() {
        // The feed's own <title> carries `&amp;` and its <id> an api URL; neither is a paper.
        let records = parse_feed(TWO_PAPERS).unwrap();
        assert!(records.iter().all(|r| !r.title.contains("ArXiv Query")));
    }

    #[test]
    fn decodes_entities_in_fixture() {
        let records = parse_feed(TITLE_SEARCH).unwrap();
        assert!(
            records[0]
                .abstract_text
                .contains("submissions to ILSVRC & COCO 2015 competitions"),
            "{}",
            records[0].abstract_text
        );
    }

    #[test]
    fn parses_title_search_results_in_order() {
        let records = parse_feed(TITLE_SEARCH).unwrap();
        let ids: Vec<_> = records.iter().map(|r| r.arxiv_id.as_str()).collect();
        assert_eq!(ids, ["1512.03385", "1603.05027"]);
        let resnet = &records[0];
        assert_eq!(resnet.title, "Deep Residual Learning for Image Recognition");
        assert_eq!(
            resnet.authors,
            ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
        );
        assert_eq!(resnet.published.as_deref(), Some("2015-12-10"));
        assert_eq!(resnet.primary_category.as_deref(), Some("cs.CV"));
        assert_eq!(records[1].published.as_deref(), Some("2016-03-16"));
    }

    #[test]
    fn skips_error_entries() {
        assert_eq!(parse_feed(ERROR_ENTRY).unwrap(), Vec::new());
        let feed = parse(ERROR_ENTRY).unwrap();
        assert_eq!(feed.errors, ["incorrect id format for 1234"]);
    }

    #[test]
    fn empty_feed_is_no_records() {
        assert_eq!(parse_feed(EMPTY).unwrap(), Vec::new());
        assert_eq!(
            parse_feed(r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).unwrap(),
            Vec::new()
        );
    }

    #[test]
    fn truncated_xml_is_malformed() {
        assert_malformed(parse_feed(MALFORMED));
        // Cut in the middle of a tag, too.
        assert_malformed(parse_feed(&TWO_PAPERS[..TWO_PAPERS.len() / 2 + 3]));
    }

    #[test]
    fn html_and_other_non_feeds_are_malformed() {
        let html = "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\
                    <body><h1>Service Unavailable</h1><p>Try again later.</p></body></html>";
        assert_malformed(parse_feed(html));
        // Void elements make real HTML ill-formed XML; also an error, not a panic.
        assert_malformed(parse_feed(
            "<html><head><meta charset=utf-8></head><body>x</body></html>",
        ));
        // A <feed> outside the Atom namespace is not what arXiv sends.
        assert_malformed(parse_feed("<feed><entry/></feed>"));
        assert_malformed(parse_feed(""));
        assert_malformed(parse_feed("   \n"));
        assert_malformed(parse_feed("Rate exceeded."));
        assert_malformed(parse_feed(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"></feed><feed xmlns="http://www.w3.org/2005/Atom"/>"#,
        ));
        assert_malformed(parse_feed(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>&nbsp;</title></feed>"#,
        ));
        assert_malformed(parse_feed(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry></feed>"#,
        ));
    }

    #[test]
    fn handles_cdata_entities_old_ids_and_doi() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/hep-th/9901001v1</id>
    <published>1999-01-01T12:00:00Z</published>
    <title>Bounds &lt;x&gt; &amp; the
      <![CDATA[<Large> N & Limit]]> &#233;t&#xE9;</title>
    <summary>A &quot;quoted&quot; &apos;abstract&apos;.</summary>
    <author><name>  Juan   Maldacena </name><arxiv:affiliation>IAS</arxiv:affiliation></author>
    <arxiv:doi>10.1023/A:1026654312961</arxiv:doi>
    <arxiv:primary_category term="hep-th"></arxiv:primary_category>
  </entry>
  <entry>
    <id>https://arxiv.org/abs/math.GT/0309136v3</id>
    <title>Old style with subject class</title>
  </entry>
</feed>"#;
        let records = parse_feed(xml).unwrap();
        assert_eq!(records.len(), 2);
        let r = &records[0];
        assert_eq!(r.arxiv_id, "hep-th/9901001");
        assert_eq!(r.title, "Bounds <x> & the <Large> N & Limit été");
        assert_eq!(r.abstract_text, r#"A "quoted" 'abstract'."#);
        assert_eq!(r.authors, ["Juan Maldacena"]);
        assert_eq!(r.doi.as_deref(), Some("10.1023/A:1026654312961"));
        assert_eq!(r.primary_category.as_deref(), Some("hep-th"));
        assert_eq!(r.published.as_deref(), Some("1999-01-01"));
        assert_eq!(records[1].arxiv_id, "math.GT/0309136");
        assert_eq!(records[1].published, None);
        assert!(records[1].authors.is_empty());
    }

    #[test]
    fn id_and_date_helpers() {
        assert_eq!(
            id_from_url("http://arxiv.org/abs/2304.08485v2").as_deref(),
            Some("2304.08485")
        );
        assert_eq!(
            id_from_url("http://arxiv.org/abs/2304.08485").as_deref(),
            Some("2304.08485")
        );
        assert_eq!(
            id_from_url("http://arxiv.org/abs/hep-th/9901001v12").as_deref(),
            Some("hep-th/9901001")
        );
        assert_eq!(id_from_url("http://arxiv.org/api/errors#x"), None);
        assert_eq!(id_from_url("http://arxiv.org/abs/"), None);
        assert_eq!(
            date_part("2023-04-17T17:59:25Z").as_deref(),
            Some("2023-04-17")
        );
        assert_eq!(date_part("2023-04"), None);
        assert_eq!(date_part("ééééééééé"), None);
        assert_eq!(date_part("yesterday!!"), None);
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        for end in (0..TWO_PAPERS.len()).filter(|&i| TWO_PAPERS.is_char_boundary(i)) {
            let _ = parse_feed(&TWO_PAPERS[..end]);
        }
        for junk in [
            "<",
            "<?",
            "<!",
            "<![CDATA[",
            "&",
            "&#;",
            "&#0;",
            "&#x110000;",
            "</feed>",
            "<a:b/>",
            "<feed xmlns:a=''/>",
        ] {
            let _ = parse_feed(junk);
        }
    }

    #[test]
    fn query_words_strip_query_syntax() {
        assert_eq!(
            query_words("LLaVA: \"Large\" (Language) and Vision-Assistant?"),
            "LLaVA Large Language and Vision Assistant"
        );
        assert_eq!(query_words(":\"()"), "");
    }

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let i = Duration::from_millis(100);
        assert_eq!(backoff(i, 1, None), i);
        assert_eq!(backoff(i, 2, None), i * 2);
        assert_eq!(backoff(i, 3, None), i * 4);
        assert_eq!(
            backoff(i, 1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(backoff(i, 3, Some(Duration::from_millis(10))), i * 4);
        assert_eq!(backoff(Duration::ZERO, 3, None), Duration::ZERO);
        let _ = backoff(Duration::MAX, 40, None);
    }

    // ---- client against a scripted local HTTP server ----

    /// What the scripted server does with one connection.
    enum Reply {
        /// Status, extra header lines, body.
        Answer(u16, &'static str, String),
        /// Accept, read the request, never answer.
        Hang,
        /// Promise a long body, send a little, close.
        DropMidBody,
    }

    fn ok(body: &str) -> Reply {
        Reply::Answer(
            200,
            "Content-Type: application/atom+xml\r\n",
            body.to_string(),
        )
    }

    /// One request as the server saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        line: String,
        head: String,
        at: Instant,
    }

    impl Seen {
        /// The decoded value of query parameter `key`.
        fn param(&self, key: &str) -> Option<String> {
            let target = self.line.split(' ').nth(1)?;
            let (_, query) = target.split_once('?')?;
            query.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                (k == key).then(|| percent_decode(v))
            })
        }
    }

    fn percent_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                b => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }

    fn read_head(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    }

    /// Serves `replies` in order, one connection each; returns the base URL and the log.
    fn serve(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/api/query", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for reply in replies {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                let at = Instant::now();
                let head = read_head(&mut stream);
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(Seen { line, head, at });
                match reply {
                    Reply::Answer(status, headers, body) => {
                        let response = format!(
                            "HTTP/1.1 {status} Scripted\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = stream.write_all(response.as_bytes());
                        let _ = stream.flush();
                    }
                    Reply::Hang => {
                        thread::spawn(move || {
                            thread::sleep(Duration::from_secs(5));
                            drop(stream);
                        });
                    }
                    Reply::DropMidBody => {
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n<?xml version=",
                        );
                        let _ = stream.flush();
                    }
                }
            }
        });
        (base, seen)
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const FAST: Duration = Duration::from_millis(20);
    const PATIENT: Duration = Duration::from_secs(5);

    #[test]
    fn fetch_ids_success_and_query_string() {
        let (base, seen) = serve(vec![ok(TWO_PAPERS)]);
        let mut client = Client::new(&base, FAST, PATIENT);
        let records = client
            .fetch_ids(&ids(&["2304.08485", "2302.13971"]))
            .unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].arxiv_id, "2304.08485");
        assert_eq!(client.requests(), 1);

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(
            seen[0].line.starts_with("GET /api/query?"),
            "{}",
            seen[0].line
        );
        assert_eq!(
            seen[0].param("id_list").as_deref(),
            Some("2304.08485,2302.13971")
        );
        assert_eq!(seen[0].param("max_results").as_deref(), Some("2"));
        let head = seen[0].head.to_ascii_lowercase();
        assert!(
            head.contains(&format!(
                "user-agent: mmsearch/{}",
                env!("CARGO_PKG_VERSION")
            )),
            "{head}"
        );
    }

    #[test]
    fn retries_503_then_succeeds() {
        let (base, seen) = serve(vec![Reply::Answer(503, "", "busy".into()), ok(TWO_PAPERS)]);
        let mut client = Client::new(&base, FAST, PATIENT);
        let records = client.fetch_ids(&ids(&["2304.08485"])).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(client.requests(), 2);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn gives_up_after_four_attempts() {
        let (base, seen) = serve(
            (0..4)
                .map(|_| Reply::Answer(502, "", "bad gateway".into()))
                .collect(),
        );
        let mut client = Client::new(&base, Duration::from_millis(5), PATIENT);
        match client.fetch_ids(&ids(&["2304.08485"])) {
            Err(Error::Arxiv(m)) => assert!(
                m.contains("HTTP 502") && m.contains("after 4 attempts"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(seen.lock().unwrap().len(), 4);
        assert_eq!(client.requests(), 4);
    }

    #[test]
    fn honours_retry_after_on_429() {
        let (base, seen) = serve(vec![
            Reply::Answer(429, "Retry-After: 1\r\n", String::new()),
            ok(EMPTY),
        ]);
        let mut client = Client::new(&base, FAST, PATIENT);
        assert_eq!(client.fetch_ids(&ids(&["2304.08485"])).unwrap(), Vec::new());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let gap = seen[1].at - seen[0].at;
        assert!(gap >= Duration::from_millis(990), "{gap:?}");
        assert!(gap < Duration::from_secs(3), "{gap:?}");
    }

    #[test]
    fn client_error_is_final() {
        let (base, seen) = serve(vec![Reply::Answer(404, "", "not here".into()), ok(EMPTY)]);
        let mut client = Client::new(&base, FAST, PATIENT);
        match client.fetch_ids(&ids(&["2304.08485"])) {
            Err(Error::Arxiv(m)) => assert!(m.starts_with("HTTP 404"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(client.requests(), 1);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn client_error_carries_arxivs_explanation() {
        let (base, _seen) = serve(vec![Reply::Answer(400, "", ERROR_ENTRY.to_string())]);
        let mut client = Client::new(&base, FAST, PATIENT);
        match client.fetch_ids(&ids(&["1234"])) {
            Err(Error::Arxiv(m)) => {
                assert_eq!(m, "HTTP 400 Bad Request: incorrect id format for 1234")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spaces_request_starts_by_interval() {
        let interval = Duration::from_millis(200);
        let (base, seen) = serve(vec![ok(EMPTY), ok(EMPTY), ok(EMPTY)]);
        let mut client = Client::new(&base, interval, PATIENT);
        for _ in 0..3 {
            client.fetch_ids(&ids(&["2304.08485"])).unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for pair in seen.windows(2) {
            let gap = pair[1].at - pair[0].at;
            // Measured at the server's accept(); allow a hair of scheduling jitter.
            assert!(gap >= interval - Duration::from_millis(5), "{gap:?}");
        }
    }

    #[test]
    fn connection_refused_is_offline_at_once() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let base = format!("http://127.0.0.1:{port}/api/query");
        let mut client = Client::new(&base, Duration::from_secs(3), PATIENT);
        let started = Instant::now();
        match client.fetch_ids(&ids(&["2304.08485"])) {
            Err(Error::Offline { url, message }) => {
                assert_eq!(url, base);
                assert!(!message.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(client.requests(), 1);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn timeouts_are_retried_then_reported() {
        let (base, seen) = serve((0..4).map(|_| Reply::Hang).collect());
        let mut client = Client::new(&base, Duration::from_millis(10), Duration::from_millis(300));
        let started = Instant::now();
        match client.fetch_ids(&ids(&["2304.08485"])) {
            Err(Error::Arxiv(m)) => {
                assert!(
                    m.contains("timed out") && m.contains("after 4 attempts"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(client.requests(), 4);
        assert_eq!(seen.lock().unwrap().len(), 4);
        assert!(started.elapsed() >= Duration::from_millis(1200));
    }

    #[test]
    fn dropped_connection_is_retried() {
        let (base, seen) = serve(vec![Reply::DropMidBody, ok(TWO_PAPERS)]);
        let mut client = Client::new(&base, FAST, PATIENT);
        let records = client
            .fetch_ids(&ids(&["2304.08485", "2302.13971"]))
            .unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn malformed_body_is_not_retried() {
        let (base, seen) = serve(vec![
            Reply::Answer(
                200,
                "Content-Type: text/html\r\n",
                "<html><body>oops</body></html>".into(),
            ),
            ok(EMPTY),
        ]);
        let mut client = Client::new(&base, FAST, PATIENT);
        match client.fetch_ids(&ids(&["2304.08485"])) {
            Err(Error::Arxiv(m)) => assert!(m.starts_with("malformed response"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn fetch_ids_rejects_bad_input_without_a_request() {
        let mut client = Client::new("http://127.0.0.1:9/api/query", FAST, PATIENT);
        let many: Vec<String> = (0..101).map(|i| format!("2304.{i:05}")).collect();
        assert!(matches!(client.fetch_ids(&many), Err(Error::Usage(_))));
        assert!(matches!(
            client.fetch_ids(&ids(&["a,b"])),
            Err(Error::Usage(_))
        ));
        assert!(matches!(
            client.fetch_ids(&ids(&[" "])),
            Err(Error::Usage(_))
        ));
        assert_eq!(client.fetch_ids(&[]).unwrap(), Vec::new());
        assert!(matches!(client.search_title("::()"), Err(Error::Usage(_))));
        assert_eq!(client.requests(), 0);
    }

    #[test]
    fn search_title_returns_exact_match_only() {
        let (base, seen) = serve(vec![ok(TITLE_SEARCH), ok(TITLE_SEARCH)]);
        let mut client = Client::new(&base, FAST, PATIENT);

        let found = client
            .search_title("Deep residual learning for image recognition.")
            .unwrap()
            .unwrap();
        assert_eq!(found.arxiv_id, "1512.03385");

        let none = client
            .search_title("Deep Residual Learning: \"Image\" (Recognition)")
            .unwrap();
        assert_eq!(none, None);

        let seen = seen.lock().unwrap();
        assert_eq!(
            seen[0].param("search_query").as_deref(),
            Some("ti:\"Deep residual learning for image recognition\"")
        );
        assert_eq!(seen[0].param("max_results").as_deref(), Some("5"));
        assert_eq!(
            seen[1].param("search_query").as_deref(),
            Some("ti:\"Deep Residual Learning Image Recognition\"")
        );
    }
}
