//! The on-disk index: one directory per build ("generation") holding the
//! tantivy index, the HNSW dump, the papers and a manifest, and a `current`
//! symlink that names the live generation. A build writes a new generation
//! beside the live one and swaps the symlink with an atomic rename, so an
//! interrupted build never leaves a half-written index in use.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keyword::KeywordIndex;
use super::vector::{self, VectorIndex};
use crate::collection::{SourcePaths, Sources};
use crate::embed::ModelCard;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::paper::Paper;

/// Bumped whenever the layout or the meaning of the files changes.
pub(crate) const SCHEMA_VERSION: u32 = 9;
const CURRENT: &str = "current";
const MANIFEST: &str = "manifest.json";
const PAPERS: &str = "papers.json";
const KEYWORD_DIR: &str = "tantivy";
const GENERATION_PREFIX: &str = "gen-";
const BUILDING_PREFIX: &str = ".building-";
const LOCK: &str = ".lock";
/// The files a generation was built from, so `mmsearch index` alone rebuilds it.
const SOURCES: &str = "sources.json";
/// Abstracts and metadata fetched by `mmsearch enrich`.
const ENRICHMENT_CACHE: &str = "enrichment.jsonl";
const ENRICH_LOCK: &str = ".enrich.lock";

/// Writes `bytes` to `path` so that a reader (or a crash) sees either the
/// old file or the new one, never a part: a temporary file beside it,
/// flushed to disk, then renamed over it.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Held while a build runs; dropping it lets the next writer in.
pub struct WriteLock {
    _file: std::fs::File,
}

/// What an index was built from and with; checked on every open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Schema version.
    pub schema_version: u32,
    /// Model.
    pub model: ModelCard,
    /// Documents.
    pub documents: usize,
    /// Sources hash.
    pub sources_hash: String,
    /// sha256 of our own files, so damage is reported instead of loaded.
    pub files: BTreeMap<String, String>,
}

/// A loaded generation.
pub struct Loaded {
    /// Manifest.
    pub manifest: Manifest,
    /// Papers.
    pub papers: Vec<Paper>,
    /// Keyword.
    pub keyword: KeywordIndex,
    /// Vectors.
    pub vectors: VectorIndex,
    /// The generation's directory name (what `current` pointed to).
    pub generation: String,
}

/// The index directory given by the user (or the default one).
#[derive(Debug, Clone)]
pub struct IndexDir {
    root: PathBuf,
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

impl IndexDir {
    /// New.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        IndexDir { root: root.into() }
    }

    /// Takes the one-writer lock, waiting (and saying so through `events`)
    /// while another mmsearch builds here. Searches never take it: they keep
    /// reading the live generation during a build.
    pub fn lock(&self, events: &Events) -> Result<WriteLock> {
        let (file, path) = self.lock_file(LOCK)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                events.emit(Event::WaitingForLock {
                    index_dir: self.root.clone(),
                });
                file.lock().map_err(|e| Error::io(&path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        Ok(WriteLock { _file: file })
    }

    /// The files the live index was built from (kept in the generation, so
    /// it changes atomically with the index); `None` means the shipped list
    /// or no index yet.
    pub(crate) fn remembered_sources(&self) -> Result<Option<SourcePaths>> {
        let Some(generation) = self.current() else {
            return Ok(None);
        };
        let path = generation.join(SOURCES);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::index(
                    &self.root,
                    format!(
                        "{SOURCES} is damaged ({e}); give the sources again with \
                         `mmsearch index --source FILE...`"
                    ),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Where `mmsearch enrich` keeps what it fetched for this collection.
    pub(crate) fn enrichment_cache(&self) -> PathBuf {
        self.root.join(ENRICHMENT_CACHE)
    }

    /// Opens (creating it and the directory) a file that is only ever locked.
    fn lock_file(&self, name: &str) -> Result<(std::fs::File, PathBuf)> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let path = self.root.join(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok((file, path))
    }

    /// Held by `mmsearch enrich` while it fetches, so two runs cannot
    /// overwrite each other's answers in the cache. Does not wait: a second
    /// run is told and stops.
    pub(crate) fn enrich_lock(&self) -> Result<WriteLock> {
        let (file, path) = self.lock_file(ENRICH_LOCK)?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Usage(format!(
                "another `mmsearch enrich` is running on {}; wait for it to finish",
                self.root.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }

    /// The live generation, if a build ever completed.
    pub fn current(&self) -> Option<PathBuf> {
        let link = self.root.join(CURRENT);
        let target = std::fs::read_link(&link).ok()?;
        let path = self.root.join(target);
        path.is_dir().then_some(path)
    }

    /// Reads the live generation's manifest without opening the indexes.
    pub fn manifest(&self) -> Result<Option<Manifest>> {
        let Some(generation) = self.current() else {
            return Ok(None);
        };
        read_manifest(&generation).map(Some)
    }

    /// Opens the live generation, verifying the manifest's checksums first.
    pub fn load(&self) -> Result<Option<Loaded>> {
        let Some(generation) = self.current() else {
            return Ok(None);
        };
        let manifest = read_manifest(&generation)?;
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(Error::index(
                &self.root,
                format!(
                    "built by another mmsearch version (schema {}, this one reads {SCHEMA_VERSION})",
                    manifest.schema_version
                ),
            ));
        }
        for (name, expected) in &manifest.files {
            let actual = sha256_file(&generation.join(name)).map_err(|_| {
                Error::index(&self.root, format!("{name} is missing or unreadable"))
            })?;
            if &actual != expected {
                return Err(Error::index(
                    &self.root,
                    format!("{name} is damaged (checksum mismatch)"),
                ));
            }
        }
        let papers_path = generation.join(PAPERS);
        let text = std::fs::read_to_string(&papers_path).map_err(|e| Error::io(&papers_path, e))?;
        let papers: Vec<Paper> = serde_json::from_str(&text)
            .map_err(|e| Error::index(&self.root, format!("{PAPERS} is damaged: {e}")))?;
        let keyword = KeywordIndex::open(&generation.join(KEYWORD_DIR))
            .map_err(|e| Error::index(&self.root, format!("keyword index: {e}")))?;
        let vectors = VectorIndex::load(&generation, manifest.model.dimensions)?;
        if papers.len() != manifest.documents
            || keyword.num_docs() as usize != manifest.documents
            || vectors.len() != manifest.documents
            || vectors.stored() != manifest.documents
        {
            return Err(Error::index(
                &self.root,
                "document counts disagree between the parts",
            ));
        }
        Ok(Some(Loaded {
            generation: generation
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            manifest,
            papers,
            keyword,
            vectors,
        }))
    }

    /// The live generation's papers and their vectors, read without opening
    /// the indexes (so they serve as an embedding cache even when the index
    /// layout changed), with the model that made them. `None` when missing
    /// or damaged.
    pub(crate) fn stored_vectors(&self) -> Option<(ModelCard, Vec<Paper>, Vec<Vec<f32>>)> {
        let generation = self.current()?;
        let manifest = read_manifest(&generation).ok()?;
        for name in [PAPERS, vector::MATRIX_FILE] {
            let expected = manifest.files.get(name)?;
            if &sha256_file(&generation.join(name)).ok()? != expected {
                return None;
            }
        }
        let papers: Vec<Paper> =
            serde_json::from_slice(&std::fs::read(generation.join(PAPERS)).ok()?).ok()?;
        let bytes = std::fs::read(generation.join(vector::MATRIX_FILE)).ok()?;
        let dims = manifest.model.dimensions;
        if dims == 0 || bytes.len() != papers.len() * dims * 4 {
            return None;
        }
        let vectors = bytes
            .chunks_exact(dims * 4)
            .map(|row| {
                row.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })
            .collect();
        Some((manifest.model, papers, vectors))
    }

    /// Writes a complete new generation and makes it live atomically. The
    /// previous generation keeps answering until the final rename. The
    /// caller holds the write lock, so leftovers of builds that died can be
    /// removed safely.
    pub fn write(
        &self,
        _lock: &WriteLock,
        papers: &[Paper],
        vectors: &[Vec<f32>],
        model: &ModelCard,
        sources: &Sources,
    ) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let stamp = format!(
            "{}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
            std::process::id()
        );
        let building = self.root.join(format!("{BUILDING_PREFIX}{stamp}"));
        let result = self.write_generation(&building, papers, vectors, model, sources);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&building);
            return result;
        }
        let name = format!("{GENERATION_PREFIX}{stamp}");
        let generation = self.root.join(&name);
        std::fs::rename(&building, &generation).map_err(|e| Error::io(&generation, e))?;
        let link_tmp = self.root.join(format!(".{CURRENT}-{stamp}"));
        std::os::unix::fs::symlink(&name, &link_tmp).map_err(|e| Error::io(&link_tmp, e))?;
        let link = self.root.join(CURRENT);
        std::fs::rename(&link_tmp, &link).map_err(|e| Error::io(&link, e))?;
        self.remove_stale(&name);
        Ok(())
    }

    fn write_generation(
        &self,
        dir: &Path,
        papers: &[Paper],
        vectors: &[Vec<f32>],
        model: &ModelCard,
        sources: &Sources,
    ) -> Result<()> {
        let keyword_dir = dir.join(KEYWORD_DIR);
        std::fs::create_dir_all(&keyword_dir).map_err(|e| Error::io(&keyword_dir, e))?;
        if let Some(paths) = &sources.paths {
            let path = dir.join(SOURCES);
            std::fs::write(&path, serde_json::to_vec_pretty(paths)?)
                .map_err(|e| Error::io(&path, e))?;
        }
        let papers_path = dir.join(PAPERS);
        std::fs::write(&papers_path, serde_json::to_vec(papers)?)
            .map_err(|e| Error::io(&papers_path, e))?;
        super::keyword::build(&keyword_dir, papers)?;
        VectorIndex::build(vectors).save(dir)?;
        let mut files = BTreeMap::new();
        for name in [
            PAPERS,
            vector::DATA_FILE,
            vector::GRAPH_FILE,
            vector::MATRIX_FILE,
        ] {
            files.insert(name.to_string(), sha256_file(&dir.join(name))?);
        }
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            model: model.clone(),
            documents: papers.len(),
            sources_hash: sources.hash(),
            files,
        };
        let manifest_path = dir.join(MANIFEST);
        std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
            .map_err(|e| Error::io(&manifest_path, e))?;
        Ok(())
    }

    /// Removes generations other than `keep` and leftovers of interrupted builds.
    fn remove_stale(&self, keep: &str) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let stale = (name.starts_with(GENERATION_PREFIX) && name != keep)
                || name.starts_with(BUILDING_PREFIX);
            if stale {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn read_manifest(generation: &Path) -> Result<Manifest> {
    let path = generation.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| Error::index(generation, format!("{MANIFEST} is missing or unreadable")))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::index(generation, format!("{MANIFEST} is damaged: {e}")))
}

/// Why an existing index cannot be used as it is, if it cannot.
pub(crate) fn staleness(
    manifest: &Manifest,
    sources: &Sources,
    model: Option<&ModelCard>,
) -> Option<String> {
    if manifest.sources_hash != sources.hash() {
        return Some("the paper list changed".into());
    }
    match model {
        Some(card) if card != &manifest.model => Some(format!(
            "the index was built with {} ({}), the model now is {} ({})",
            manifest.model.id, manifest.model.variant, card.id, card.variant
        )),
        _ => None,
    }
}
