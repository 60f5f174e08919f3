//! Retrieval evaluation: runs every judged query through each ranking mode
//! and scores the runs with `metrics`, so ranking choices (fusion, its
//! parameters) are decided by numbers comparable with published BEIR
//! figures. Each query is embedded once and its two legs computed once;
//! fusion variants are then cheap, which is what makes `--tune` practical.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{DEFAULT_DEPTH, Engine, Legs, Mode, SearchOptions};
use crate::error::{Error, Result};
use crate::fusion::Fusion;
use crate::metrics::{self, Qrels, Run, Scores};

/// Queries of the shipped list's judgments (BEIR layout).
pub const SHIPPED_QUERIES: &str = include_str!("../index/judgments/queries.jsonl");
/// Graded judgments (2 = about this, 1 = related) over the 78 shipped papers.
pub const SHIPPED_QRELS: &str = include_str!("../index/judgments/qrels/test.tsv");

/// "Related paper" cases: a paper and the papers related to it (graded).
pub const SHIPPED_RELATED: &str = include_str!("../index/judgments/related.tsv");

/// Evaluation cut-off: Recall@100 and MAP@100 need 100 results per query.
pub const EVAL_DEPTH: usize = 100;

/// Judged queries: the text of each query and the qrels.
#[derive(Debug, Clone)]
pub struct Judgments {
    pub split: String,
    /// (query id, text), only queries that have judgments, in id order.
    pub queries: Vec<(String, String)>,
    pub qrels: Qrels,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    text: String,
}

/// Reads a BEIR `queries.jsonl`; a malformed line is an error naming it.
pub fn parse_queries(text: &str, name: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: QueryLine = serde_json::from_str(line).map_err(|e| Error::Corpus {
            path: name.into(),
            message: format!("line {}: {e}", n + 1),
        })?;
        out.insert(q.id, q.text);
    }
    Ok(out)
}

impl Judgments {
    /// Keeps the queries that have judgments; a judged query without text is an error.
    pub fn new(split: &str, queries: BTreeMap<String, String>, qrels: Qrels) -> Result<Self> {
        let mut kept = Vec::new();
        for qid in qrels.keys() {
            let text = queries.get(qid).ok_or_else(|| {
                Error::Usage(format!("query {qid} is judged but not in the queries file"))
            })?;
            kept.push((qid.clone(), text.clone()));
        }
        if kept.is_empty() {
            return Err(Error::Usage(format!("no judged queries in split {split}")));
        }
        Ok(Judgments {
            split: split.to_string(),
            queries: kept,
            qrels,
        })
    }

    pub fn shipped() -> Result<Self> {
        let queries = parse_queries(SHIPPED_QUERIES, "index/judgments/queries.jsonl")?;
        let qrels = metrics::parse_qrels(SHIPPED_QRELS, "index/judgments/qrels/test.tsv")?;
        Judgments::new("test", queries, qrels)
    }

    /// The shipped "related paper" cases: each source paper is a query whose
    /// text is the paper's id, answered by `similar`.
    pub fn shipped_related() -> Result<Self> {
        let qrels = metrics::parse_qrels(SHIPPED_RELATED, "index/judgments/related.tsv")?;
        let queries = qrels.keys().map(|id| (id.clone(), id.clone())).collect();
        Judgments::new("related", queries, qrels)
    }

    /// Reads `queries.jsonl` and `qrels/<split>.tsv` of a BEIR directory.
    pub fn beir(dir: &Path, split: &str) -> Result<Self> {
        let queries_path = dir.join("queries.jsonl");
        let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
        let queries_text = read(&queries_path)?;
        let qrels_text = read(&qrels_path)?;
        let queries = parse_queries(&queries_text, &queries_path.display().to_string())?;
        let qrels = metrics::parse_qrels(&qrels_text, &qrels_path.display().to_string())?;
        Judgments::new(split, queries, qrels)
    }
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// A named ranking configuration, as it appears in reports and run files.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: &'static str,
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
    engine: &mut Engine,
    judgments: &Judgments,
    progress: bool,
) -> Result<Vec<(String, Legs)>> {
    let bar = if progress {
        indicatif::ProgressBar::new(judgments.queries.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
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
        bar.inc(1);
    }
    bar.finish_and_clear();
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
            let seed = crate::resolve::resolve(engine.papers(), paper)?;
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
    pub collection: String,
    pub split: String,
    pub documents: usize,
    pub queries: usize,
    pub runs: BTreeMap<String, Scores>,
    /// The fusion parameters the hybrid runs used.
    pub fusion: FusionParams,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct FusionParams {
    pub rrf_k: f64,
    pub alpha: f64,
}

/// Parameters chosen on the train split, and their train scores.
#[derive(Debug, Clone, Serialize)]
pub struct Tuning {
    pub split: String,
    pub queries: usize,
    pub rrf_k: f64,
    pub rrf_train_ndcg10: f64,
    pub alpha: f64,
    pub linear_train_ndcg10: f64,
    /// nDCG@10 on the train split for every value tried.
    pub rrf_grid: Vec<(f64, f64)>,
    pub alpha_grid: Vec<(f64, f64)>,
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
        tuning: None,
    })
}

/// RRF k and linear alpha values tried by `--tune`.
pub const RRF_K_GRID: &[f64] = &[1.0, 5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0, 200.0];

pub fn alpha_grid() -> Vec<f64> {
    (0..=20).map(|i| f64::from(i) * 0.05).collect()
}

/// Picks RRF k and linear alpha by nDCG@10 on `train` (ties: the first, i.e.
/// smallest, value).
pub fn tune(engine: &Engine, train: &Judgments, legs: &[(String, Legs)]) -> Result<Tuning> {
    let base = SearchOptions {
        limit: EVAL_DEPTH,
        depth: EVAL_DEPTH,
        mode: Mode::Hybrid,
        ..SearchOptions::default()
    };
    let mut rrf_grid = Vec::new();
    for &k in RRF_K_GRID {
        let run = run_variant(
            engine,
            legs,
            &SearchOptions {
                fusion: Fusion::Rrf { k },
                ..base.clone()
            },
        )?;
        rrf_grid.push((k, metrics::evaluate(&run, &train.qrels).0.ndcg_at_10));
    }
    let mut alpha_scores = Vec::new();
    for alpha in alpha_grid() {
        let run = run_variant(
            engine,
            legs,
            &SearchOptions {
                fusion: Fusion::Linear { alpha },
                ..base.clone()
            },
        )?;
        alpha_scores.push((alpha, metrics::evaluate(&run, &train.qrels).0.ndcg_at_10));
    }
    let best = |grid: &[(f64, f64)]| {
        grid.iter()
            .copied()
            .fold((f64::NAN, f64::NEG_INFINITY), |acc, x| {
                if x.1 > acc.1 { x } else { acc }
            })
    };
    let (rrf_k, rrf_train_ndcg10) = best(&rrf_grid);
    let (alpha, linear_train_ndcg10) = best(&alpha_scores);
    Ok(Tuning {
        split: train.split.clone(),
        queries: train.queries.len(),
        rrf_k,
        rrf_train_ndcg10,
        alpha,
        linear_train_ndcg10,
        rrf_grid,
        alpha_grid: alpha_scores,
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

/// Default cache directory of a BEIR collection's index.
/// Where `eval` on the shipped judgments keeps its index when not told:
/// apart from the user's collection, which may be their own papers.
pub fn shipped_index_dir() -> Result<PathBuf> {
    crate::project_dirs()
        .map(|d| d.data_dir().join("eval-shipped"))
        .ok_or_else(|| Error::Usage("no home directory: pass --index-dir".into()))
}

pub fn beir_index_dir(beir_dir: &Path) -> Result<PathBuf> {
    let name = beir_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "beir".to_string());
    crate::project_dirs()
        .map(|d| d.data_dir().join("beir").join(crate::corpus::slug(&name)))
        .ok_or_else(|| Error::Usage("no home directory: pass --index-dir".into()))
}

#[cfg(test)]
mod tests {
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
