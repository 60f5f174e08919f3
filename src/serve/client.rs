//! The CLI's side of a running server: `mmsearch QUERY`, `similar` and
//! `show` ask a live `mmsearch serve` of the same index directory and the
//! same backend (found through its discovery file) and print its answer, which the server
//! renders with the CLI's own printers, so the output is byte for byte what
//! the command prints in-process. Anything unexpected (no file, a dead pid,
//! another index directory, a refused connection, a foreign answer) means
//! "no server": the command runs in-process as before.

use std::path::Path;
use std::time::Duration;

use super::state::{DISCOVERY_FILE, read_discovery};

/// Response header naming the index directory a server serves.
pub(crate) const INDEX_HEADER: &str = "x-mmsearch-index";
/// Response header naming the Milvus collection a server serves, if any.
pub(crate) const BACKEND_HEADER: &str = "x-mmsearch-backend";
/// Loopback connects in well under a millisecond; a server that does not
/// answer this fast is treated as absent.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(250);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server said.
pub enum Forwarded {
    /// The output to print.
    Output(Vec<u8>),
    /// A bad request, with the one-line error the in-process command gives.
    Refused(String),
}

/// Asks the server of `index_dir` and `backend` (a Milvus address, `None`
/// for the embedded engine), if one is live, for `path_and_query`.
/// `None`: no usable server, run in-process.
pub fn forward(index_dir: &Path, backend: Option<&str>, path_and_query: &str) -> Option<Forwarded> {
    let canonical = index_dir.canonicalize().ok()?;
    let info = read_discovery(&canonical.join(DISCOVERY_FILE))?;
    if info.index_dir != canonical || info.backend.as_deref() != backend || !alive(info.pid) {
        return None;
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .max_redirects(0)
        .build()
        .into();
    let url = format!("http://{}{path_and_query}", info.addr);
    let mut response = agent.get(&url).call().ok()?;
    let served = response
        .headers()
        .get(INDEX_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| percent_decode(v) == canonical.to_string_lossy());
    let backend_served = response
        .headers()
        .get(BACKEND_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(percent_decode);
    if served != Some(true) || backend_served.as_deref() != backend {
        return None;
    }
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .ok()?;
    match status {
        200 => Some(Forwarded::Output(body)),
        400 | 404 => {
            let doc: serde_json::Value = serde_json::from_slice(&body).ok()?;
            doc["error"]
                .as_str()
                .map(|e| Forwarded::Refused(e.to_string()))
        }
        // Too large for the server, busy, or failing: do it here.
        _ => None,
    }
}

/// Whether a process with this pid exists (Linux: /proc).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Percent-encodes for a header value or a URL component.
pub(crate) fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn percent_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Builds `path?k=v&…` with every value encoded.
pub(crate) fn path_with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}
