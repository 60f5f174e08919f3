//! The embedded engine (tantivy + hnsw_rs in the index directory) against
//! Milvus Lite (`--backend milvus://`) on synthetic collections of N papers:
//! 384-d unit vectors around 1,000 cluster centres, and text whose words come
//! mostly from the paper's cluster. For each backend: build time (writing
//! the collection with its vectors given; embedding is the same for both and
//! left out), memory (this process's growth for the embedded engine, the
//! server's resident size for Milvus), disk, hybrid query p50/p99 (both legs
//! and the default fusion, query vector given) and the vector leg's
//! recall@10 against an exact scan.
//!
//! Run: `cargo bench --bench backend_scale` (N = 10,000 and 100,000) or
//! `cargo bench --bench backend_scale -- 10000`. Milvus Lite comes from
//! `target/milvus-venv` (the tests install it there); without it only the
//! embedded engine is measured.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mmsearch::Events;
use mmsearch::collection::Sources;
use mmsearch::embed::ModelCard;
use mmsearch::index::store::IndexDir;
use mmsearch::index::{KeywordLeg, VectorLeg};
use mmsearch::milvus::Address;
use mmsearch::paper::Paper;
use mmsearch::search::fusion::{Fusion, fuse_bounded};

#[path = "common/synthetic.rs"]
mod synthetic;
use synthetic::*;

const QUERIES: usize = 200;
const DEPTH: usize = 100;
const TOPIC_WORDS: usize = 20;
const COMMON_WORDS: usize = 2_000;

/// A pronounceable pseudo-word for a number (BM25 sees real tokens).
fn word(mut n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "da", "fe", "go", "hu", "ji", "po", "qe",
        "zu",
    ];
    let mut out = String::new();
    loop {
        out.push_str(SYLLABLES[n % 16]);
        n /= 16;
        if n == 0 {
            break;
        }
    }
    out
}

fn topic_word(cluster: usize, i: usize) -> String {
    format!("x{}", word(cluster * TOPIC_WORDS + i))
}

fn words(rng: &mut Rng, cluster: usize, count: usize) -> String {
    (0..count)
        .map(|_| {
            if rng.below(2) == 0 {
                topic_word(cluster, rng.below(TOPIC_WORDS))
            } else {
                word(rng.below(COMMON_WORDS))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Collection {
    papers: Vec<Paper>,
    vectors: Vec<Vec<f32>>,
    queries: Vec<(String, Vec<f32>)>,
}

fn collection(n: usize) -> Collection {
    let mut rng = Rng(SEED);
    let centres = centroids(&mut rng);
    let mut papers = Vec::with_capacity(n);
    let mut vectors = Vec::with_capacity(n);
    for i in 0..n {
        let cluster = rng.below(CENTROIDS);
        papers.push(Paper {
            id: format!("p{i}"),
            title: words(&mut rng, cluster, 8),
            abstract_text: Some(words(&mut rng, cluster, 80)),
            year: Some(2000 + (i % 25) as u16),
            ..Paper::default()
        });
        vectors.push(near(&mut rng, &centres[cluster]));
    }
    let queries = (0..QUERIES)
        .map(|_| {
            let cluster = rng.below(CENTROIDS);
            let text = (0..3)
                .map(|_| topic_word(cluster, rng.below(TOPIC_WORDS)))
                .collect::<Vec<_>>()
                .join(" ");
            (text, near(&mut rng, &centres[cluster]))
        })
        .collect();
    Collection {
        papers,
        vectors,
        queries,
    }
}

fn card() -> ModelCard {
    ModelCard {
        id: "synthetic".into(),
        variant: "unit vectors around cluster centres".into(),
        dimensions: DIM,
        onnx_sha256: String::new(),
        max_tokens: 512,
        pooling: "mean".into(),
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn disk_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_bytes(&e.path())).sum())
            .unwrap_or(0)
    } else if meta.is_file() {
        meta.len()
    } else {
        0
    }
}

struct Measured {
    build: Duration,
    memory_kb: u64,
    disk: u64,
    p50_ms: f64,
    p99_ms: f64,
    recall: f64,
}

fn queries(
    keyword: &dyn KeywordLeg,
    vectors: &dyn VectorLeg,
    c: &Collection,
    exact: &[Vec<usize>],
) -> (f64, f64, f64) {
    let mut times = Vec::with_capacity(QUERIES);
    let mut found = 0usize;
    for ((text, vector), truth) in c.queries.iter().zip(exact) {
        let started = Instant::now();
        let kw = keyword.search(text, DEPTH).expect("keyword leg");
        let bound = keyword.bound(text).expect("bound");
        let sem = vectors.search(vector, DEPTH).expect("vector leg");
        let fused = fuse_bounded(&kw, &sem, bound, Fusion::default());
        std::hint::black_box(fused);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        found += sem
            .iter()
            .take(10)
            .filter(|(doc, _)| truth.contains(doc))
            .count();
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (at(0.5), at(0.99), found as f64 / (10 * QUERIES) as f64)
}

fn embedded(c: &Collection, exact: &[Vec<usize>]) -> Measured {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = IndexDir::new(dir.path());
    let before = rss_kb(std::process::id());
    let started = Instant::now();
    let lock = index.lock(&Events::none()).expect("lock");
    index
        .write(&lock, &c.papers, &c.vectors, &card(), &Sources::shipped())
        .expect("embedded build");
    let build = started.elapsed();
    let loaded = index.load().expect("load").expect("a generation");
    let memory_kb = rss_kb(std::process::id()).saturating_sub(before);
    let (p50_ms, p99_ms, recall) = queries(&loaded.keyword, &loaded.vectors, c, exact);
    Measured {
        build,
        memory_kb,
        disk: disk_bytes(dir.path()),
        p50_ms,
        p99_ms,
        recall,
    }
}

fn milvus_lib() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/milvus-venv/lib");
    std::fs::read_dir(venv)
        .ok()?
        .flatten()
        .map(|p| p.path().join("site-packages/milvus_lite/lib"))
        .find(|d| d.join("milvus").is_file())
}

struct Server {
    child: Child,
    data: tempfile::TempDir,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_milvus(lib: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let data = tempfile::tempdir().expect("temp dir");
    let child = Command::new(lib.join("milvus"))
        .arg("bench.db")
        .arg(format!("127.0.0.1:{port}"))
        .arg("ERROR")
        .current_dir(data.path())
        .env("LD_LIBRARY_PATH", lib)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start milvus");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "Milvus Lite did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, data, port }
}

fn milvus(lib: &Path, c: &Collection, exact: &[Vec<usize>]) -> Measured {
    let server = start_milvus(lib);
    let address =
        Address::parse(&format!("milvus://127.0.0.1:{}/scale", server.port)).expect("address");
    let started = Instant::now();
    mmsearch::milvus::write_collection(&address, &c.papers, &c.vectors, &card(), &Events::none())
        .expect("Milvus build");
    let build = started.elapsed();
    let (keyword, vectors) = mmsearch::milvus::open_legs(&address).expect("legs");
    let (p50_ms, p99_ms, recall) = queries(keyword.as_ref(), vectors.as_ref(), c, exact);
    Measured {
        build,
        memory_kb: rss_kb(server.child.id()),
        disk: disk_bytes(server.data.path()),
        p50_ms,
        p99_ms,
        recall,
    }
}

fn row(backend: &str, n: usize, m: &Measured) {
    println!(
        "| {n} | {backend} | {:.1} s ({:.0} papers/s) | {:.0} MiB | {:.0} MiB | {:.1} / {:.1} ms | {:.3} |",
        m.build.as_secs_f64(),
        n as f64 / m.build.as_secs_f64(),
        m.memory_kb as f64 / 1024.0,
        m.disk as f64 / (1024.0 * 1024.0),
        m.p50_ms,
        m.p99_ms,
        m.recall
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    let lib = milvus_lib();
    if lib.is_none() {
        eprintln!(
            "Milvus Lite not in target/milvus-venv (run the tests once): embedded engine only"
        );
    }
    println!(
        "| papers | backend | build | memory | disk | hybrid query p50 / p99 | vector recall@10 |"
    );
    println!("|---|---|---|---|---|---|---|");
    for n in sizes {
        let c = collection(n);
        let queries: Vec<Vec<f32>> = c.queries.iter().map(|(_, v)| v.clone()).collect();
        let exact = exact_top_k(&c.vectors, &queries, 10);
        row("embedded", n, &embedded(&c, &exact));
        if let Some(lib) = &lib {
            row("Milvus Lite", n, &milvus(lib, &c, &exact));
        }
    }
}
