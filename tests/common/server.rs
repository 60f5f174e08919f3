//! A real `mmsearch serve` on a loopback port for the server tests: started
//! with the real binary, found through its discovery file, stopped with
//! SIGTERM when dropped.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    child: Option<Child>,
    pub addr: String,
    stderr_path: PathBuf,
    _stderr_dir: tempfile::TempDir,
    agent: ureq::Agent,
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mmsearch"))
}

impl Server {
    pub fn start(index: &Path) -> Server {
        Server::start_with(index, "127.0.0.1:0")
    }

    pub fn start_with(index: &Path, addr: &str) -> Server {
        Server::start_args(index, addr, &[])
    }

    /// With more global flags before `serve` (`--backend URL`).
    pub fn start_args(index: &Path, addr: &str, flags: &[&str]) -> Server {
        let stderr_dir = tempfile::tempdir().expect("temp dir");
        let stderr_path = stderr_dir.path().join("stderr");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let child = std::process::Command::new(binary())
            .env("MMSEARCH_MODELS", crate::common::models_dir())
            .env_remove("MMSEARCH_INDEX_DIR")
            .env("NO_COLOR", "1")
            .args(flags)
            .arg("serve")
            .arg("--addr")
            .arg(addr)
            .arg("--index-dir")
            .arg(index)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("mmsearch serve starts");
        let started = Instant::now();
        let mut server = Server {
            child: Some(child),
            addr: String::new(),
            stderr_path,
            _stderr_dir: stderr_dir,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into(),
        };
        // The address from the server's own announcement: several servers
        // may share an index directory (and its discovery file) in tests.
        loop {
            let stderr = server.stderr();
            // Only a whole line: the server may be writing it right now.
            if let Some(rest) = stderr.split("serving on http://").nth(1)
                && rest.contains('\n')
                && let Some(addr) = rest.split('/').next()
            {
                server.addr = addr.replace("0.0.0.0", "127.0.0.1");
                return server;
            }
            if let Some(status) = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("mmsearch serve exited ({status}): {}", server.stderr());
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "mmsearch serve did not start: {}",
                server.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// GET a path; the status and the body as text.
    pub fn get(&self, path: &str) -> (u16, String) {
        match self.agent.get(&self.url(path)).call() {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024 * 1024)
                    .read_to_string()
                    .unwrap_or_else(|e| format!("<unreadable body: {e}>"));
                (status, body)
            }
            Err(e) => (0, format!("request failed: {e}")),
        }
    }

    pub fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path);
        let doc = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
        (status, doc)
    }

    /// SIGTERM, then the exit status (killed after 30 s).
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                return child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.terminate();
        }
    }
}
