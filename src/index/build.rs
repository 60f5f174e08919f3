//! Building a generation: read the collection, embed what is new (vectors
//! of texts the live index already embedded with the same model card are
//! reused), write the generation and swap it in, under the write lock.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::store::{IndexDir, WriteLock};
use crate::collection::{Collection, MergeNote, SourceReport, Sources};
use crate::embed::{self, Embedder, ModelCard, Role};
use crate::error::Result;
use crate::events::{Event, Events, Task};
use crate::paper::Paper;

/// What a build did, for the user and for benchmarks.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// Papers in the collection.
    pub papers: usize,
    /// Of which have an abstract.
    pub with_abstract: usize,
    /// Papers whose text went through the model in this build.
    pub embedded: usize,
    /// Papers whose vector was taken from the previous index.
    pub reused: usize,
    /// What was skipped while reading (also sent as events).
    pub warnings: Vec<String>,
    /// What each source gave (entries, papers, skipped).
    pub sources: Vec<SourceReport>,
    /// Every merge of an entry into a paper read before it, and why.
    pub merges: Vec<MergeNote>,
    /// Wall time of the build.
    pub seconds: f64,
}

/// Builds the index for `sources` into `dir`: parse, embed what is new
/// (vectors of texts the live index already embedded with the same model
/// are reused, so an edit re-embeds only the edited papers), write a new
/// generation and swap it in. Takes the write lock for the whole build.
/// `reuse: false` embeds everything again.
pub fn build(
    dir: &IndexDir,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    events: &Events,
) -> Result<BuildReport> {
    let lock = dir.lock(events)?;
    build_locked(dir, &lock, sources, models_dir, reuse, events)
}

/// [`build`] for a caller that already holds the write lock.
pub(crate) fn build_locked(
    dir: &IndexDir,
    lock: &WriteLock,
    sources: &Sources,
    models_dir: &Path,
    reuse: bool,
    events: &Events,
) -> Result<BuildReport> {
    let prepared = prepare(
        sources,
        models_dir,
        |card| {
            if reuse {
                reusable_vectors(dir, card)
            } else {
                HashMap::new()
            }
        },
        events,
    )?;
    dir.write(
        lock,
        &prepared.collection.papers,
        &prepared.vectors,
        &prepared.card,
        sources,
    )?;
    Ok(prepared.report())
}

/// A collection read and embedded, ready to be written to a backend.
pub(crate) struct Prepared {
    /// The merged papers.
    pub collection: Collection,
    /// One vector per paper, in order.
    pub vectors: Vec<Vec<f32>>,
    /// The model that made them.
    pub card: ModelCard,
    embedded: usize,
    started: std::time::Instant,
}

impl Prepared {
    /// What the build did.
    pub(crate) fn report(self) -> BuildReport {
        let papers = &self.collection.papers;
        BuildReport {
            papers: papers.len(),
            with_abstract: papers.iter().filter(|p| p.abstract_text.is_some()).count(),
            embedded: self.embedded,
            reused: papers.len() - self.embedded,
            warnings: self.collection.warnings,
            sources: self.collection.sources,
            merges: self.collection.merges,
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

/// Reads the collection of `sources` and embeds every paper whose text is
/// not among the vectors `known` gives for the model card (text → vector).
pub(crate) fn prepare(
    sources: &Sources,
    models_dir: &Path,
    known: impl FnOnce(&ModelCard) -> HashMap<String, Vec<f32>>,
    events: &Events,
) -> Result<Prepared> {
    let started = std::time::Instant::now();
    let card = embed::read_model_card(models_dir)?;
    let collection = Collection::from_sources(sources)?;
    for warning in &collection.warnings {
        events.warn(warning.clone());
    }
    if collection.papers.is_empty() {
        return Err(collection.nothing_read());
    }
    let texts: Vec<String> = collection
        .papers
        .iter()
        .map(Paper::embedding_text)
        .collect();
    let mut known = known(&card);
    let mut vectors: Vec<Option<Vec<f32>>> = texts.iter().map(|t| known.remove(t)).collect();
    let missing: Vec<usize> = (0..texts.len()).filter(|&i| vectors[i].is_none()).collect();
    if !missing.is_empty() {
        let mut embedder = Embedder::load(models_dir, Role::Paper)?;
        let new_texts: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
        for (&i, v) in missing
            .iter()
            .zip(embed_with_progress(&mut embedder, &new_texts, events)?)
        {
            vectors[i] = Some(v);
        }
    }
    let vectors: Vec<Vec<f32>> = vectors.into_iter().map(Option::unwrap_or_default).collect();
    Ok(Prepared {
        collection,
        vectors,
        card,
        embedded: missing.len(),
        started,
    })
}

/// Text → vector from the live generation when it was embedded by `card`'s
/// model: the embedding cache, keyed by model and text.
pub(crate) fn reusable_vectors(dir: &IndexDir, card: &ModelCard) -> HashMap<String, Vec<f32>> {
    match dir.stored_vectors() {
        Some((model, papers, vectors)) if &model == card => papers
            .iter()
            .map(Paper::embedding_text)
            .zip(vectors)
            .collect(),
        _ => HashMap::new(),
    }
}

/// Embeds in small chunks so progress can be reported and memory stays flat.
pub fn embed_with_progress(
    embedder: &mut Embedder,
    texts: &[String],
    events: &Events,
) -> Result<Vec<Vec<f32>>> {
    events.emit(Event::Started {
        task: Task::Embedding,
        total: texts.len(),
    });
    // Texts of similar length share a batch, so little time goes on padding;
    // the vectors are put back in the caller's order afterwards.
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    let mut vectors: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
    let mut done = 0;
    let result = (|| {
        for chunk in order.chunks(embed::BATCH_SIZE * 8) {
            let batch: Vec<String> = chunk.iter().map(|&i| texts[i].clone()).collect();
            for (&i, vector) in chunk.iter().zip(embedder.embed(&batch)?) {
                vectors[i] = vector;
            }
            done += chunk.len();
            events.emit(Event::Progress {
                task: Task::Embedding,
                done,
                detail: None,
            });
        }
        Ok(())
    })();
    events.emit(Event::Finished {
        task: Task::Embedding,
    });
    result.map(|()| vectors)
}
