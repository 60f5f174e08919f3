//! A local HTTP server standing in for the arXiv API (the network is the one
//! thing the tests replace). It answers in arXiv's Atom format for the papers
//! it "knows", or as a script says (an HTTP error, a given body, a hang, a
//! dropped connection), and logs every request with its arrival time, so a
//! test sees both what a user would and what arXiv would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake arXiv knows: id → (title, authors, abstract, published).
type Known = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

fn known_papers() -> HashMap<&'static str, Known> {
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
pub fn atom(ids: &[&str]) -> String {
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

/// The answer to one request.
pub enum Reply {
    /// What arXiv would answer: the known papers of `id_list`, or those whose
    /// title has every word of a `search_query`.
    Arxiv,
    /// A status with an HTML page, as a proxy in front of arXiv sends.
    Status(u16),
    /// Status, extra header lines (each ending in `\r\n`) and body.
    Answer(u16, &'static str, String),
    /// 200 with this body.
    Body(String),
    /// Read the request, never answer (until the client gives up or dies).
    Hang,
    /// Promise a long body, send a little, close.
    DropMidBody,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line, `GET /api/query?... HTTP/1.1`.
    pub line: String,
    /// The request line and headers.
    pub head: String,
    /// The decoded query parameters.
    pub params: HashMap<String, String>,
    /// When its connection was accepted.
    pub at: Instant,
}

impl Request {
    /// The decoded value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }
}

pub struct FakeArxiv {
    /// The API address to pass as `--arxiv-api`.
    pub url: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl FakeArxiv {
    /// Starts a server on 127.0.0.1; `script(n)` says how to answer the
    /// n-th request (0-based). Connections are served concurrently.
    pub fn start(script: impl Fn(usize) -> Reply + Send + 'static) -> FakeArxiv {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/api/query", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let log = Arc::clone(&server_log);
                let at = Instant::now();
                let reply = script(n);
                std::thread::spawn(move || answer(stream, at, reply, &log));
            }
        });
        FakeArxiv { url, log }
    }

    /// Answers the given replies in order, then arXiv's answers.
    pub fn scripted(replies: Vec<Reply>) -> FakeArxiv {
        let replies = Mutex::new(replies.into_iter());
        FakeArxiv::start(move |_| {
            replies
                .lock()
                .expect("script")
                .next()
                .unwrap_or(Reply::Arxiv)
        })
    }

    /// The requests so far, in the order their connections came.
    pub fn requests(&self) -> Vec<Request> {
        let mut log = self.log.lock().expect("log").clone();
        log.sort_by_key(|r| r.at);
        log
    }
}

/// An address nobody listens on.
pub fn unreachable_url() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    format!("http://127.0.0.1:{port}/api/query")
}

fn answer(mut stream: TcpStream, at: Instant, reply: Reply, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut head = line.clone();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => head.push_str(&header),
        }
    }
    let line = line.trim_end().to_string();
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params: HashMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    log.lock().expect("log").push(Request {
        line,
        head,
        params: params.clone(),
        at,
    });
    const ATOM: &str = "Content-Type: application/atom+xml\r\n";
    let (status, headers, body) = match reply {
        Reply::Arxiv => (200, ATOM, arxiv_answer(&params)),
        Reply::Status(code) => (code, ATOM, format!("<html><body>{code}</body></html>")),
        Reply::Answer(status, headers, body) => (status, headers, body),
        Reply::Body(body) => (200, ATOM, body),
        Reply::Hang => {
            // Hold the connection until the client closes it (a timeout or
            // a kill), or ten minutes pass.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(600)));
            let _ = reader.read(&mut [0u8; 1]);
            return;
        }
        Reply::DropMidBody => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n<?xml version=",
            );
            let _ = stream.flush();
            return;
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn arxiv_answer(params: &HashMap<String, String>) -> String {
    match params.get("id_list") {
        Some(list) => atom(&list.split(',').collect::<Vec<_>>()),
        None => {
            // `ti:"Deep Residual Learning ..."`: answer with the known paper
            // whose title has every word.
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
    }
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
