//! A second backend: the collection kept in a Milvus server (a cluster, or
//! Milvus Lite on one machine) instead of the index directory, for
//! collections that outgrow one machine. Both legs run in Milvus (BM25 over
//! an English-analysed text field, cosine over the vectors mmsearch
//! computes, filters as Milvus expressions) behind the same `KeywordLeg` and
//! `VectorLeg` traits, so fusion, exact lookups, `--explain` and every
//! printer are the embedded engine's own.
//!
//! `generation` writes a collection as a new Milvus collection and marks it
//! live only when complete; `legs` answers queries; `expr` builds Milvus
//! expressions. Everything here is synchronous to its callers: one small
//! tokio runtime drives the gRPC client.

pub(crate) mod expr;
pub(crate) mod generation;
pub(crate) mod legs;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::collection::{SourcePaths, Sources};
use crate::embed::ModelCard;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::index::build::{BuildReport, prepare, reusable_vectors};
use crate::index::store::{IndexDir, Manifest, SCHEMA_VERSION, staleness};
use crate::index::{KeywordLeg, VectorLeg};
use crate::paper::Paper;

/// How long connecting may take before the server counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take (a bulk insert or index build included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The collection name when the address names none.
const DEFAULT_NAME: &str = "mmsearch";

/// Where a collection lives: `milvus://HOST:PORT[/NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `HOST:PORT` of the Milvus proxy (or Milvus Lite).
    pub host_port: String,
    /// The collection's name; its generations are `NAME_g1`, `NAME_g2`, ...
    pub name: String,
}

impl Address {
    /// Parses `milvus://HOST:PORT[/NAME]`.
    pub fn parse(text: &str) -> Result<Address> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "--backend `{text}`: {why}; give milvus://HOST:PORT or milvus://HOST:PORT/NAME"
            ))
        };
        let rest = text
            .strip_prefix("milvus://")
            .ok_or_else(|| bad("only milvus:// backends are known"))?;
        let (host_port, name) = match rest.split_once('/') {
            Some((host_port, name)) => (host_port, name.trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = host_port
            .rsplit_once(':')
            .ok_or_else(|| bad("the port is missing"))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(bad("HOST:PORT is not an address"));
        }
        let name = if name.is_empty() { DEFAULT_NAME } else { name };
        let valid = name.len() <= 200
            && name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad(
                "a collection name is letters, digits and _ (starting with a letter or _)",
            ));
        }
        Ok(Address {
            host_port: host_port.to_string(),
            name: name.to_string(),
        })
    }

    /// The same server, another collection: `NAME_suffix` (evaluation sets
    /// keep apart from the user's collection).
    pub fn with_suffix(&self, suffix: &str) -> Address {
        let suffix: String = suffix
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Address {
            host_port: self.host_port.clone(),
            name: format!("{}_{suffix}", self.name),
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "milvus://{}/{}", self.host_port, self.name)
    }
}

/// A connection to the server: the gRPC client and the runtime that drives it.
pub(crate) struct Remote {
    /// Always `Some` until dropped; taken then so that it shuts down
    /// without blocking (below).
    runtime: Option<tokio::runtime::Runtime>,
    client: milvus::client::Client,
    address: Address,
}

/// `mmsearch serve` drops an old generation's connection wherever its last
/// request ends, possibly on one of the server's async threads, where
/// dropping a runtime the ordinary way (waiting for its threads) panics.
impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Remote {
    /// Connects, or says in one line that the server cannot be reached.
    pub(crate) fn connect(address: &Address) -> Result<Remote> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the Milvus client: {e}")))?;
        let url = format!("http://{}", address.host_port);
        let connected = runtime.block_on(async {
            tokio::time::timeout(
                CONNECT_TIMEOUT,
                milvus::client::Client::with_timeout(url, REQUEST_TIMEOUT, None, None),
            )
            .await
        });
        let down = |why: String| Error::Backend {
            address: address.host_port.clone(),
            what: format!("cannot connect ({why}); is Milvus running there?"),
        };
        let client = match connected {
            Err(_) => {
                return Err(down(format!(
                    "no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
            Ok(Err(e)) => return Err(down(error_text(&e))),
            Ok(Ok(client)) => client,
        };
        Ok(Remote {
            runtime: Some(runtime),
            client,
            address: address.clone(),
        })
    }

    /// The collection address this connection was made for.
    pub(crate) fn address(&self) -> &Address {
        &self.address
    }

    /// Runs one request to completion, bounded in time; `what` names it in
    /// the error.
    pub(crate) fn call<'a, T, F>(
        &'a self,
        what: &str,
        request: impl FnOnce(&'a milvus::client::Client) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, milvus::error::Error>> + 'a,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| self.error(format!("{what}: the connection is closed")))?;
        let request = request(&self.client);
        let answer =
            runtime.block_on(async { tokio::time::timeout(REQUEST_TIMEOUT, request).await });
        match answer {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(format!("{what}: {}", error_text(&e)))),
            Err(_) => Err(self.error(format!(
                "{what}: no answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            ))),
        }
    }

    pub(crate) fn error(&self, what: String) -> Error {
        Error::Backend {
            address: self.address.host_port.clone(),
            what,
        }
    }
}

/// Builds `sources` into a new generation of the collection at `address`
/// and makes it live; vectors of unchanged papers are reused from the live
/// collection and from the index directory's (`reuse`). The index
/// directory's write lock is held meanwhile, so builds from this machine
/// take turns.
pub fn build(
    address: &Address,
    index_dir: &Path,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    events: &Events,
) -> Result<BuildReport> {
    let remote = Remote::connect(address)?;
    build_on(&remote, index_dir, sources, models_dir, reuse, events)
}

/// A Milvus collection's manifest: an index directory's without file
/// checksums (Milvus keeps the files).
fn manifest(model: &ModelCard, documents: usize, sources_hash: String) -> Manifest {
    Manifest {
        schema_version: SCHEMA_VERSION,
        model: model.clone(),
        documents,
        sources_hash,
        files: BTreeMap::new(),
    }
}

fn build_on(
    remote: &Remote,
    index_dir: &Path,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    events: &Events,
) -> Result<BuildReport> {
    let dir = IndexDir::new(index_dir);
    let lock = dir.lock(events)?;
    let previous = if reuse {
        generation::live(remote)?
    } else {
        None
    };
    let prepared = prepare(
        sources,
        models_dir,
        |card| {
            if !reuse {
                return HashMap::new();
            }
            let mut known = reusable_vectors(&dir, card);
            if let Some(live) = previous.filter(|live| &live.manifest.model == card) {
                match generation::papers(remote, &live, true) {
                    Ok((papers, vectors)) => known.extend(
                        papers
                            .iter()
                            .map(Paper::embedding_text)
                            .zip(vectors)
                            .filter(|(_, v)| v.len() == card.dimensions),
                    ),
                    Err(e) => events.warn(format!(
                        "the vectors of the live collection could not be read for reuse ({e}); \
                         embedding every paper"
                    )),
                }
            }
            known
        },
        events,
    )?;
    let manifest = manifest(
        &prepared.card,
        prepared.collection.papers.len(),
        sources.hash(),
    );
    generation::write(
        remote,
        &prepared.collection.papers,
        &prepared.vectors,
        &manifest,
        sources.paths.as_ref(),
        events,
    )?;
    drop(lock);
    Ok(prepared.report())
}

/// Writes `papers` with their (already computed) `vectors` as a new live
/// generation of the collection at `address`: a build without reading or
/// embedding, for the scale benchmark's synthetic collections.
pub fn write_collection(
    address: &Address,
    papers: &[Paper],
    vectors: &[Vec<f32>],
    model: &ModelCard,
    events: &Events,
) -> Result<()> {
    let remote = Remote::connect(address)?;
    let manifest = manifest(model, papers.len(), String::new());
    generation::write(&remote, papers, vectors, &manifest, None, events).map(|_| ())
}

/// The two legs over the live collection at `address`, without reading its
/// papers (for benchmarks of the legs alone).
pub fn open_legs(address: &Address) -> Result<(Box<dyn KeywordLeg>, Box<dyn VectorLeg>)> {
    let remote = Arc::new(Remote::connect(address)?);
    let live = generation::live(&remote)?
        .ok_or_else(|| remote.error(format!("no collection {} yet", address.name)))?;
    let documents = live.manifest.documents;
    Ok((
        Box::new(legs::MilvusKeyword::new(
            remote.clone(),
            live.collection.clone(),
            documents,
        )?),
        Box::new(legs::MilvusVector::new(
            remote,
            live.collection,
            documents,
            live.manifest.model.dimensions,
        )),
    ))
}

/// The files the live collection at `address` was built from, if it was
/// built from a user's files (as an index directory remembers them).
pub fn remembered_sources(address: &Address) -> Result<Option<SourcePaths>> {
    let remote = Remote::connect(address)?;
    Ok(generation::live(&remote)?.and_then(|live| live.sources))
}

/// A collection opened in Milvus: its papers (read once, for results,
/// filters and lookups by name) and the two legs.
pub(crate) struct Opened {
    /// The papers, in document order.
    pub papers: Vec<Paper>,
    /// BM25 in Milvus.
    pub keyword: Box<dyn KeywordLeg>,
    /// Cosine search in Milvus.
    pub vectors: Box<dyn VectorLeg>,
    /// What the collection was built from and with.
    pub manifest: Manifest,
    /// The live generation's collection name.
    pub generation: String,
}

/// Opens the collection at `address` for `sources`, building it first when
/// there is none or it is stale (sources, model or schema changed), as the
/// embedded engine does with its index directory. `model` is `None` when no
/// model was found (keyword mode); a build then fails with `models_dir`'s error.
pub(crate) fn open(
    address: &Address,
    index_dir: &Path,
    sources: &Sources,
    model: Option<&ModelCard>,
    models_dir: Result<PathBuf>,
    events: &Events,
) -> Result<Opened> {
    let remote = Arc::new(Remote::connect(address)?);
    let live = generation::live(&remote)?;
    let reason = match &live {
        None => Some("no collection in Milvus yet".to_string()),
        Some(live) if live.manifest.schema_version != SCHEMA_VERSION => Some(format!(
            "the collection was written by another mmsearch (schema {}, this one writes {})",
            live.manifest.schema_version, SCHEMA_VERSION
        )),
        Some(live) => staleness(&live.manifest, sources, model),
    };
    let live = match (live, reason) {
        (Some(live), None) => live,
        (_, Some(reason)) => {
            let models_dir = models_dir?;
            events.emit(Event::Building {
                index_dir: PathBuf::from(address.to_string()),
                reason,
            });
            build_on(&remote, index_dir, sources, &models_dir, true, events)?;
            generation::live(&remote)?
                .ok_or_else(|| remote.error("the new collection is missing after a build".into()))?
        }
        (None, None) => return Err(remote.error("no collection".into())),
    };
    open_generation(remote, live)
}

/// Opens the live collection at `address` as it was last built, without
/// comparing it with the sources: for when a remembered source cannot be
/// read, so search keeps answering from what Milvus has.
pub(crate) fn open_built(address: &Address) -> Result<Opened> {
    let remote = Arc::new(Remote::connect(address)?);
    let live = generation::live(&remote)?
        .ok_or_else(|| remote.error(format!("no collection {} yet", address.name)))?;
    if live.manifest.schema_version != SCHEMA_VERSION {
        return Err(remote.error(format!(
            "the collection was written by another mmsearch (schema {}, this one writes {}); \
             run `mmsearch index` to rebuild it",
            live.manifest.schema_version, SCHEMA_VERSION
        )));
    }
    open_generation(remote, live)
}

fn open_generation(remote: Arc<Remote>, live: generation::Live) -> Result<Opened> {
    let (papers, _) = generation::papers(&remote, &live, false)?;
    let documents = papers.len();
    Ok(Opened {
        keyword: Box::new(legs::MilvusKeyword::new(
            remote.clone(),
            live.collection.clone(),
            documents,
        )?),
        vectors: Box::new(legs::MilvusVector::new(
            remote,
            live.collection.clone(),
            documents,
            live.manifest.model.dimensions,
        )),
        papers,
        generation: live.collection,
        manifest: live.manifest,
    })
}

/// A connection kept open to notice a new live generation (a finished
/// `mmsearch index` from any machine) and changed sources, for a server
/// that swaps to them as it does for an index directory.
pub struct Watch {
    remote: Remote,
}

impl Watch {
    /// Connects to the server at `address`.
    pub fn connect(address: &Address) -> Result<Watch> {
        Ok(Watch {
            remote: Remote::connect(address)?,
        })
    }

    /// The live generation's collection name, if a build ever finished.
    pub fn generation(&self) -> Result<Option<String>> {
        Ok(generation::live(&self.remote)?.map(|live| live.collection))
    }

    /// The files the live collection was built from, as `remembered_sources`.
    pub fn remembered_sources(&self) -> Result<Option<SourcePaths>> {
        Ok(generation::live(&self.remote)?.and_then(|live| live.sources))
    }
}

/// The client's error without its Debug noise: gRPC statuses say the most
/// in their message, transport errors in their innermost cause
/// ("Connection refused (os error 111)").
fn error_text(error: &milvus::error::Error) -> String {
    match error {
        milvus::error::Error::Grpc(status) if !status.message().trim().is_empty() => {
            status.message().to_string()
        }
        milvus::error::Error::Grpc(status) => format!("gRPC {:?}", status.code()),
        other => {
            let mut cause: &dyn std::error::Error = other;
            while let Some(next) = cause.source() {
                cause = next;
            }
            let text = cause.to_string();
            if text.trim().is_empty() {
                format!("{other:?}")
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_and_without_a_collection_name() {
        let a = Address::parse("milvus://127.0.0.1:19530").expect("address");
        assert_eq!(a.host_port, "127.0.0.1:19530");
        assert_eq!(a.name, "mmsearch");
        let b = Address::parse("milvus://db.lab:19530/papers_2026/").expect("address");
        assert_eq!(b.name, "papers_2026");
        assert_eq!(b.to_string(), "milvus://db.lab:19530/papers_2026");
        assert_eq!(
            b.with_suffix("eval-scifact").name,
            "papers_2026_eval_scifact"
        );
    }

    #[test]
    fn bad_addresses_are_usage_errors_naming_the_form() {
        for bad in [
            "http://localhost:19530",
            "milvus://localhost",
            "milvus://:19530",
            "milvus://localhost:port",
            "milvus://localhost:19530/has-dash",
            "milvus://localhost:19530/9lives",
        ] {
            let e = Address::parse(bad).expect_err(bad);
            assert!(matches!(e, Error::Usage(_)), "{bad}: {e}");
            assert!(e.to_string().contains("milvus://HOST:PORT"), "{e}");
        }
    }
}
