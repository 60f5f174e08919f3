//! `mmsearch enrich` against a local HTTP server standing in for the arXiv
//! API (the network is the one thing we replace): it serves Atom documents
//! in arXiv's format for the papers it "knows" and logs every request with
//! its arrival time, so the tests see what a user would and what arXiv would.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ids, mmsearch, search_json_in};

/// What the fake arXiv knows: id → (title, authors, abstract, published).
fn known_papers() -> HashMap<
    &'static str,
    (
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static str,
    ),
> {
    HashMap::from([
        (
            "2304.08485",
            (
                "Visual Instruction Tuning",
                &["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"][..],
                "Instruction tuning large language models (LLMs) using machine-generated\n\
                 instruction-following data has improved zero-shot capabilities on new tasks,\n\
                 but the idea is less explored in the multimodal field. We introduce LLaVA:\n\
                 Large Language and Vision Assistant, an end-to-end trained large multimodal\n\
                 model that connects a vision encoder and LLM.",
                "2023-04-17T17:59:25Z",
            ),
        ),
        (
            "2302.13971",
            (
                "LLaMA: Open and Efficient Foundation Language Models",
                &["Hugo Touvron", "Thibaut Lavril", "Gautier Izacard"][..],
                "We introduce LLaMA, a collection of foundation language models ranging from\n\
                 7B to 65B parameters &amp; trained on trillions of tokens.",
                "2023-02-27T17:11:15Z",
            ),
        ),
        (
            "1512.03385",
            (
                "Deep Residual Learning for Image Recognition",
                &["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"][..],
                "Deeper neural networks are more difficult to train. We present a residual\n\
                 learning framework to ease the training of networks that are substantially\n\
                 deeper than those used previously.",
                "2015-12-10T19:51:55Z",
            ),
        ),
    ])
}

/// An Atom feed as arXiv's API writes it, for the given known ids.
fn atom(ids: &[&str]) -> String {
    let known = known_papers();
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <link href=\"http://arxiv.org/api/query\" rel=\"self\" type=\"application/atom+xml\"/>\n\
         <title type=\"html\">ArXiv Query</title>\n\
         <id>http://arxiv.org/api/test</id>\n\
         <updated>2026-11-29T00:00:00-05:00</updated>\n",
    );
    feed.push_str(&format!(
        "<opensearch:totalResults xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\">{}</opensearch:totalResults>\n",
        ids.len()
    ));
    for id in ids {
        let Some((title, authors, summary, published)) = known.get(id) else {
            continue;
        };
        feed.push_str(&format!(
            "<entry>\n<id>http://arxiv.org/abs/{id}v2</id>\n<updated>{published}</updated>\n\
             <published>{published}</published>\n<title>{title}</title>\n\
             <summary>  {summary}\n</summary>\n"
        ));
        for author in authors.iter() {
            feed.push_str(&format!("<author>\n<name>{author}</name>\n</author>\n"));
        }
        feed.push_str(&format!(
            "<link href=\"http://arxiv.org/abs/{id}v2\" rel=\"alternate\" type=\"text/html\"/>\n\
             <arxiv:primary_category xmlns:arxiv=\"http://arxiv.org/schemas/atom\" term=\"cs.CV\" scheme=\"http://arxiv.org/schemas/atom\"/>\n\
             <category term=\"cs.CV\" scheme=\"http://arxiv.org/schemas/atom\"/>\n</entry>\n"
        ));
    }
    feed.push_str("</feed>\n");
    feed
}

/// The answer to a request: arXiv's, or a scripted failure.
enum Reply {
    Arxiv,
    Status(u16),
    Body(String),
    /// Never answer (the client is killed or times out).
    Hang,
}

#[derive(Debug, Clone)]
struct Request {
    params: HashMap<String, String>,
    at: Instant,
}

struct FakeArxiv {
    url: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl FakeArxiv {
    /// Starts a server on 127.0.0.1; `script(n)` says how to answer the
    /// n-th request (0-based).
    fn start(script: impl Fn(usize) -> Reply + Send + 'static) -> FakeArxiv {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/api/query", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let log = Arc::clone(&server_log);
                let reply = script(n);
                std::thread::spawn(move || answer(stream, reply, &log));
            }
        });
        FakeArxiv { url, log }
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().expect("log").clone()
    }
}

fn answer(mut stream: TcpStream, reply: Reply, log: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let at = Instant::now();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params: HashMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    log.lock().expect("log").push(Request {
        params: params.clone(),
        at,
    });
    let (status, body) = match reply {
        Reply::Arxiv => {
            let body = match params.get("id_list") {
                Some(list) => atom(&list.split(',').collect::<Vec<_>>()),
                None => {
                    // `ti:"Deep Residual Learning ..."`: answer with the
                    // known paper whose title has every word.
                    let wanted = params
                        .get("search_query")
                        .cloned()
                        .unwrap_or_default()
                        .to_lowercase();
                    let hits: Vec<&str> = known_papers()
                        .into_iter()
                        .filter(|(_, (title, ..))| {
                            title
                                .to_lowercase()
                                .split(|c: char| !c.is_alphanumeric())
                                .filter(|w| !w.is_empty())
                                .all(|w| wanted.contains(w))
                        })
                        .map(|(id, _)| id)
                        .collect();
                    atom(&hits)
                }
            };
            (200, body)
        }
        Reply::Status(code) => (code, format!("<html><body>{code}</body></html>")),
        Reply::Body(body) => (200, body),
        Reply::Hang => {
            std::thread::sleep(Duration::from_secs(600));
            return;
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/atom+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A user's list without abstracts: three arXiv ids (one arXiv does not
/// know), two titles only (one arXiv knows), one paper that has its abstract.
fn write_list(dir: &Path) -> PathBuf {
    let path = dir.join("mine.jsonl");
    std::fs::write(
        &path,
        r#"{"id": "llava", "title": "Visual Instruction Tuning", "arxiv_id": "2304.08485"}
{"id": "llama", "title": "LLaMA: Open and Efficient Foundation Language Models", "arxiv_id": "2302.13971"}
{"id": "ghost", "title": "A Paper arXiv Never Had", "arxiv_id": "2401.99999"}
{"id": "resnet", "title": "Deep residual learning for image recognition", "year": 2016, "venue": "CVPR"}
{"id": "note", "title": "My Unpublished Note on Token Merging"}
{"id": "bert", "title": "BERT", "abstract": "Pre-training of deep bidirectional transformers for language understanding."}
"#,
    )
    .expect("write list");
    path
}

/// A list of the first `n` papers the fake arXiv knows, by arXiv id only.
fn write_id_list(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("ids.jsonl");
    let lines: String = [
        ("llava", "2304.08485"),
        ("llama", "2302.13971"),
        ("resnet", "1512.03385"),
    ][..n]
        .iter()
        .map(|(id, arxiv)| {
            format!("{{\"id\": \"{id}\", \"title\": \"{id}\", \"arxiv_id\": \"{arxiv}\"}}\n")
        })
        .collect();
    std::fs::write(&path, lines).expect("write list");
    path
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn enrich(index: &Path, list: &Path, api: &str, extra: &[&str]) -> Run {
    let out = mmsearch()
        .arg("--index-dir")
        .arg(index)
        .arg("--source")
        .arg(list)
        .args(["enrich", "--arxiv-api", api])
        .args(extra)
        .output()
        .expect("runs");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn cache_rows(index: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(index.join("enrichment.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("cache lines are JSON"))
        .collect()
}

fn row_for<'a>(rows: &'a [serde_json::Value], tag: &str) -> Option<&'a serde_json::Value> {
    rows.iter().find(|r| r["id"] == tag)
}

/// The whole flow: ids in batches (a partial answer marks the missing id
/// not found), titles searched, the cache written, the index rebuilt, and
/// the fetched abstracts searchable. A second run asks nothing.
#[test]
fn enrich_fetches_abstracts_and_search_uses_them() {
    let server = FakeArxiv::start(|_| Reply::Arxiv);
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_list(files.path());
    let index = tempfile::tempdir().expect("temp dir");
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--interval", "0.05", "--batch-size", "2"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "5 papers lacked an abstract; fetched 2 by arXiv id and 1 by title, 2 not on arXiv"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("indexed 6 papers (4 with an abstract"),
        "{}",
        run.stdout
    );

    let requests = server.requests();
    let batches: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.params.get("id_list").map(String::as_str))
        .collect();
    assert_eq!(batches, ["2304.08485,2302.13971", "2401.99999"]);
    assert_eq!(
        requests[0].params.get("max_results").map(String::as_str),
        Some("2")
    );
    let searches: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.params.get("search_query").map(String::as_str))
        .collect();
    assert_eq!(searches.len(), 2, "{searches:?}");
    assert!(
        searches.iter().all(|q| q.starts_with("ti:")),
        "{searches:?}"
    );

    let rows = cache_rows(index.path());
    let llava = row_for(&rows, "llava").expect("llava cached");
    assert!(
        llava["abstract"]
            .as_str()
            .expect("abstract")
            .starts_with("Instruction tuning large language models")
    );
    assert_eq!(llava["authors"][3], "Yong Jae Lee");
    assert_eq!(llava["published"], "2023-04-17");
    assert_eq!(
        row_for(&rows, "ghost").expect("ghost cached")["status"],
        "not-found"
    );
    assert_eq!(
        row_for(&rows, "resnet").expect("resnet cached")["arxiv_id"],
        "1512.03385"
    );
    assert_eq!(
        row_for(&rows, "note").expect("note cached")["status"],
        "not-found"
    );

    // Words only in the fetched abstracts now find the papers.
    let doc = search_json_in(
        index.path(),
        &["--mode", "keyword", "vision encoder assistant"],
    );
    assert_eq!(ids(&doc)[0], "llava");
    let doc = search_json_in(
        index.path(),
        &["networks that are hard to train made deeper"],
    );
    assert_eq!(ids(&doc)[0], "resnet");
    assert_eq!(doc["hits"][0]["arxiv_id"], "1512.03385");

    // Resumed or repeated: nothing left to ask.
    let before = server.requests().len();
    let run = enrich(index.path(), &list, &server.url, &["--interval", "0.05"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("2 papers lacked an abstract")
            && run
                .stdout
                .contains("2 answered by an earlier run (0 requests)"),
        "{}",
        run.stdout
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_503_is_retried_and_then_succeeds() {
    let server = FakeArxiv::start(|n| {
        if n == 0 {
            Reply::Status(503)
        } else {
            Reply::Arxiv
        }
    });
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_id_list(files.path(), 2);
    let index = tempfile::tempdir().expect("temp dir");
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--interval", "0.05", "--no-index"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("fetched 2 by arXiv id"),
        "{}",
        run.stdout
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the 503 and its retry");
    assert_eq!(requests[0].params, requests[1].params);
    assert_eq!(cache_rows(index.path()).len(), 2);
}

#[test]
fn a_malformed_answer_fails_that_batch_and_keeps_the_rest() {
    let server = FakeArxiv::start(|n| {
        if n == 0 {
            Reply::Body("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>http://arxiv.org/abs/2304.08485v2</id><title>Visual Instr".into())
        } else {
            Reply::Arxiv
        }
    });
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_list(files.path());
    let index = tempfile::tempdir().expect("temp dir");
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--interval", "0.05", "--batch-size", "1", "--no-index"],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("2304.08485") && run.stderr.contains("malformed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("run `mmsearch enrich` again"),
        "{}",
        run.stderr
    );
    let rows = cache_rows(index.path());
    assert!(
        row_for(&rows, "llava").is_none(),
        "nothing cached for the failed batch"
    );
    assert!(row_for(&rows, "llama").is_some(), "later batches went on");

    // The next run asks only for what failed.
    let before = server.requests().len();
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--interval", "0.05", "--no-index"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let asked: Vec<String> = server.requests()[before..]
        .iter()
        .filter_map(|r| r.params.get("id_list").cloned())
        .collect();
    assert_eq!(asked, ["2304.08485"]);
}

#[test]
fn offline_is_one_line_and_leaves_cache_and_index_alone() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let api = format!("http://127.0.0.1:{port}/api/query");
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_list(files.path());
    let index = tempfile::tempdir().expect("temp dir");
    mmsearch()
        .arg("--index-dir")
        .arg(index.path())
        .arg("--source")
        .arg(&list)
        .arg("index")
        .assert()
        .success();
    let started = Instant::now();
    let run = enrich(index.path(), &list, &api, &["--interval", "0.05"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach the arXiv API"),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no long retry loop when offline"
    );
    assert!(!index.path().join("enrichment.jsonl").exists());
    // Search keeps working on what it has.
    let doc = search_json_in(index.path(), &["--mode", "keyword", "BERT"]);
    assert_eq!(ids(&doc)[0], "bert");
}

/// Killed after the first batch was answered: the cache keeps that batch,
/// and the next run asks only for the rest. While it runs, a second run
/// refuses to start.
#[test]
fn an_interrupted_run_resumes_where_it_stopped() {
    let server = FakeArxiv::start(|n| if n == 0 { Reply::Arxiv } else { Reply::Hang });
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_list(files.path());
    let index = tempfile::tempdir().expect("temp dir");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mmsearch"))
        .env("MMSEARCH_MODELS", common::models_dir())
        .arg("--index-dir")
        .arg(index.path())
        .arg("--source")
        .arg(&list)
        .args([
            "enrich",
            "--arxiv-api",
            &server.url,
            "--interval",
            "0.05",
            "--batch-size",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requests().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.requests().len(), 2, "the second batch is in flight");
    // A second run meanwhile is told and stops, instead of racing for the cache.
    let second = enrich(index.path(), &list, &server.url, &["--interval", "0.05"]);
    assert_eq!(second.code, Some(2));
    assert!(
        second
            .stderr
            .contains("another `mmsearch enrich` is running"),
        "{}",
        second.stderr
    );
    assert_eq!(server.requests().len(), 2, "the second run asked nothing");
    child.kill().expect("kill");
    child.wait().expect("wait");
    let rows = cache_rows(index.path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], "llava");

    let server = FakeArxiv::start(|_| Reply::Arxiv);
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--interval", "0.05", "--batch-size", "1", "--no-index"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let asked: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.params.get("id_list").cloned())
        .collect();
    assert_eq!(asked, ["2302.13971", "2401.99999"]);
    assert!(
        run.stdout.contains("4 papers lacked an abstract"),
        "{}",
        run.stdout
    );
}

/// arXiv's terms: one request every 3 seconds, measured where arXiv would
/// measure it. Faster is refused for anything but a server on this machine.
#[test]
fn requests_are_three_seconds_apart_by_default() {
    let server = FakeArxiv::start(|_| Reply::Arxiv);
    let files = tempfile::tempdir().expect("temp dir");
    let list = write_id_list(files.path(), 3);
    let index = tempfile::tempdir().expect("temp dir");
    let run = enrich(
        index.path(),
        &list,
        &server.url,
        &["--batch-size", "1", "--no-index"],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let times: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 3);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(2_990),
            "requests {gap:?} apart"
        );
    }

    let run = enrich(
        index.path(),
        &list,
        "http://export.arxiv.org/api/query",
        &["--interval", "1", "--no-index"],
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("3 seconds"), "{}", run.stderr);
}
