//! The index survives: builds killed at random moments, two builds at once,
//! a model change, and damaged files. Real binary, real model, real index.

use std::path::Path;
use std::time::Duration;

use crate::common::{built_index, run, shared_index_build, spawn};
use serde_json::Value;

fn query(index: &Path, mode: &str) -> Value {
    crate::common::search_json_in(
        index,
        &["--mode", mode, "-n", "10", "efficient video tokens"],
    )
}

fn names(index: &Path, prefix: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(index)
        .expect("index dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

fn entries(index: &Path, prefix: &str) -> usize {
    std::fs::read_dir(index)
        .expect("index dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .count()
}

/// `mmsearch index --full` in the background (it re-embeds everything, so
/// a build lasts long enough to be interrupted).
fn spawn_full_build(index: &Path) -> std::process::Child {
    spawn(index, &["index", "--full"])
}

/// A small deterministic sequence of delays, spread over a full build.
fn delays(n: usize, max_ms: u64) -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % max_ms
        })
        .collect()
}

#[test]
fn killed_builds_leave_the_previous_index_answering() {
    let index = built_index();
    let keyword = query(index.path(), "keyword");
    let hybrid = query(index.path(), "hybrid");
    // Half the kills land at spread-out moments (mostly while the model
    // loads or embeds); the other half wait until the new generation is
    // being written (its `.building-` directory appears), then strike
    // within a few milliseconds.
    let random = delays(12, 3_500);
    let in_writing = delays(12, 40);
    let mut killed_while_writing = 0;
    for trial in 0..24 {
        // Killed builds leave their `.building-` directories behind until
        // the next complete build; only a new one marks this build's writing.
        let leftovers = names(index.path(), ".building-").len();
        let writing_started = || names(index.path(), ".building-").len() > leftovers;
        let mut child = spawn_full_build(index.path());
        if trial % 2 == 0 {
            std::thread::sleep(Duration::from_millis(random[trial / 2]));
        } else {
            let started = std::time::Instant::now();
            while !writing_started() && started.elapsed() < Duration::from_secs(60) {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(in_writing[trial / 2]));
        }
        let _ = child.kill(); // SIGKILL on Unix
        let finished = child.wait().map(|status| status.success()).unwrap_or(false);
        if !finished && writing_started() {
            killed_while_writing += 1;
        }
        assert_eq!(
            query(index.path(), "keyword")["hits"],
            keyword["hits"],
            "trial {trial}"
        );
        assert_eq!(
            query(index.path(), "hybrid")["hits"],
            hybrid["hits"],
            "trial {trial}"
        );
    }
    eprintln!("24 kill trials, {killed_while_writing} while the new generation was being written");
    assert!(
        killed_while_writing >= 6,
        "only {killed_while_writing} kills landed while writing"
    );
    // The next build cleans up whatever the killed ones left.
    let out = run(index.path(), &["index"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(entries(index.path(), ".building-"), 0);
    assert_eq!(entries(index.path(), "gen-"), 1);
    assert_eq!(query(index.path(), "hybrid")["hits"], hybrid["hits"]);
}

#[test]
fn an_unchanged_list_is_rebuilt_without_embedding() {
    // The shared index was the first build, into an empty directory.
    let first = shared_index_build();
    assert!(
        first.stdout.contains("embedded 78, reused 0"),
        "{}",
        first.stdout
    );
    let index = built_index();
    let second = run(index.path(), &["index"]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let text = &second.stdout;
    assert!(text.contains("embedded 0, reused 78"), "{text}");
}

#[test]
fn concurrent_builds_take_turns_and_searches_keep_answering() {
    let index = built_index();
    let before = query(index.path(), "keyword");
    let a = spawn_full_build(index.path());
    std::thread::sleep(Duration::from_millis(150));
    let b = spawn_full_build(index.path());
    // A search during the builds answers from the live index.
    assert_eq!(query(index.path(), "keyword")["hits"], before["hits"]);
    let a = a.wait_with_output().expect("wait");
    let b = b.wait_with_output().expect("wait");
    assert!(a.status.success() && b.status.success());
    let waited = String::from_utf8_lossy(&b.stderr);
    assert!(
        waited.contains("another mmsearch is building"),
        "the second build says it waits: {waited}"
    );
    assert_eq!(entries(index.path(), "gen-"), 1);
    assert_eq!(query(index.path(), "keyword")["hits"], before["hits"]);
}

fn generation(index: &Path) -> std::path::PathBuf {
    index.join(std::fs::read_link(index.join("current")).expect("current link"))
}

#[test]
fn damaged_index_files_are_reported_or_rebuilt_never_a_panic() {
    for (file, damage) in [
        ("vectors.hnsw.graph", "truncate"),
        ("vectors.hnsw.data", "garbage"),
        ("vectors.f32", "truncate"),
        ("papers.json", "garbage"),
        ("manifest.json", "garbage"),
    ] {
        let index = built_index();
        let expected = query(index.path(), "keyword");
        let path = generation(index.path()).join(file);
        match damage {
            "truncate" => {
                let len = std::fs::metadata(&path).expect("file").len();
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .expect("open")
                    .set_len(len / 2)
                    .expect("truncate");
            }
            _ => std::fs::write(&path, b"\x00\xffnot what was written").expect("write"),
        }
        // The damage is noticed and the index rebuilt from the sources
        // (`run` fails the test on a panic).
        let out = run(
            index.path(),
            &[
                "--json",
                "--mode",
                "keyword",
                "-n",
                "10",
                "efficient video tokens",
            ],
        );
        assert_eq!(out.code, Some(0), "{file}: {}", out.stderr);
        let doc: Value = serde_json::from_str(&out.stdout).expect("JSON");
        assert_eq!(doc["hits"], expected["hits"], "{file}");
    }
}

#[test]
fn an_index_built_with_another_model_is_rebuilt() {
    let index = built_index();
    let manifest_path = generation(index.path()).join("manifest.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("read"))
            .expect("JSON");
    manifest["model"]["variant"] = Value::from("int8");
    std::fs::write(&manifest_path, manifest.to_string()).expect("write");
    let before = generation(index.path());
    query(index.path(), "hybrid");
    assert_ne!(
        generation(index.path()),
        before,
        "a new generation was built"
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(generation(index.path()).join("manifest.json")).expect("read"),
    )
    .expect("JSON");
    assert_eq!(manifest["model"]["variant"], "fp32");
}
