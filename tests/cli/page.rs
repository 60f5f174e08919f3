//! The web page in a real browser: headless Chromium loads `/?q=…` from a
//! real `mmsearch serve`, and the test reads the rendered DOM. Skips, saying
//! so, when no Chromium is installed (`.ci/run` installs Debian's).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::server::Server;
use regex::Regex;
use serde_json::Value;

fn chromium() -> Option<PathBuf> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// Runs headless Chromium with `extra` arguments on `url`; its stdout.
fn browse(browser: &PathBuf, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut out);
        out
    });
    let started = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap_or_default()
}

fn dom(browser: &PathBuf, url: &str) -> String {
    browse(
        browser,
        &["--dump-dom".into(), "--virtual-time-budget=15000".into()],
        url,
    )
}

fn hit_ids(dom: &str) -> Vec<String> {
    let hit = Regex::new(r#"<li class="hit[^"]*" data-id="([^"]+)""#).expect("regex");
    hit.captures_iter(dom).map(|c| c[1].to_string()).collect()
}

fn api_ids(server: &Server, query: &str) -> Vec<String> {
    let (status, doc) = server.get_json(&format!("/api/search?{query}&limit=20"));
    assert_eq!(status, 200);
    doc["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn the_page_shows_a_querys_papers_filters_narrow_them_and_the_map_draws() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED: no chromium on PATH (apt-get install chromium); the page was not tested"
        );
        return;
    };
    // A private copy, so the other tests' CLI runs do not forward to it.
    let index = crate::common::built_index();
    let server = Server::start(index.path());

    let page = dom(&browser, &server.url("/?q=efficient+video+tokens"));
    let shown = hit_ids(&page);
    assert!(!shown.is_empty(), "the page shows results: {page}");
    assert_eq!(
        shown,
        api_ids(&server, "q=efficient+video+tokens"),
        "the page shows the API's papers, in its order"
    );
    assert!(
        page.contains("<mark>"),
        "snippets highlight the query's words"
    );
    assert!(page.contains("moviechat") || page.contains("MovieChat"));

    // The map: every paper a point; the query's hits ringed.
    let points = Regex::new(r#"<circle[^>]*class="point"#).expect("regex");
    assert_eq!(points.find_iter(&page).count(), 78, "one point per paper");
    let ringed = Regex::new(r#"<circle[^>]*class="point hit""#).expect("regex");
    assert_eq!(
        ringed.find_iter(&page).count(),
        shown.len(),
        "hits ringed on the map"
    );
    assert!(page.contains(r#"data-points="78""#));

    // A filter narrows the list to papers that pass it.
    let filtered = hit_ids(&dom(
        &browser,
        &server.url("/?q=efficient+video+tokens&section=video&year=2024"),
    ));
    assert!(
        !filtered.is_empty(),
        "the filtered query still finds papers"
    );
    assert!(filtered.len() < shown.len(), "{filtered:?} vs {shown:?}");
    for id in &filtered {
        let (_, paper): (u16, Value) = server.get_json(&format!("/api/papers/{id}"));
        assert_eq!(paper["year"], 2024, "{id}");
        assert!(
            paper["sections"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s
                    .as_str()
                    .unwrap_or("")
                    .to_lowercase()
                    .contains("video"))),
            "{id}: {paper}"
        );
    }

    // A paper page.
    let paper_page = dom(&browser, &server.url("/?paper=LLaVA-PruMerge"));
    assert!(
        paper_page.contains("LLaVA-PruMerge: Adaptive Token Reduction"),
        "the paper page shows the title"
    );
    assert!(paper_page.contains(r#"class="abstract""#));

    // A screenshot, for a person to look at (and the README).
    let shot_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let shot = shot_dir.join("page.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--virtual-time-budget=15000".into(),
            "--hide-scrollbars".into(),
        ],
        &server.url("/?q=efficient+video+tokens"),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
}
