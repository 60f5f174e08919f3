//! Retrieval evaluation: runs every judged query through each ranking mode
//! and scores the runs with `metrics`, so ranking choices (fusion, its
//! parameters) are decided by numbers comparable with published BEIR
//! figures. Each query is embedded once and its two legs computed once;
//! fusion variants are then cheap, which is what makes `--tune` practical.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::events::{Event, Events, Task};
use crate::search::engine::{DEFAULT_DEPTH, Engine, Legs, Mode, SearchOptions};
use crate::search::fusion::Fusion;
use metrics::{Run, Scores};

pub mod metrics;

pub mod judgments;
pub mod tune;

pub use judgments::{
    Judgments, SHIPPED_QRELS, SHIPPED_QUERIES, SHIPPED_RELATED, parse_queries, read,
};
pub use tune::{RRF_K_GRID, Tuning, alpha_grid, tune};

/// Evaluation cut-off: Recall@100 and MAP@100 need 100 results per query.
pub const EVAL_DEPTH: usize = 100;

/// A named ranking configuration, as it appears in reports and run files.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Str.
    pub name: &'static str,
    /// Options.
    pub options: SearchOptions,
}

/// The four configurations every report shows.
pub fn standard_variants(rrf_k: f64, alpha: f64) -> Vec<Variant> {
    let base = SearchOptions {
        limit: EVAL_DEPTH,
        depth: DEFAULT_DEPTH.max(EVAL_DEPTH),
        ..SearchOptions::default()
    };
    vec![
        Variant {
            name: "keyword",
            options: SearchOptions {
                mode: Mode::Keyword,
                ..base.clone()
            },
        },
        Variant {
            name: "semantic",
            options: SearchOptions {
                mode: Mode::Semantic,
                ..base.clone()
            },
        },
        Variant {
            name: "hybrid-rrf",
            options: SearchOptions {
                mode: Mode::Hybrid,
                fusion: Fusion::Rrf { k: rrf_k },
                ..base.clone()
            },
        },
        Variant {
            name: "hybrid-linear",
            options: SearchOptions {
                mode: Mode::Hybrid,
                fusion: Fusion::Linear { alpha },
                ..base.clone()
            },
        },
    ]
}

/// Both legs for every judged query, computed once.
pub fn compute_legs(
    engine: &Engine,
    judgments: &Judgments,
    events: &Events,
) -> Result<Vec<(String, Legs)>> {
    events.emit(Event::Started {
        task: Task::Evaluating,
        total: judgments.queries.len(),
    });
    let mut out = Vec::with_capacity(judgments.queries.len());
    for (qid, text) in &judgments.queries {
        let vector = engine.embed_query(text)?;
        let options = SearchOptions {
            limit: EVAL_DEPTH,
            depth: EVAL_DEPTH,
            ..SearchOptions::default()
        };
        let legs = engine.legs(text, Some(&vector), &options)?;
        out.push((qid.clone(), legs));
        events.emit(Event::Progress {
            task: Task::Evaluating,
            done: out.len(),
            detail: None,
        });
    }
    events.emit(Event::Finished {
        task: Task::Evaluating,
    });
    Ok(out)
}

/// The legs of `similar` for every related-paper case (the query text is
/// the source paper's id).
pub fn compute_related_legs(engine: &Engine, judgments: &Judgments) -> Result<Vec<(String, Legs)>> {
    let options = SearchOptions {
        limit: EVAL_DEPTH,
        depth: EVAL_DEPTH,
        ..SearchOptions::default()
    };
    judgments
        .queries
        .iter()
        .map(|(qid, paper)| {
            let seed = crate::search::resolve::resolve(engine.papers(), paper)?;
            Ok((qid.clone(), engine.similar_legs(&[seed], None, &options)?))
        })
        .collect()
}

/// The run (document ids best first, with scores) of one variant.
pub fn run_variant(
    engine: &Engine,
    legs: &[(String, Legs)],
    options: &SearchOptions,
) -> Result<Run> {
    let mut run = Run::new();
    for (qid, query_legs) in legs {
        let mut per_mode = query_legs.clone();
        if options.mode == Mode::Semantic {
            per_mode.exact.clear();
        }
        let hits = engine.rank(&per_mode, options)?;
        run.insert(
            qid.clone(),
            hits.iter()
                .map(|h| (h.paper.id.clone(), h.ranking.score))
                .collect(),
        );
    }
    Ok(run)
}

/// What `mmsearch eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Collection.
    pub collection: String,
    /// The qrels split.
    pub split: String,
    /// Documents.
    pub documents: usize,
    /// The judged queries.
    pub queries: usize,
    /// Runs.
    pub runs: BTreeMap<String, Scores>,
    /// The fusion parameters the hybrid runs used.
    pub fusion: FusionParams,
    /// The run that plain `mmsearch QUERY` (or `similar`, for related cases) uses.
    pub default_run: &'static str,
    /// Tuning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
}

/// FusionParams.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FusionParams {
    /// The RRF rank offset.
    pub rrf_k: f64,
    /// The weight of the semantic leg.
    pub alpha: f64,
}

/// Evaluates the standard variants; optionally writes TREC run files.
pub fn evaluate(
    engine: &Engine,
    collection: &str,
    judgments: &Judgments,
    legs: &[(String, Legs)],
    fusion: FusionParams,
    run_out: Option<&Path>,
) -> Result<Report> {
    let mut runs = BTreeMap::new();
    let mut queries = 0;
    for variant in standard_variants(fusion.rrf_k, fusion.alpha) {
        let run = run_variant(engine, legs, &variant.options)?;
        let (scores, n) = metrics::evaluate(&run, &judgments.qrels);
        queries = n;
        if let Some(dir) = run_out {
            write_file(&dir.join(format!("{}.trec", variant.name)), |w| {
                metrics::write_trec_run(w, &run, &format!("mmsearch-{}", variant.name))
            })?;
        }
        runs.insert(variant.name.to_string(), scores);
    }
    if let Some(dir) = run_out {
        write_file(&dir.join("qrels.txt"), |w| {
            metrics::write_trec_qrels(w, &judgments.qrels)
        })?;
    }
    Ok(Report {
        collection: collection.to_string(),
        split: judgments.split.clone(),
        documents: engine.papers().len(),
        queries,
        runs,
        fusion,
        default_run: if judgments.split == "related" {
            "hybrid-rrf"
        } else {
            "hybrid-linear"
        },
        tuning: None,
    })
}

fn write_file(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    write(&mut w)
        .and_then(|_| std::io::Write::flush(&mut w))
        .map_err(|e| Error::io(path, e))
}

/// The readable table.
pub fn write_table(out: &mut impl std::io::Write, report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} documents, split {}, {} queries (hybrid: RRF k={}, linear alpha={})",
        report.collection,
        report.documents,
        report.split,
        report.queries,
        report.fusion.rrf_k,
        report.fusion.alpha
    )?;
    writeln!(
        out,
        "{:<14} {:>8} {:>8} {:>10} {:>8}",
        "mode", "nDCG@10", "MRR@10", "Recall@100", "MAP@100"
    )?;
    for name in ["keyword", "semantic", "hybrid-rrf", "hybrid-linear"] {
        if let Some(s) = report.runs.get(name) {
            writeln!(
                out,
                "{:<14} {:>8.4} {:>8.4} {:>10.4} {:>8.4}",
                name, s.ndcg_at_10, s.mrr_at_10, s.recall_at_100, s.map_at_100
            )?;
        }
    }
    if let Some(t) = &report.tuning {
        writeln!(
            out,
            "tuned on {} ({} queries): RRF k={} (train nDCG@10 {:.4}), linear alpha={:.2} (train nDCG@10 {:.4})",
            t.split, t.queries, t.rrf_k, t.rrf_train_ndcg10, t.alpha, t.linear_train_ndcg10
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::metrics::Qrels;
    use super::*;

    #[test]
    fn shipped_judgments_are_complete() {
        let j = Judgments::shipped().expect("shipped judgments read");
        assert!(j.queries.len() >= 45, "{} queries", j.queries.len());
        assert!(j.queries.iter().any(|(_, t)| t == "efficient video tokens"));
        for judged in j.qrels.values() {
            assert!(
                judged.values().any(|&rel| rel == 2),
                "every query has a paper about it"
            );
        }
    }

    #[test]
    fn judged_query_without_text_is_an_error() {
        let mut qrels = Qrels::new();
        qrels.entry("q9".into()).or_default().insert("d".into(), 1);
        assert!(Judgments::new("test", BTreeMap::new(), qrels).is_err());
    }
}
