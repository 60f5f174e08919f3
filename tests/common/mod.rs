//! Shared set-up for the integration tests: the real binary, the real model
//! (from `models/`, filled by `models/fetch`), one real index of the shipped
//! list built once per test run, the one `run` helper and the fake arXiv API.
#![allow(dead_code)]

pub mod fake_arxiv;
pub mod milvus;
pub mod server;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A file under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A file of the shipped list under `index/`.
pub fn shipped_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("index")
        .join(name)
}

/// A path as a command-line argument (temporary paths are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A command with the model configured and no ambient index settings.
pub fn mmsearch() -> Command {
    let mut cmd = Command::cargo_bin("mmsearch").expect("binary built");
    cmd.env("MMSEARCH_MODELS", models_dir())
        .env_remove("MMSEARCH_INDEX_DIR")
        .env("NO_COLOR", "1");
    cmd
}

/// What one run of the binary left: exit code and both streams.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The run succeeded; its standard output parsed as one JSON document.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, Some(0), "{}", self.stderr);
        serde_json::from_str(&self.stdout).expect("valid JSON")
    }
}

/// Runs `mmsearch --index-dir INDEX ARGS...`; whatever the outcome, it
/// must not be a panic.
pub fn run(index: &Path, args: &[&str]) -> Outcome {
    run_cmd(mmsearch().arg("--index-dir").arg(index).args(args), args)
}

/// `run`, with `stdin` as standard input.
pub fn run_with_stdin(index: &Path, args: &[&str], stdin: &[u8]) -> Outcome {
    run_cmd(
        mmsearch()
            .arg("--index-dir")
            .arg(index)
            .args(args)
            .write_stdin(stdin.to_vec()),
        args,
    )
}

/// Runs a prepared command (extra environment, no index directory).
pub fn run_cmd(cmd: &mut Command, args: &[&str]) -> Outcome {
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

/// Starts `mmsearch --index-dir INDEX ARGS...` in the background, its
/// output piped, for tests that kill it or run something beside it.
pub fn spawn(index: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("mmsearch"))
        .env("MMSEARCH_MODELS", models_dir())
        .env_remove("MMSEARCH_INDEX_DIR")
        .env("NO_COLOR", "1")
        .arg("--index-dir")
        .arg(index)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// The shipped list's index, built by `mmsearch index` on first use and
/// shared by every test that only reads it.
pub fn shared_index() -> &'static Path {
    shared().0.path()
}

/// What `mmsearch index` printed when it built the shared index.
pub fn shared_index_build() -> &'static Outcome {
    &shared().1
}

fn shared() -> &'static (tempfile::TempDir, Outcome) {
    static INDEX: OnceLock<(tempfile::TempDir, Outcome)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = run(dir.path(), &["index"]);
        assert_eq!(
            out.code,
            Some(0),
            "building the shared index: {}",
            out.stderr
        );
        (dir, out)
    })
}

/// A private index of the shipped list, for tests that change or damage it:
/// a copy of the shared one (an index directory holds no absolute paths; the
/// `current` link is relative), so the shipped list is embedded once per run.
pub fn built_index() -> tempfile::TempDir {
    let index = tempfile::tempdir().expect("temp dir");
    copy_tree(shared_index(), index.path());
    index
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read index dir").flatten() {
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let link = std::fs::read_link(&source).expect("read link");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_tree(&source, &target);
        } else {
            std::fs::copy(&source, &target).expect("copy index file");
        }
    }
}

/// Runs a JSON search against the shared index and returns the parsed document.
pub fn search_json(args: &[&str]) -> Value {
    search_json_in(shared_index(), args)
}

/// Runs a JSON search against `index` and returns the parsed document.
pub fn search_json_in(index: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(index, &all);
    assert_eq!(
        out.code,
        Some(0),
        "mmsearch {args:?} failed: {}",
        out.stderr
    );
    serde_json::from_str(&out.stdout).expect("valid JSON")
}

/// Ids of the hits, best first.
pub fn ids(doc: &Value) -> Vec<String> {
    doc["hits"]
        .as_array()
        .expect("hits array")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect()
}

/// An explained hit's parts added up (keyword, semantic and, when the
/// fed-back words found it, theirs), and the fed-back words' part.
pub fn explained_parts(hit: &Value) -> (f64, Option<f64>) {
    let e = &hit["explain"];
    let fed_back = e["word_feedback"]["leg"]["contribution"].as_f64();
    let parts = ["keyword", "semantic"]
        .iter()
        .filter_map(|l| e[*l]["contribution"].as_f64())
        .sum::<f64>()
        + fed_back.unwrap_or(0.0);
    (parts, fed_back)
}

/// The stderr of a failed run: one line, no panic.
pub fn one_line(text: &str) -> &str {
    assert!(!text.contains("panicked"), "panic: {text}");
    assert_eq!(text.trim_end().lines().count(), 1, "not one line: {text}");
    text
}
