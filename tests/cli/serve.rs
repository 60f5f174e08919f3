//! `mmsearch serve` driven over real loopback HTTP: the endpoints answer what
//! the CLI prints, bad requests get 4xx and leave the server up, concurrent
//! clients, dropped and slow connections, a new index generation while
//! requests run, and SIGTERM (clean exit, discovery file removed).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::common::server::Server;
use crate::common::{ids, mmsearch, shared_index};
use serde_json::Value;

fn cli_json(index: &Path, args: &[&str]) -> Value {
    let out = mmsearch()
        .arg("--no-server")
        .arg("--index-dir")
        .arg(index)
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "mmsearch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("CLI prints JSON")
}

#[test]
fn endpoints_answer_what_the_cli_answers() {
    // A private copy: a server on the shared index would answer the other
    // tests' CLI runs (they forward to it), which is not what they test.
    let copy = crate::common::built_index();
    let index = copy.path();
    let server = Server::start(index);
    let cases: &[(&str, &[&str])] = &[
        ("q=efficient+video+tokens", &["efficient video tokens"]),
        (
            "q=segment+anything&limit=5&explain=1",
            &["segment anything", "--limit", "5", "--explain"],
        ),
        (
            "q=instruction+tuning&mode=keyword",
            &["instruction tuning", "--mode", "keyword"],
        ),
        (
            "q=visual+grounding&mode=semantic&limit=7",
            &["visual grounding", "--mode", "semantic", "-n", "7"],
        ),
        (
            "q=video&fusion=rrf&rrf_k=30&year=2023..2024&section=video",
            &[
                "video",
                "--fusion",
                "rrf",
                "--rrf-k",
                "30",
                "--year",
                "2023..2024",
                "--section",
                "video",
            ],
        ),
        (
            "q=language+model&alpha=0.8&venue=arxiv&author=wang",
            &[
                "language model",
                "--alpha",
                "0.8",
                "--venue",
                "arxiv",
                "--author",
                "wang",
            ],
        ),
        ("q=2403.15388", &["2403.15388"]),
    ];
    for (query, args) in cases {
        let (status, api) = server.get_json(&format!("/api/search?{query}"));
        assert_eq!(status, 200, "{query}: {api}");
        let mut cli_args = vec!["--json"];
        cli_args.extend_from_slice(args);
        let cli = cli_json(index, &cli_args);
        assert!(!ids(&cli).is_empty(), "{query}: the CLI found nothing");
        assert_eq!(ids(&api), ids(&cli), "{query}: same hits, same order");
        assert_eq!(api, cli, "{query}: the same document");
    }

    // Whole documents in semantic mode; hybrid below, list against list.
    let similar_cases: &[(&str, &[&str])] = &[
        (
            "paper=LLaVA-PruMerge&mode=semantic",
            &["LLaVA-PruMerge", "--mode", "semantic"],
        ),
        (
            "paper=2403.15388&paper=MovieChat&limit=4&explain=1&mode=semantic",
            &[
                "2403.15388",
                "MovieChat",
                "--limit",
                "4",
                "--explain",
                "--mode",
                "semantic",
            ],
        ),
        (
            "text=token+pruning+for+faster+vision+transformers&mode=semantic",
            &[
                "--text",
                "token pruning for faster vision transformers",
                "--mode",
                "semantic",
            ],
        ),
    ];
    for (query, args) in similar_cases {
        let (status, api) = server.get_json(&format!("/api/similar?{query}"));
        assert_eq!(status, 200, "{query}: {api}");
        let mut cli_args = vec!["similar", "--json"];
        cli_args.extend_from_slice(args);
        let cli = cli_json(index, &cli_args);
        assert!(!ids(&cli).is_empty());
        assert_eq!(ids(&api), ids(&cli), "similar {query}");
        assert_eq!(api, cli, "similar {query}: the same document");
    }
    let (status, api) = server.get_json("/api/similar?paper=LLaVA-PruMerge&limit=20");
    assert_eq!(status, 200);
    let cli = cli_json(index, &["similar", "--json", "LLaVA-PruMerge", "-n", "20"]);
    let (a, c) = (ids(&api), ids(&cli));
    assert_eq!(a.len(), 20);
    // More-Like-This breaks ties between equally scored words by the word,
    // so hybrid `similar` gives the same 20 papers in the same order here.
    assert_eq!(
        a, c,
        "hybrid similar: the same list from the server and the CLI"
    );
    assert_eq!(api["query"], cli["query"]);

    for paper in ["LLaVA-PruMerge", "2307.16449"] {
        let (status, api) = server.get_json(&format!("/api/papers/{paper}"));
        assert_eq!(status, 200);
        let cli = cli_json(index, &["show", "--json", paper]);
        assert_eq!(api, cli, "show {paper}");
    }

    let (status, health) = server.get_json("/api/health");
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["papers"], 78);
    assert!(health["model"].as_str().unwrap_or("").contains("MiniLM"));
    assert!(!health["generation"].as_str().unwrap_or("").is_empty());

    let (status, map) = server.get_json("/api/map");
    assert_eq!(status, 200);
    let points = map["points"].as_array().expect("points");
    assert_eq!(points.len(), 78, "every paper is on the map");
    let xs: Vec<f64> = points
        .iter()
        .map(|p| p["x"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(
        xs.iter().any(|&x| (x - xs[0]).abs() > 1e-3),
        "the points are spread out"
    );
    assert!(map["sections"].as_array().expect("sections").len() >= 8);
}

#[test]
fn bad_requests_get_4xx_and_the_server_stays_up() {
    let index = crate::common::built_index();
    let server = Server::start(index.path());
    let long = "a".repeat(5000);
    let cases: Vec<(String, u16)> = vec![
        ("/api/search".into(), 400),
        ("/api/search?q=".into(), 400),
        ("/api/search?q=%20%20%20".into(), 400),
        ("/api/search?q=x&limit=0".into(), 400),
        ("/api/search?q=x&limit=ten".into(), 400),
        ("/api/search?q=x&limit=99999999999".into(), 400),
        ("/api/search?q=x&alpha=2".into(), 400),
        ("/api/search?q=x&alpha=NaN".into(), 400),
        ("/api/search?q=x&rrf_k=-1".into(), 400),
        ("/api/search?q=x&mode=fast".into(), 400),
        ("/api/search?q=x&fusion=max".into(), 400),
        ("/api/search?q=x&year=last".into(), 400),
        ("/api/search?q=x&explain=maybe".into(), 400),
        ("/api/search?q=x&q=y".into(), 400),
        ("/api/search?q=x&limt=3".into(), 400),
        ("/api/search?q=%FF%FE".into(), 200),
        (format!("/api/search?q={long}"), 413),
        ("/api/similar".into(), 400),
        ("/api/similar?paper=no-such-paper-at-all".into(), 404),
        ("/api/similar?paper=LLaVA-PruMerge&limit=-3".into(), 400),
        ("/api/papers/no-such-paper-at-all".into(), 404),
        ("/api/nothing-here".into(), 404),
        ("/assets/secret.txt".into(), 404),
    ];
    for (path, expected) in &cases {
        let (status, body) = server.get(path);
        assert_eq!(status, *expected, "{path}: {body}");
        if *expected >= 400 {
            let doc: Value =
                serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
            assert!(
                doc["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{path}: {body}"
            );
        }
    }
    let (_, body) = server.get("/api/papers/no-such-paper-at-all");
    assert!(
        body.contains("closest"),
        "the error lists the closest titles: {body}"
    );
    // Not a request at all.
    let mut raw = TcpStream::connect(&server.addr).expect("connect");
    raw.write_all(b"\x00\x01garbage\r\n\r\n").expect("write");
    let mut sink = Vec::new();
    let _ = raw.read_to_end(&mut sink);
    let (status, health) = server.get_json("/api/health");
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}

#[test]
fn concurrent_clients_get_no_errors() {
    let index = crate::common::built_index();
    let server = Server::start(index.path());
    let paths = [
        "/api/search?q=efficient+video+tokens",
        "/api/search?q=segment+anything&mode=keyword",
        "/api/search?q=visual+instruction+tuning&explain=1",
        "/api/similar?paper=LLaVA-PruMerge",
        "/api/papers/2307.16449",
        "/api/health",
        "/api/map",
        "/",
    ];
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|client| {
                let server = &server;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for i in 0..50 {
                        let path = paths[(client + i) % paths.len()];
                        let (status, body) = server.get(path);
                        if status != 200 || body.is_empty() {
                            failures.push(format!("{path}: {status} {body}"));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    assert!(failures.is_empty(), "400 requests, failures: {failures:?}");
}

#[test]
fn dropped_and_slow_connections_do_not_hurt_others() {
    let index = crate::common::built_index();
    let server = Server::start(index.path());
    // A client that sends half a request and waits.
    let mut stalled = TcpStream::connect(&server.addr).expect("connect");
    stalled.write_all(b"GET /api/search?q=vid").expect("write");
    // Clients that disconnect right after asking (mid-request for the server).
    for _ in 0..20 {
        let mut gone = TcpStream::connect(&server.addr).expect("connect");
        gone.write_all(b"GET /api/search?q=efficient+video+tokens HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("write");
        drop(gone);
    }
    // A slow client: the request a few bytes at a time.
    let mut slow = TcpStream::connect(&server.addr).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let request =
        b"GET /api/papers/LLaVA-PruMerge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for chunk in request.chunks(7) {
        slow.write_all(chunk).expect("write");
        std::thread::sleep(Duration::from_millis(40));
        // Others are answered meanwhile.
        assert_eq!(server.get("/api/health").0, 200);
    }
    let mut answer = String::new();
    slow.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("LLaVA-PruMerge"), "{answer}");
    let (status, doc) = server.get_json("/api/search?q=efficient+video+tokens");
    assert_eq!(status, 200);
    assert!(!ids(&doc).is_empty());
    drop(stalled);
}

#[test]
fn a_new_index_generation_goes_live_without_failing_requests() {
    let index = crate::common::built_index();
    let server = Server::start(index.path());
    let (_, before) = server.get_json("/api/health");
    assert_eq!(before["papers"], 78);
    // A smaller list: the first two sections of the shipped one.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("index/seed-papers.md"))
            .expect("shipped list");
    let cut = shipped
        .find("### ``*Large Region")
        .expect("section heading");
    let list = index.path().join("two-sections.md");
    std::fs::write(&list, &shipped[..cut]).expect("write list");

    let stop = std::sync::atomic::AtomicBool::new(false);
    let (failures, answered) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    let mut answered = 0;
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        let (status, body) = server.get("/api/search?q=vision+transformer");
                        if status == 200 {
                            answered += 1;
                        } else {
                            failures.push(format!("{status} {body}"));
                        }
                    }
                    (failures, answered)
                })
            })
            .collect();
        mmsearch()
            .arg("--index-dir")
            .arg(index.path())
            .arg("index")
            .arg("--source")
            .arg(&list)
            .assert()
            .success();
        let mut swapped = false;
        for _ in 0..100 {
            let (_, health) = server.get_json("/api/health");
            if health["generation"] != before["generation"] {
                assert!(health["papers"].as_u64().unwrap_or(0) < 78, "{health}");
                swapped = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(swapped, "the server picked up the new generation");
        clients.into_iter().map(|c| c.join().expect("client")).fold(
            (Vec::new(), 0),
            |(mut f, n), (cf, cn)| {
                f.extend(cf);
                (f, n + cn)
            },
        )
    });
    assert!(
        failures.is_empty(),
        "requests failed during the swap: {failures:?}"
    );
    assert!(answered > 0);
    let (_, doc) = server.get_json("/api/search?q=segment+anything&limit=50");
    let cli = cli_json(
        index.path(),
        &["--json", "segment anything", "--limit", "50"],
    );
    assert_eq!(
        ids(&doc),
        ids(&cli),
        "after the swap the server answers from the new index"
    );
}

#[test]
fn sigterm_exits_cleanly_and_removes_the_discovery_file() {
    let index = crate::common::built_index();
    let mut server = Server::start(index.path());
    let discovery = index.path().join("server.json");
    let info: Value =
        serde_json::from_slice(&std::fs::read(&discovery).expect("discovery file")).expect("json");
    assert_eq!(info["addr"].as_str(), Some(server.addr.as_str()));
    assert_eq!(
        info["index_dir"].as_str().map(std::path::PathBuf::from),
        index.path().canonicalize().ok()
    );
    assert_eq!(info["pid"].as_u64(), Some(u64::from(server.pid())));
    assert!(info["generation"].as_str().is_some_and(|g| !g.is_empty()));
    let status = server.terminate();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(!discovery.exists(), "the discovery file is removed");
}

#[test]
fn a_non_loopback_address_is_warned_about() {
    let out = mmsearch()
        .arg("serve")
        .arg("--addr")
        .arg("not-an-address")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not-an-address"), "{err}");
    let index = crate::common::built_index();
    let server = Server::start_with(index.path(), "0.0.0.0:0");
    assert!(
        server.stderr().contains("reachable from other machines"),
        "{}",
        server.stderr()
    );
}

/// Runs the CLI and returns (stdout, stderr, exit code).
fn run_cli(index: &Path, args: &[&str]) -> (String, String, i32) {
    let out = mmsearch()
        .arg("--index-dir")
        .arg(index)
        .args(args)
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_cli_answers_through_a_live_server_exactly_as_in_process() {
    let index = crate::common::built_index();
    let commands: &[&[&str]] = &[
        &["efficient video tokens"],
        &["segment anything", "--limit", "3", "--explain"],
        &[
            "video",
            "--section",
            "video",
            "--year",
            "2023..",
            "--format",
            "jsonl",
        ],
        &["instruction tuning", "--mode", "keyword", "--json"],
        &["llama", "--format", "bibtex", "-n", "2"],
        &[
            "search",
            "visual grounding",
            "--fusion",
            "rrf",
            "--rrf-k",
            "20",
        ],
        &["similar", "LLaVA-PruMerge", "-n", "4", "--mode", "semantic"],
        &[
            "similar",
            "2403.15388",
            "--text",
            "token pruning",
            "--json",
            "--mode",
            "semantic",
        ],
        &["show", "MovieChat"],
        &["show", "2307.16449", "--json"],
        &["show", "no such paper at all"],
        &["similar", "no such paper at all"],
    ];
    let before: Vec<_> = commands.iter().map(|c| run_cli(index.path(), c)).collect();
    let mut server = Server::start(index.path());
    let (_, health) = server.get_json("/api/health");
    let served_before = health["requests"].as_u64().expect("request count");
    for (command, alone) in commands.iter().zip(&before) {
        let through = run_cli(index.path(), command);
        assert_eq!(
            &through, alone,
            "{command:?}: the same output through the server"
        );
        let forced = run_cli(index.path(), &[&["--no-server"], *command].concat());
        assert_eq!(&forced, alone, "{command:?} --no-server");
    }
    assert_eq!(
        before[10].2, 2,
        "an unknown paper is an error: {:?}",
        before[10]
    );
    // The server really answered each command (once; --no-server never).
    let (_, health) = server.get_json("/api/health");
    assert_eq!(
        health["requests"].as_u64().expect("request count") - served_before - 1,
        commands.len() as u64,
        "one request per forwarded command"
    );
    // A dead server (its discovery file left behind) is ignored.
    let discovery = index.path().join("server.json");
    let info = std::fs::read(&discovery).expect("discovery file");
    assert_eq!(server.terminate().code(), Some(0));
    std::fs::write(&discovery, &info).expect("stale discovery file");
    assert_eq!(
        run_cli(index.path(), commands[0]),
        before[0],
        "a dead server is ignored"
    );
    // A foreign server: the file points at something that is not this index's server.
    let foreign = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut doc: Value = serde_json::from_slice(&info).expect("json");
    doc["addr"] = Value::String(foreign.local_addr().expect("addr").to_string());
    doc["pid"] = Value::from(std::process::id());
    std::fs::write(&discovery, serde_json::to_vec(&doc).expect("json")).expect("write");
    let answering = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = foreign.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot ours\n",
            );
        }
    });
    assert_eq!(
        run_cli(index.path(), commands[0]),
        before[0],
        "a foreign server is ignored"
    );
    let _ = answering.join();
}

/// Copies an index directory (generations, `current` link) for a test of its own.
fn copy_index(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(status.success());
    let _ = std::fs::remove_file(to.join("server.json"));
}

#[test]
fn an_installed_binary_finds_the_model_from_any_directory_after_fetch_install() {
    let home = tempfile::tempdir().expect("home");
    let elsewhere = tempfile::tempdir().expect("cwd");
    let index = tempfile::tempdir().expect("index");
    copy_index(shared_index(), index.path());
    let installed = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mmsearch"))
            .current_dir(elsewhere.path())
            .env("HOME", home.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("MMSEARCH_MODELS")
            .env_remove("MMSEARCH_INDEX_DIR")
            .arg("--index-dir")
            .arg(index.path())
            .args(args)
            .output()
            .expect("runs")
    };
    let before = installed(&["efficient video tokens"]);
    assert_eq!(before.status.code(), Some(2));
    let err = String::from_utf8_lossy(&before.stderr);
    assert!(
        err.contains("run `models/fetch --install`"),
        "the error names the command: {err}"
    );
    let fetch = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fetch"))
        .arg("--install")
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("models/fetch runs");
    assert!(
        fetch.status.success(),
        "{}",
        String::from_utf8_lossy(&fetch.stderr)
    );
    assert!(
        home.path()
            .join(".local/share/mmsearch/models/all-MiniLM-L6-v2/model.onnx")
            .is_file()
    );
    let after = installed(&["efficient video tokens", "--json"]);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let doc: Value = serde_json::from_slice(&after.stdout).expect("json");
    assert_eq!(
        ids(&doc),
        ids(&cli_json(
            index.path(),
            &["--json", "efficient video tokens"]
        )),
        "the same answers as with the checkout's models/"
    );
}
