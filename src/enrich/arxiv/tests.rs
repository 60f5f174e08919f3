use super::atom::*;
use super::client::*;
use super::*;
use crate::error::{ArxivError, Error, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const TWO_PAPERS: &str = include_str!("../../../tests/fixtures/arxiv/two_papers.xml");
const ERROR_ENTRY: &str = include_str!("../../../tests/fixtures/arxiv/error_entry.xml");
const EMPTY: &str = include_str!("../../../tests/fixtures/arxiv/empty.xml");
const TITLE_SEARCH: &str = include_str!("../../../tests/fixtures/arxiv/title_search.xml");
const MALFORMED: &str = include_str!("../../../tests/fixtures/arxiv/malformed.xml");

fn assert_malformed(result: Result<Vec<ArxivRecord>>) {
    match result {
        Err(Error::Arxiv {
            kind: ArxivError::Answer(message),
        }) => {
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
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(
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
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(m.starts_with("HTTP 404"), "{m}"),
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
        Err(Error::Arxiv {
            kind: ArxivError::Offline { url, message },
        }) => {
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
        Err(Error::Arxiv {
            kind: ArxivError::Answer(m),
        }) => assert!(m.starts_with("malformed response"), "{m}"),
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
