//! Shared set-up for the CLI tests: the real binary, the real model (from
//! `models/`, filled by `models/fetch`) and one real index of the shipped
//! list, built once per test binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A command with the model configured and no ambient index settings.
pub fn mmsearch() -> Command {
    let mut cmd = Command::cargo_bin("mmsearch").expect("binary built");
    cmd.env("MMSEARCH_MODELS", models_dir())
        .env_remove("MMSEARCH_INDEX_DIR")
        .env("NO_COLOR", "1");
    cmd
}

/// The shipped list's index, built by `mmsearch index` on first use.
pub fn shared_index() -> &'static Path {
    static INDEX: OnceLock<tempfile::TempDir> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            mmsearch()
                .arg("index")
                .arg("--index-dir")
                .arg(dir.path())
                .assert()
                .success();
            dir
        })
        .path()
}

/// Runs a JSON search against the shared index and returns the parsed document.
pub fn search_json(args: &[&str]) -> Value {
    search_json_in(shared_index(), args)
}

/// Runs a JSON search against `index` and returns the parsed document.
pub fn search_json_in(index: &Path, args: &[&str]) -> Value {
    let out = mmsearch()
        .arg("--index-dir")
        .arg(index)
        .arg("--json")
        .args(args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "mmsearch {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
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

/// A fresh index of the shipped list, for tests that change or damage it.
pub fn built_index() -> tempfile::TempDir {
    let index = tempfile::tempdir().expect("temp dir");
    mmsearch()
        .arg("--index-dir")
        .arg(index.path())
        .arg("index")
        .assert()
        .success();
    index
}
