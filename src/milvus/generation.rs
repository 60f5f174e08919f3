//! A collection in Milvus is written like a generation of the index
//! directory: into a new Milvus collection `NAME_gN`, which becomes live only
//! once complete, when a row naming it (with its manifest) is inserted into
//! `NAME_meta`, the counterpart of the `current` symlink. The live collection
//! is the one the newest row names, so a build killed halfway leaves the
//! previous one answering; the next build drops the unfinished one. (Milvus
//! aliases or collection properties would do the switch on a cluster, but
//! Milvus Lite implements neither; one inserted row is atomic on both.)

use std::collections::HashMap;

use milvus::data::FieldColumn;
use milvus::index::{IndexParams, IndexType, MetricType};
use milvus::options::{CreateCollectionOptions, LoadOptions};
use milvus::query::QueryOptions;
use milvus::schema::{CollectionSchemaBuilder, FieldSchema};

use serde::{Deserialize, Serialize};

use super::Remote;
use super::expr;
use crate::collection::SourcePaths;
use crate::error::Result;
use crate::events::{Event, Events, Task};
use crate::index::keyword::TITLE_AND_ABSTRACT;
use crate::index::store::Manifest;
use crate::paper::Paper;

/// Rounds of 100 ms to wait for an index the server did not list at once.
const INDEX_WAIT_ROUNDS: usize = 600;
/// Milvus wants a vector field in every collection, the pointer
/// collection too: this many dimensions of zeros.
const META_DIMENSIONS: i64 = 2;
/// Milvus's longest VARCHAR, in bytes.
const MAX_VARCHAR: usize = 65_535;
/// Rows per insert request, at most.
const INSERT_BATCH: usize = 2_000;
/// Bytes per insert request, at most (estimated; Milvus takes 64 MB a
/// message): a collection of long abstracts sends fewer rows at a time.
const INSERT_BYTES: usize = 16 << 20;
/// Rows per query when reading papers back (Milvus answers at most 16,384);
/// halved while an answer is larger than the client takes (4 MiB), as
/// 10,000 long abstracts are.
const READ_BATCH: usize = 10_000;

/// The BM25 parameters Milvus uses by default (and tantivy too), needed to
/// know the most a query could score.
pub(crate) const BM25_K1: f32 = 1.2;

/// The live collection and what it was built from.
#[derive(Debug, Clone)]
pub(crate) struct Live {
    /// The Milvus collection, `NAME_gN`.
    pub collection: String,
    /// Its manifest.
    pub manifest: Manifest,
    /// The user's files it was built from (none for the shipped list), as
    /// an index directory remembers them.
    pub sources: Option<SourcePaths>,
}

/// What a row of `NAME_meta` holds.
#[derive(Debug, Serialize, Deserialize)]
struct Pointer {
    collection: String,
    manifest: Manifest,
    sources: Option<SourcePaths>,
}

fn meta_name(remote: &Remote) -> String {
    format!("{}_meta", remote.address().name)
}

/// This name's generations, oldest first: `(N, NAME_gN)`.
fn generations(remote: &Remote) -> Result<Vec<(u64, String)>> {
    let prefix = format!("{}_g", remote.address().name);
    let mut found: Vec<(u64, String)> = remote
        .call("listing collections", |c| c.list_collections())?
        .into_iter()
        .filter_map(|name| {
            let n = name.strip_prefix(&prefix)?.parse::<u64>().ok()?;
            Some((n, name))
        })
        .collect();
    found.sort();
    Ok(found)
}

fn meta_schema(meta: &str) -> Result<milvus::schema::CollectionSchema> {
    CollectionSchemaBuilder::new(meta, "mmsearch: which collection is live")
        .add_field(FieldSchema::new_primary_int64("id", "generation", false))
        .add_field(FieldSchema::new_varchar("pointer", "", MAX_VARCHAR as i32))
        .add_field(FieldSchema::new_float_vector("unused", "", META_DIMENSIONS))
        .build()
        .map_err(|e| crate::error::Error::Internal(format!("Milvus schema: {e}")))
}

/// What an index must reach before a collection is loaded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IndexReady {
    /// Built over the collection's rows.
    Finished,
    /// Merely listed: for an empty collection, which has nothing to build
    /// and whose index a busy Milvus Lite was seen to leave unfinished past
    /// a minute.
    Listed,
}

/// Creates an index and waits until it is `ready`. The client's own wait
/// asks for the index once, right away, and a server may not list it yet
/// ("failed to describe index"): then this asks again for a while.
fn create_index(
    remote: &Remote,
    collection: &str,
    field: &str,
    params: IndexParams,
    ready: IndexReady,
) -> Result<()> {
    let name = params.name().clone();
    match remote.call("indexing", |c| c.create_index(collection, field, params)) {
        Ok(()) => return Ok(()),
        Err(crate::error::Error::Backend { what, .. })
            if what.contains("failed to describe index") => {}
        Err(e) => return Err(e),
    }
    let mut last_state = "not listed".to_string();
    for _ in 0..INDEX_WAIT_ROUNDS {
        let infos = remote.call("waiting for an index", |c| {
            c.describe_index(collection, field)
        })?;
        if let Some(info) = infos.iter().find(|info| info.params().name() == &name) {
            let state = info.state();
            if state == milvus::proto::common::IndexState::Finished
                || (ready == IndexReady::Listed
                    && state != milvus::proto::common::IndexState::Failed)
            {
                return Ok(());
            }
            last_state = format!("{state:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(remote.error(format!(
        "the index on {collection}.{field} was not built in time (last seen: {last_state})"
    )))
}

/// Creates `NAME_meta` when it is missing.
fn ensure_meta(remote: &Remote) -> Result<()> {
    let meta = meta_name(remote);
    if remote.call("looking for the collection pointer", |c| {
        c.has_collection(meta.as_str())
    })? {
        return Ok(());
    }
    let schema = meta_schema(&meta)?;
    remote.call("creating the collection pointer", |c| {
        c.create_collection(
            schema,
            Some(CreateCollectionOptions::with_consistency_level(
                milvus::client::ConsistencyLevel::Strong,
            )),
        )
    })?;
    let index = IndexParams::new(
        "unused".into(),
        IndexType::Flat,
        MetricType::L2,
        HashMap::new(),
    );
    create_index(remote, &meta, "unused", index, IndexReady::Listed)?;
    remote.call("loading the collection pointer", |c| {
        c.load_collection(meta.as_str(), Some(LoadOptions::default()))
    })?;
    Ok(())
}

/// The live generation, if a build ever finished.
pub(crate) fn live(remote: &Remote) -> Result<Option<Live>> {
    let meta = meta_name(remote);
    if !remote.call("looking for the collection pointer", |c| {
        c.has_collection(meta.as_str())
    })? {
        return Ok(None);
    }
    let options = QueryOptions::new().output_fields(vec!["id".into(), "pointer".into()]);
    let columns = remote.call("reading the collection pointer", |c| {
        c.query(meta.as_str(), "id >= 0", &options)
    })?;
    let ids: Vec<i64> = column(remote, &columns, "id")?;
    let pointers: Vec<String> = column(remote, &columns, "pointer")?;
    let Some((_, newest)) = ids.iter().zip(&pointers).max_by_key(|(id, _)| **id) else {
        return Ok(None);
    };
    let pointer: Pointer = serde_json::from_str(newest)
        .map_err(|e| remote.error(format!("{meta} holds a pointer mmsearch cannot read ({e})")))?;
    Ok(Some(Live {
        collection: pointer.collection,
        manifest: pointer.manifest,
        sources: pointer.sources,
    }))
}

/// The text fields BM25 reads, each with its own statistics as tantivy
/// keeps them per field, and the weight its score gets (the embedded
/// leg's field boosts: the title, and title + abstract as one text; Milvus
/// allows four vector fields, so the other fields share one at the boost
/// most of them have).
pub(crate) const TEXT_FIELDS: &[(&str, f32)] =
    &[("title", 0.1), (TITLE_AND_ABSTRACT, 1.0), ("other", 0.5)];

/// The name of a text field's BM25 output.
pub(crate) fn sparse_field(text_field: &str) -> String {
    format!("{text_field}_bm25")
}

/// A paper's text for each of `TEXT_FIELDS`.
fn searched_texts(paper: &Paper) -> [String; 3] {
    let mut other: Vec<&str> = Vec::new();
    other.extend(paper.tags.iter().map(String::as_str));
    other.extend(paper.authors.iter().map(String::as_str));
    other.extend(paper.sections.iter().map(String::as_str));
    other.extend(paper.venue.as_deref());
    other.extend(paper.arxiv_id.as_deref());
    other.extend(paper.keywords.iter().map(String::as_str));
    let year = paper.year.map(|y| y.to_string());
    other.extend(year.as_deref());
    let text = match &paper.abstract_text {
        Some(abstract_text) => format!("{}\n{abstract_text}", paper.title),
        None => paper.title.clone(),
    };
    [
        truncated(paper.title.clone()),
        truncated(text),
        truncated(other.join("\n")),
    ]
}

/// Cut to Milvus's longest VARCHAR at a character boundary (an abstract
/// longer than 64 KiB is not an abstract; what BM25 loses is its tail).
fn truncated(mut text: String) -> String {
    if text.len() > MAX_VARCHAR {
        let mut end = MAX_VARCHAR;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn schema(name: &str, dimensions: usize) -> Result<milvus::schema::CollectionSchema> {
    let varchar = |field: &str| FieldSchema::new_varchar(field, "", MAX_VARCHAR as i32);
    let mut builder = CollectionSchemaBuilder::new(name, "mmsearch papers");
    builder.add_field(FieldSchema::new_primary_int64("id", "document id", false));
    for (text, _) in TEXT_FIELDS {
        let sparse = sparse_field(text);
        builder
            .add_field(
                varchar(text)
                    .add_type_param("enable_analyzer", "true")
                    .add_type_param("analyzer_params", r#"{"type": "english"}"#),
            )
            .add_field(FieldSchema::new_sparse_float_vector(&sparse, "BM25"))
            .add_function(milvus::proto::schema::FunctionSchema {
                name: format!("bm25_{text}"),
                r#type: milvus::proto::schema::FunctionType::Bm25 as i32,
                input_field_names: vec![text.to_string()],
                output_field_names: vec![sparse],
                ..Default::default()
            });
    }
    builder
        .add_field(FieldSchema::new_float_vector(
            "dense",
            "MiniLM",
            dimensions as i64,
        ))
        .add_field(varchar("paper"))
        .add_field(varchar("keys"))
        .add_field(FieldSchema::new_int64("year", ""))
        .add_field(varchar("venue"))
        .add_field(varchar("sections"))
        .add_field(varchar("authors"))
        .build()
        .map_err(|e| crate::error::Error::Internal(format!("Milvus schema: {e}")))
}

/// Writes `papers` (document id = position) with their `vectors` as a new
/// generation, marks it live with `manifest`, then drops the older ones.
/// Returns the new collection's name.
pub(crate) fn write(
    remote: &Remote,
    papers: &[Paper],
    vectors: &[Vec<f32>],
    manifest: &Manifest,
    sources: Option<&SourcePaths>,
    events: &Events,
) -> Result<String> {
    let dimensions = vectors.first().map_or(0, Vec::len);
    if vectors.len() != papers.len() || vectors.iter().any(|v| v.len() != dimensions) {
        return Err(crate::error::Error::Internal(format!(
            "{} papers but {} vectors (or vectors of different lengths)",
            papers.len(),
            vectors.len()
        )));
    }
    ensure_meta(remote)?;
    let existing = generations(remote)?;
    let live = live(remote)?.map(|l| l.collection);
    for (_, name) in &existing {
        if Some(name) != live.as_ref() {
            remote.call("dropping an unfinished collection", |c| {
                c.drop_collection(name.as_str())
            })?;
        }
    }
    let next = existing.last().map_or(1, |(n, _)| n + 1);
    let collection = format!("{}_g{next}", remote.address().name);
    let schema = schema(&collection, dimensions)?;
    remote.call("creating a collection", |c| {
        c.create_collection(
            schema.clone(),
            Some(CreateCollectionOptions::with_consistency_level(
                milvus::client::ConsistencyLevel::Strong,
            )),
        )
    })?;
    events.emit(Event::Started {
        task: Task::Uploading,
        total: papers.len(),
    });
    let row_bytes = papers
        .iter()
        .map(|p| row_bytes(p, dimensions))
        .collect::<Vec<_>>();
    for rows in batches(&row_bytes, INSERT_BATCH, INSERT_BYTES) {
        let (start, end) = (rows.start, rows.end);
        let columns = columns(&schema, &papers[rows.clone()], &vectors[rows], start)?;
        remote.call("inserting papers", |c| {
            c.insert(collection.as_str(), columns, None)
        })?;
        events.emit(Event::Progress {
            task: Task::Uploading,
            done: end,
            detail: None,
        });
    }
    events.emit(Event::Finished {
        task: Task::Uploading,
    });
    remote.call("flushing", |c| c.flush(collection.as_str()))?;
    let dense = IndexParams::new(
        "dense".into(),
        IndexType::Flat,
        MetricType::IP,
        HashMap::new(),
    );
    create_index(remote, &collection, "dense", dense, IndexReady::Finished)?;
    for (text, _) in TEXT_FIELDS {
        let sparse = sparse_field(text);
        let params = IndexParams::new(
            sparse.clone(),
            IndexType::SparseInvertedIndex,
            MetricType::BM25,
            HashMap::new(),
        );
        create_index(remote, &collection, &sparse, params, IndexReady::Finished)?;
    }
    remote.call("loading the collection", |c| {
        c.load_collection(collection.as_str(), Some(LoadOptions::default()))
    })?;
    let pointer = serde_json::to_string(&Pointer {
        collection: collection.clone(),
        manifest: manifest.clone(),
        sources: sources.cloned(),
    })?;
    let meta = meta_name(remote);
    let meta_schema = meta_schema(&meta)?;
    let meta_field = |name: &str| {
        meta_schema
            .get_field(name)
            .ok_or_else(|| remote.error(format!("{meta} lacks the field {name}")))
    };
    let row = vec![
        FieldColumn::new(meta_field("id")?, vec![next as i64]),
        FieldColumn::new(meta_field("pointer")?, vec![pointer]),
        FieldColumn::new(
            meta_field("unused")?,
            vec![0.0f32; META_DIMENSIONS as usize],
        ),
    ];
    remote.call("switching to the new collection", |c| {
        c.insert(meta.as_str(), row, None)
    })?;
    if let Some(old) = live {
        remote.call("dropping the previous collection", |c| {
            c.drop_collection(old.as_str())
        })?;
    }
    Ok(collection)
}

fn columns(
    schema: &milvus::schema::CollectionSchema,
    papers: &[Paper],
    vectors: &[Vec<f32>],
    first_id: usize,
) -> Result<Vec<FieldColumn>> {
    let field = |name: &str| {
        schema
            .get_field(name)
            .ok_or_else(|| crate::error::Error::Internal(format!("Milvus schema lacks {name}")))
    };
    let mut records = Vec::with_capacity(papers.len());
    for paper in papers {
        let json = serde_json::to_string(paper)?;
        if json.len() > MAX_VARCHAR {
            return Err(crate::error::Error::Usage(format!(
                "paper {} is {} bytes as JSON; Milvus stores at most {MAX_VARCHAR} in a field",
                paper.id,
                json.len()
            )));
        }
        records.push(json);
    }
    let ids: Vec<i64> = (first_id..first_id + papers.len())
        .map(|i| i as i64)
        .collect();
    let keys = |p: &Paper| truncated(expr::joined(p.lookup_keys().iter().map(String::as_str)));
    let texts: Vec<[String; 3]> = papers.iter().map(searched_texts).collect();
    let mut columns = vec![FieldColumn::new(field("id")?, ids)];
    for (i, (name, _)) in TEXT_FIELDS.iter().enumerate() {
        columns.push(FieldColumn::new(
            field(name)?,
            texts.iter().map(|t| t[i].clone()).collect::<Vec<_>>(),
        ));
    }
    columns.extend([
        FieldColumn::new(field("dense")?, vectors.concat()),
        FieldColumn::new(field("paper")?, records),
        FieldColumn::new(field("keys")?, papers.iter().map(keys).collect::<Vec<_>>()),
        FieldColumn::new(
            field("year")?,
            papers
                .iter()
                .map(|p| p.year.map_or(-1, i64::from))
                .collect::<Vec<_>>(),
        ),
        FieldColumn::new(
            field("venue")?,
            papers
                .iter()
                .map(|p| truncated(expr::cleaned(p.venue.as_deref().unwrap_or(""))))
                .collect::<Vec<_>>(),
        ),
        FieldColumn::new(
            field("sections")?,
            papers
                .iter()
                .map(|p| truncated(expr::joined(p.sections.iter().map(String::as_str))))
                .collect::<Vec<_>>(),
        ),
        FieldColumn::new(
            field("authors")?,
            papers
                .iter()
                .map(|p| truncated(expr::joined(p.authors.iter().map(String::as_str))))
                .collect::<Vec<_>>(),
        ),
    ]);
    Ok(columns)
}

/// About how many bytes a paper's row takes in a request: its record, the
/// same text again in the searched fields (the title twice), and its vector.
fn row_bytes(paper: &Paper, dimensions: usize) -> usize {
    let text = paper.title.len()
        + paper.abstract_text.as_ref().map_or(0, String::len)
        + paper
            .authors
            .iter()
            .chain(&paper.tags)
            .map(String::len)
            .sum::<usize>();
    2 * text + paper.title.len() + 4 * dimensions + 512
}

/// Consecutive rows, at most `max_rows` and (unless one row alone is
/// larger) `max_bytes` to a batch.
fn batches(row_bytes: &[usize], max_rows: usize, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (row, size) in row_bytes.iter().enumerate() {
        if row > start && (row - start >= max_rows || bytes + size > max_bytes) {
            out.push(start..row);
            (start, bytes) = (row, 0);
        }
        bytes += size;
    }
    if start < row_bytes.len() {
        out.push(start..row_bytes.len());
    }
    out
}

/// The client refuses an answer over 4 MiB; a smaller batch is the cure.
fn answer_too_large(error: &crate::error::Error) -> bool {
    matches!(error, crate::error::Error::Backend { what, .. }
        if what.contains("message length too large"))
}

/// Runs a query over all `documents` in id ranges, asking for `fields`.
fn read_all(
    remote: &Remote,
    collection: &str,
    documents: usize,
    fields: &[&str],
) -> Result<Vec<FieldColumn>> {
    let mut out: Vec<FieldColumn> = Vec::new();
    let (mut start, mut batch) = (0, READ_BATCH);
    while start < documents {
        let end = (start + batch).min(documents);
        let options =
            QueryOptions::new().output_fields(fields.iter().map(|f| f.to_string()).collect());
        let filter = format!("id >= {start} and id < {end}");
        let columns =
            match remote.call("reading papers", |c| c.query(collection, &filter, &options)) {
                Err(e) if batch > 1 && answer_too_large(&e) => {
                    batch /= 2;
                    continue;
                }
                answer => answer?,
            };
        start = end;
        for column in columns {
            match out.iter_mut().find(|c| c.name == column.name) {
                Some(existing) => extend(existing, column),
                None => out.push(column),
            }
        }
    }
    Ok(out)
}

fn extend(into: &mut FieldColumn, more: FieldColumn) {
    use milvus::value::ValueVec;
    match (&mut into.value, more.value) {
        (ValueVec::Long(a), ValueVec::Long(b)) => a.extend(b),
        (ValueVec::String(a), ValueVec::String(b)) => a.extend(b),
        (ValueVec::Float(a), ValueVec::Float(b)) => a.extend(b),
        (a, b) => *a = b,
    }
}

fn column<T: TryFrom<milvus::value::ValueVec>>(
    remote: &Remote,
    columns: &[FieldColumn],
    name: &str,
) -> Result<T> {
    columns
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| T::try_from(c.value.clone()).ok())
        .ok_or_else(|| remote.error(format!("the answer lacks the field {name}")))
}

/// Every stored vector of `collection`, in document order (empty where a
/// document has none): one paged read instead of a query per paper.
pub(crate) fn vectors(
    remote: &Remote,
    collection: &str,
    documents: usize,
    dimensions: usize,
) -> Result<Vec<Option<Vec<f32>>>> {
    let columns = read_all(remote, collection, documents, &["id", "dense"])?;
    let ids: Vec<i64> = column(remote, &columns, "id")?;
    let dense: Vec<f32> = column(remote, &columns, "dense")?;
    let mut out = vec![None; documents];
    for (row, id) in ids.iter().enumerate() {
        out[document_of(remote, *id, documents)?] = row_vector(&dense, row, dimensions);
    }
    Ok(out)
}

/// The document an `id` column value names, checked against the manifest's
/// count: a row outside it is a damaged collection, not something to skip.
fn document_of(remote: &Remote, id: i64, documents: usize) -> Result<usize> {
    usize::try_from(id)
        .ok()
        .filter(|&d| d < documents)
        .ok_or_else(|| remote.error(format!("document id {id} is out of range")))
}

/// Row `row`'s vector in a flat `dense` column.
fn row_vector(dense: &[f32], row: usize, dimensions: usize) -> Option<Vec<f32>> {
    dense
        .get(row * dimensions..(row + 1) * dimensions)
        .map(<[f32]>::to_vec)
}

/// The papers of the live generation, in document order, with their
/// vectors when `with_vectors` (for reuse by the next build).
pub(crate) fn papers(
    remote: &Remote,
    live: &Live,
    with_vectors: bool,
) -> Result<(Vec<Paper>, Vec<Vec<f32>>)> {
    let documents = live.manifest.documents;
    let fields: &[&str] = if with_vectors {
        &["id", "paper", "dense"]
    } else {
        &["id", "paper"]
    };
    let columns = read_all(remote, &live.collection, documents, fields)?;
    let ids: Vec<i64> = column(remote, &columns, "id")?;
    let records: Vec<String> = column(remote, &columns, "paper")?;
    let dense: Vec<f32> = if with_vectors {
        column(remote, &columns, "dense")?
    } else {
        Vec::new()
    };
    let dimensions = live.manifest.model.dimensions;
    let mut papers: Vec<Option<Paper>> = vec![None; documents];
    let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); if with_vectors { documents } else { 0 }];
    for (row, (id, record)) in ids.iter().zip(&records).enumerate() {
        let doc = document_of(remote, *id, documents)?;
        papers[doc] = Some(serde_json::from_str(record)?);
        if with_vectors {
            vectors[doc] = row_vector(&dense, row, dimensions).unwrap_or_default();
        }
    }
    let papers = papers
        .into_iter()
        .enumerate()
        .map(|(doc, p)| {
            p.ok_or_else(|| {
                remote.error(format!(
                    "collection {} lacks document {doc} of {documents}",
                    live.collection
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((papers, vectors))
}

#[cfg(test)]
mod tests {
    use super::batches;

    #[test]
    fn batches_hold_at_most_the_rows_and_bytes_given_and_every_row_once() {
        let sizes = [10, 10, 10, 10, 10];
        assert_eq!(batches(&sizes, 2, 1_000), vec![0..2, 2..4, 4..5]);
        assert_eq!(batches(&sizes, 10, 25), vec![0..2, 2..4, 4..5]);
        assert_eq!(batches(&sizes, 10, 1_000), vec![0..5]);
        // A row larger than a batch still goes, alone.
        assert_eq!(batches(&[5, 100, 5], 10, 50), vec![0..1, 1..2, 2..3]);
        assert!(batches(&[], 10, 50).is_empty());
    }
}
