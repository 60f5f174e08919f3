//! Which collection a command works on. An index directory holds one
//! collection: the shipped list by default, or the files the user gave with
//! `--source`, which are remembered there so `mmsearch index` or a plain
//! search later rebuilds from them when they change. What `mmsearch enrich`
//! fetched is added to whichever collection it is.

use std::path::{Path, PathBuf};

use crate::collection::{ListPath, SourcePaths, Sources};
use crate::error::{Error, Result};
use crate::index::store::IndexDir;
use crate::read::{Source, SourceFormat};

/// The user's `--source`, `--source-format` and `--abstracts` arguments.
#[derive(Debug, Clone, Default)]
pub(crate) struct Given<'a> {
    pub lists: &'a [PathBuf],
    pub format: Option<SourceFormat>,
    pub abstracts: &'a [PathBuf],
}

/// The sources of the collection in `dir`, with the enrich cache added.
/// Given sources replace the remembered ones (the index remembers them once
/// it is built from them); a source that cannot be read is an error naming it.
pub(crate) fn choose(dir: &IndexDir, given: &Given<'_>, shipped: bool) -> Result<Sources> {
    let sources = if shipped {
        Sources::shipped()
    } else if !given.lists.is_empty() {
        read(&resolve_given(given)?, false)?
    } else {
        match dir.remembered_sources()? {
            Some(remembered) => read(&remembered, true)?,
            None => Sources::shipped(),
        }
    };
    with_cache(dir, sources)
}

/// As [`choose`] without given sources, for a collection kept elsewhere
/// (Milvus) that remembers its files itself; the enrich cache still comes
/// from `dir`.
pub(crate) fn choose_remembered(
    dir: &IndexDir,
    remembered: Option<SourcePaths>,
) -> Result<Sources> {
    let sources = match remembered {
        Some(remembered) => read(&remembered, true)?,
        None => Sources::shipped(),
    };
    with_cache(dir, sources)
}

fn with_cache(dir: &IndexDir, mut sources: Sources) -> Result<Sources> {
    let cache = dir.enrichment_cache();
    if cache.is_file() {
        sources
            .enrichments
            .push(Source::read(&cache, SourceFormat::Jsonl)?);
    }
    Ok(sources)
}

/// Makes the given paths absolute and settles each file's format.
fn resolve_given(given: &Given<'_>) -> Result<SourcePaths> {
    let absolute = |path: &Path| path.canonicalize().map_err(|e| Error::io(path, e));
    let lists = given
        .lists
        .iter()
        .map(|path| {
            let format = match given.format {
                Some(format) => format,
                None => SourceFormat::from_path(path)?,
            };
            Ok(ListPath {
                path: absolute(path)?,
                format,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let abstracts = given
        .abstracts
        .iter()
        .map(|p| absolute(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(SourcePaths { lists, abstracts })
}

fn read(remembered: &SourcePaths, from_memory: bool) -> Result<Sources> {
    let explain = |e: Error| match e {
        Error::SourceUnreadable { path, source, .. } => Error::SourceUnreadable {
            path,
            source,
            remembered: from_memory,
        },
        e => e,
    };
    let lists = remembered
        .lists
        .iter()
        .map(|list| Source::read(&list.path, list.format).map_err(explain))
        .collect::<Result<Vec<_>>>()?;
    let enrichments = remembered
        .abstracts
        .iter()
        .map(|path| Source::read(path, SourceFormat::Jsonl).map_err(explain))
        .collect::<Result<Vec<_>>>()?;
    Ok(Sources {
        lists,
        enrichments,
        paths: Some(remembered.clone()),
    })
}
