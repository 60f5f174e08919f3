//! The arXiv API client against the fake arXiv: the query it sends, its
//! retry policy (503/502, Retry-After, timeouts, dropped connections), what
//! is final (4xx, a malformed body, being offline) and the spacing of its
//! requests, as arXiv would see them.

use std::time::{Duration, Instant};

use mmsearch::enrich::arxiv::Client;
use mmsearch::error::{ArxivError, Error};

use crate::common::fake_arxiv::{FakeArxiv, Reply, unreachable_url};

const TWO_PAPERS: &str = include_str!("../fixtures/arxiv/two_papers.xml");
const ERROR_ENTRY: &str = include_str!("../fixtures/arxiv/error_entry.xml");
const EMPTY: &str = include_str!("../fixtures/arxiv/empty.xml");
const TITLE_SEARCH: &str = include_str!("../fixtures/arxiv/title_search.xml");

const FAST: Duration = Duration::from_millis(20);
const PATIENT: Duration = Duration::from_secs(5);

fn ok(body: &str) -> Reply {
    Reply::Body(body.to_string())
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn fetch_ids_success_and_query_string() {
    let server = FakeArxiv::scripted(vec![ok(TWO_PAPERS)]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    let records = client
        .fetch_ids(&ids(&["2304.08485", "2302.13971"]))
        .expect("fetched");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].arxiv_id, "2304.08485");
    assert_eq!(client.requests(), 1);

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].line.starts_with("GET /api/query?"),
        "{}",
        seen[0].line
    );
    assert_eq!(seen[0].param("id_list"), Some("2304.08485,2302.13971"));
    assert_eq!(seen[0].param("max_results"), Some("2"));
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
    let server = FakeArxiv::scripted(vec![Reply::Answer(503, "", "busy".into()), ok(TWO_PAPERS)]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    let records = client.fetch_ids(&ids(&["2304.08485"])).expect("fetched");
    assert_eq!(records.len(), 2);
    assert_eq!(client.requests(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn gives_up_after_four_attempts() {
    let server = FakeArxiv::scripted(
        (0..4)
            .map(|_| Reply::Answer(502, "", "bad gateway".into()))
            .collect(),
    );
    let mut client = Client::new(&server.url, Duration::from_millis(5), PATIENT);
    match client.fetch_ids(&ids(&["2304.08485"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(
            m.contains("HTTP 502") && m.contains("after 4 attempts"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 4);
    assert_eq!(client.requests(), 4);
}

#[test]
fn honours_retry_after_on_429() {
    let server = FakeArxiv::scripted(vec![
        Reply::Answer(429, "Retry-After: 1\r\n", String::new()),
        ok(EMPTY),
    ]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    assert_eq!(
        client.fetch_ids(&ids(&["2304.08485"])).expect("fetched"),
        Vec::new()
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_millis(990), "{gap:?}");
    // Its own backoff would be 20 ms: a gap of seconds is Retry-After's, and
    // the bound is loose because a loaded machine stretches sleeps.
    assert!(gap < Duration::from_secs(10), "{gap:?}");
}

#[test]
fn client_error_is_final() {
    let server = FakeArxiv::scripted(vec![Reply::Answer(404, "", "not here".into()), ok(EMPTY)]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    match client.fetch_ids(&ids(&["2304.08485"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(m.starts_with("HTTP 404"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.requests(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn client_error_carries_arxivs_explanation() {
    let server = FakeArxiv::scripted(vec![Reply::Answer(400, "", ERROR_ENTRY.to_string())]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    match client.fetch_ids(&ids(&["1234"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => {
            assert_eq!(m, "HTTP 400 Bad Request: incorrect id format for 1234")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn spaces_request_starts_by_interval() {
    let interval = Duration::from_millis(200);
    let server = FakeArxiv::scripted(vec![ok(EMPTY), ok(EMPTY), ok(EMPTY)]);
    let mut client = Client::new(&server.url, interval, PATIENT);
    for _ in 0..3 {
        client.fetch_ids(&ids(&["2304.08485"])).expect("fetched");
    }
    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    for pair in seen.windows(2) {
        let gap = pair[1].at - pair[0].at;
        // Measured at the server's accept(); allow a hair of scheduling jitter.
        assert!(gap >= interval - Duration::from_millis(5), "{gap:?}");
    }
}

#[test]
fn connection_refused_is_offline_at_once() {
    let base = unreachable_url();
    let mut client = Client::new(&base, Duration::from_secs(3), PATIENT);
    match client.fetch_ids(&ids(&["2304.08485"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Offline { url, message },
        }) => {
            assert_eq!(url, base);
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // One request and no retries: the wait schedule itself is unit-tested
    // (`backoff`), so no wall-clock bound that a loaded machine could break.
    assert_eq!(client.requests(), 1);
}

#[test]
fn timeouts_are_retried_then_reported() {
    let server = FakeArxiv::scripted((0..4).map(|_| Reply::Hang).collect());
    let mut client = Client::new(
        &server.url,
        Duration::from_millis(10),
        Duration::from_millis(300),
    );
    let started = Instant::now();
    match client.fetch_ids(&ids(&["2304.08485"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => {
            assert!(
                m.contains("timed out") && m.contains("after 4 attempts"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.requests(), 4);
    assert_eq!(server.requests().len(), 4);
    assert!(started.elapsed() >= Duration::from_millis(1200));
}

#[test]
fn dropped_connection_is_retried() {
    let server = FakeArxiv::scripted(vec![Reply::DropMidBody, ok(TWO_PAPERS)]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    let records = client
        .fetch_ids(&ids(&["2304.08485", "2302.13971"]))
        .expect("fetched");
    assert_eq!(records.len(), 2);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn malformed_body_is_not_retried() {
    let server = FakeArxiv::scripted(vec![
        Reply::Answer(
            200,
            "Content-Type: text/html\r\n",
            "<html><body>oops</body></html>".into(),
        ),
        ok(EMPTY),
    ]);
    let mut client = Client::new(&server.url, FAST, PATIENT);
    match client.fetch_ids(&ids(&["2304.08485"])) {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(m.starts_with("malformed response"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
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
    assert_eq!(client.fetch_ids(&[]).expect("nothing to fetch"), Vec::new());
    assert!(matches!(client.search_title("::()"), Err(Error::Usage(_))));
    assert_eq!(client.requests(), 0);
}

#[test]
fn search_title_returns_exact_match_only() {
    let server = FakeArxiv::scripted(vec![ok(TITLE_SEARCH), ok(TITLE_SEARCH)]);
    let mut client = Client::new(&server.url, FAST, PATIENT);

    let found = client
        .search_title("Deep residual learning for image recognition.")
        .expect("searched")
        .expect("found");
    assert_eq!(found.arxiv_id, "1512.03385");

    let none = client
        .search_title("Deep Residual Learning: \"Image\" (Recognition)")
        .expect("searched");
    assert_eq!(none, None);

    let seen = server.requests();
    assert_eq!(
        seen[0].param("search_query"),
        Some("ti:\"Deep residual learning for image recognition\"")
    );
    assert_eq!(seen[0].param("max_results"), Some("5"));
    assert_eq!(
        seen[1].param("search_query"),
        Some("ti:\"Deep Residual Learning Image Recognition\"")
    );
}
