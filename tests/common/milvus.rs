//! A real Milvus for the backend tests: Milvus Lite 2.5.1 (the Milvus server
//! in one native process, from PyPI), installed once into
//! `target/milvus-venv` when `.ci/run` has not done so already, started on a
//! free loopback port with its data in a temporary directory, and killed when
//! dropped. Tests skip, saying why, only when it cannot be installed.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The pinned release (3.x is a pure-Python rewrite without the server).
const MILVUS_LITE: &str = "milvus-lite==2.5.1";

fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/milvus-venv")
}

/// The directory holding the `milvus` binary and its libraries.
fn find_lib(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .map(|python| python.path().join("site-packages/milvus_lite/lib"))
        .find(|dir| dir.join("milvus").is_file())
}

/// Installs Milvus Lite once per run (and once per checkout), or says why not.
fn lib_dir() -> Result<&'static Path, &'static str> {
    static LIB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = LIB.get_or_init(|| {
        let venv = venv();
        if let Some(lib) = find_lib(&venv) {
            return Ok(lib);
        }
        let step = |cmd: &mut Command| -> Result<(), String> {
            let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{cmd:?} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        step(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        step(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(MILVUS_LITE),
        )?;
        find_lib(&venv).ok_or_else(|| format!("{MILVUS_LITE} installed no milvus binary"))
    });
    found.as_deref().map_err(String::as_str)
}

/// A running Milvus Lite.
pub struct Milvus {
    child: Option<Child>,
    port: u16,
    data: tempfile::TempDir,
    lib: &'static Path,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Milvus {
    /// Starts one, or returns `None` after saying why the test is skipped.
    pub fn start() -> Option<Milvus> {
        // Starting several servers at once on two cores only slows each.
        static STARTING: Mutex<()> = Mutex::new(());
        let _turn = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        let lib = match lib_dir() {
            Ok(lib) => lib,
            Err(why) => {
                eprintln!("skipped: Milvus Lite cannot be installed here ({why})");
                return None;
            }
        };
        let mut milvus = Milvus {
            child: None,
            port: free_port(),
            data: tempfile::tempdir().expect("temp dir"),
            lib,
        };
        milvus.run();
        Some(milvus)
    }

    fn run(&mut self) {
        // The data file's name must be short and plain: it is given relative
        // to the data directory.
        let child = Command::new(self.lib.join("milvus"))
            .arg("mmsearch.db")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("ERROR")
            .current_dir(self.data.path())
            .env("LD_LIBRARY_PATH", self.lib)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start milvus");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Milvus Lite did not open its port"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `milvus://127.0.0.1:PORT/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("milvus://127.0.0.1:{}/{name}", self.port)
    }

    /// Kills the server (its data stays for `restart`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same data and port.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Milvus {
    fn drop(&mut self) {
        self.stop();
    }
}
