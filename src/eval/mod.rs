//! Retrieval evaluation: runs every judged query through each ranking mode
//! and scores the runs with `metrics`, so ranking choices (fusion, its
//! parameters) are decided by numbers comparable with published BEIR
//! figures. Each query is embedded once and its two legs computed once;
//! fusion variants are then cheap, which is what makes `--tune` practical.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::events::{Event, Events, Task};
use crate::search::engine::{DEFAULT_DEPTH, Engine, Legs, Mode, SearchOptions};
use crate::search::feedback::Feedback;
use crate::search::fusion::Fusion;
use crate::search::word_feedback::WordFeedback;
use metrics::{Run, Scores};

pub mod metrics;

pub mod judgments;
pub mod tune;

pub use judgments::{
    Judgments, SHIPPED_QRELS, SHIPPED_QUERIES, SHIPPED_RELATED, parse_queries, read,
};
pub use tune::{RRF_K_GRID, TrainSet, Tuning, alpha_grid, tune};

/// Evaluation cut-off: Recall@100 and MAP@100 need 100 results per query.
pub(crate) const EVAL_DEPTH: usize = 100;

/// A named ranking configuration, as it appears in reports and run files.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    /// Str.
    pub name: &'static str,
    /// Options.
    pub options: SearchOptions,
}

/// The runs every report shows, in this order: each leg alone, the two
/// fusions with the parameters given, and `default`, exactly what plain
/// `mmsearch QUERY` (or `similar`) does.
pub(crate) const RUN_NAMES: [&str; 5] = [
    "keyword",
    "semantic",
    "hybrid-rrf",
    "hybrid-linear",
    "default",
];

/// The name of the run that is the shipped default.
pub(crate) const DEFAULT_RUN: &str = "default";

/// The configurations of [`RUN_NAMES`]: RRF at `rrf_k`, linear at `alpha`,
/// and `default` fusing as the default does, with `word_feedback` (which
/// only bounded fusion uses).
pub(crate) fn standard_variants(
    rrf_k: f64,
    alpha: f64,
    default: Fusion,
    word_feedback: Option<WordFeedback>,
) -> Vec<Variant> {
    let base = SearchOptions {
        limit: EVAL_DEPTH,
        depth: DEFAULT_DEPTH.max(EVAL_DEPTH),
        word_feedback,
        ..SearchOptions::default()
    };
    let hybrid = |fusion| SearchOptions {
        mode: Mode::Hybrid,
        fusion,
        ..base.clone()
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
            options: hybrid(Fusion::Rrf { k: rrf_k }),
        },
        Variant {
            name: "hybrid-linear",
            options: hybrid(Fusion::Linear { alpha }),
        },
        Variant {
            name: DEFAULT_RUN,
            options: hybrid(default),
        },
    ]
}

/// Both legs for every judged query, computed once.
pub(crate) fn compute_legs(
    engine: &Engine,
    judgments: &Judgments,
    feedback: Option<Feedback>,
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
            feedback,
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
pub(crate) fn compute_related_legs(
    engine: &Engine,
    judgments: &Judgments,
) -> Result<Vec<(String, Legs)>> {
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
pub(crate) fn run_variant(
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
pub(crate) struct Report {
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
    /// How that run fuses the legs.
    pub default_fusion: Fusion,
    /// The better single leg by nDCG@10 (`keyword` or `semantic`): the
    /// default should never fall below it.
    pub best_leg: &'static str,
    /// Per query category (when the queries have kinds, as the shipped
    /// judgments do): the same runs on that category's queries only.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, CategoryReport>,
    /// Tuning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
}

/// The runs on the queries of one category.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CategoryReport {
    /// The judged queries of the category.
    pub queries: usize,
    /// Runs.
    pub runs: BTreeMap<String, Scores>,
    /// The better single leg on this category by nDCG@10.
    pub best_leg: &'static str,
}

/// The better of the two single legs by nDCG@10.
fn best_leg(runs: &BTreeMap<String, Scores>) -> &'static str {
    let ndcg = |name: &str| runs.get(name).map_or(0.0, |s| s.ndcg_at_10);
    if ndcg("semantic") > ndcg("keyword") {
        "semantic"
    } else {
        "keyword"
    }
}

/// FusionParams.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct FusionParams {
    /// The RRF rank offset.
    pub rrf_k: f64,
    /// The weight of the semantic leg.
    pub alpha: f64,
    /// The pseudo-relevance feedback every run's semantic leg used.
    pub feedback: Option<Feedback>,
    /// The word feedback bounded fusion (the default run) used.
    pub word_feedback: Option<WordFeedback>,
}

/// Evaluates the standard variants (`default` fusing as `default` says);
/// optionally writes TREC run files, the qrels and the legs into `run_out`.
pub(crate) fn evaluate(
    engine: &Engine,
    collection: &str,
    judgments: &Judgments,
    legs: &[(String, Legs)],
    fusion: FusionParams,
    default: Fusion,
    run_out: Option<&Path>,
) -> Result<Report> {
    let mut runs = BTreeMap::new();
    let mut queries = 0;
    let mut category_names: Vec<&String> = judgments.categories.values().collect();
    category_names.sort();
    category_names.dedup();
    let category_qrels: Vec<(&String, metrics::Qrels)> = category_names
        .into_iter()
        .map(|c| (c, judgments.category(c)))
        .collect();
    let mut categories: BTreeMap<String, CategoryReport> = BTreeMap::new();
    for variant in standard_variants(fusion.rrf_k, fusion.alpha, default, fusion.word_feedback) {
        let run = run_variant(engine, legs, &variant.options)?;
        let (scores, n) = metrics::evaluate(&run, &judgments.qrels);
        queries = n;
        for (name, qrels) in &category_qrels {
            let (scores, n) = metrics::evaluate(&run, qrels);
            let entry = categories
                .entry((*name).clone())
                .or_insert_with(|| CategoryReport {
                    queries: n,
                    runs: BTreeMap::new(),
                    best_leg: "keyword",
                });
            entry.runs.insert(variant.name.to_string(), scores);
        }
        if let Some(dir) = run_out {
            write_file(&dir.join(format!("{}.trec", variant.name)), |w| {
                metrics::write_trec_run(w, &run, &format!("mmsearch-{}", variant.name))
            })?;
        }
        runs.insert(variant.name.to_string(), scores);
    }
    for category in categories.values_mut() {
        category.best_leg = best_leg(&category.runs);
    }
    if let Some(dir) = run_out {
        write_file(&dir.join("qrels.txt"), |w| {
            metrics::write_trec_qrels(w, &judgments.qrels)
        })?;
        write_legs(&dir.join("legs.jsonl"), engine, legs)?;
    }
    Ok(Report {
        collection: collection.to_string(),
        split: judgments.split.clone(),
        documents: engine.papers().len(),
        queries,
        best_leg: best_leg(&runs),
        runs,
        fusion,
        default_run: DEFAULT_RUN,
        default_fusion: default,
        categories,
        tuning: None,
    })
}

/// Writes what each leg returned for each query, as JSON lines with paper
/// ids (`{"query", "keyword": [[id, score]..], "semantic": .., "keyword_cosines":
/// .., "exact": [id..], "authored": [id..], "keyword_bound"}`), for analysis
/// outside mmsearch.
pub(crate) fn write_legs(path: &Path, engine: &Engine, legs: &[(String, Legs)]) -> Result<()> {
    let id = |doc: usize| engine.papers().get(doc).map_or("", |p| p.id.as_str());
    write_file(path, |w| {
        for (qid, l) in legs {
            let ranked = |r: &crate::index::Ranked| -> Vec<(String, f32)> {
                r.iter().map(|&(d, s)| (id(d).to_string(), s)).collect()
            };
            let ids =
                |r: &[usize]| -> Vec<String> { r.iter().map(|&d| id(d).to_string()).collect() };
            let line = serde_json::json!({
                "query": qid,
                "keyword": ranked(&l.keyword),
                "semantic": ranked(&l.semantic),
                "keyword_cosines": ranked(&l.keyword_cosines),
                "exact": ids(&l.exact),
                "authored": ids(&l.authored),
                "keyword_bound": l.keyword_bound,
            });
            writeln!(w, "{line}")?;
        }
        Ok(())
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

/// What `mmsearch eval` reports on several judged sets at once.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MultiReport {
    /// The run that plain `mmsearch QUERY` uses (in every set's `runs`).
    pub default_run: &'static str,
    /// How that run fuses the legs.
    pub default_fusion: Fusion,
    /// The pseudo-relevance feedback every run's semantic leg used.
    pub feedback: Option<Feedback>,
    /// The word feedback the default run used.
    pub word_feedback: Option<WordFeedback>,
    /// Parameters picked on the train splits of the sets that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
    /// One report per set, in the order given.
    pub sets: Vec<Report>,
}

fn fusion_label(fusion: Fusion) -> String {
    match fusion {
        Fusion::Rrf { k } => format!("RRF k={k}"),
        Fusion::Linear { alpha } => format!("linear alpha={alpha}"),
        Fusion::Bounded { alpha } => format!("bounded linear alpha={alpha}"),
    }
}

/// The readable table of one set: every metric of every run, the default marked.
pub(crate) fn write_table(out: &mut impl std::io::Write, report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} documents, split {}, {} queries (hybrid: RRF k={}, linear alpha={}; default: {})",
        report.collection,
        report.documents,
        report.split,
        report.queries,
        report.fusion.rrf_k,
        report.fusion.alpha,
        fusion_label(report.default_fusion),
    )?;
    writeln!(
        out,
        "{:<16} {:>8} {:>8} {:>10} {:>8}",
        "mode", "nDCG@10", "MRR@10", "Recall@100", "MAP@100"
    )?;
    for name in RUN_NAMES {
        if let Some(s) = report.runs.get(name) {
            let mark = if name == report.default_run { " *" } else { "" };
            writeln!(
                out,
                "{:<16} {:>8.4} {:>8.4} {:>10.4} {:>8.4}",
                format!("{name}{mark}"),
                s.ndcg_at_10,
                s.mrr_at_10,
                s.recall_at_100,
                s.map_at_100
            )?;
        }
    }
    Ok(())
}

fn summary_row(
    out: &mut impl std::io::Write,
    label: &str,
    queries: usize,
    runs: &BTreeMap<String, Scores>,
    default_run: &str,
    best: &str,
) -> std::io::Result<()> {
    write!(out, "{label:<28} {queries:>7}")?;
    for name in RUN_NAMES {
        let v = runs.get(name).map_or(f64::NAN, |s| s.ndcg_at_10);
        write!(out, " {v:>9.4}")?;
    }
    let ndcg = |name: &str| runs.get(name).map_or(f64::NAN, |s| s.ndcg_at_10);
    let margin = ndcg(default_run) - ndcg(best);
    let flag = if margin < -1e-9 { "  BELOW" } else { "" };
    writeln!(out, "  {best:<8} {margin:>+8.4}{flag}")
}

/// One nDCG@10 table over every set (and, where the queries have kinds, every
/// category): each run, the default (`*`) and how far it is above the better
/// single leg (`BELOW` when it falls under it); then the tuning, if any.
pub(crate) fn write_summary(
    out: &mut impl std::io::Write,
    reports: &[Report],
    tuning: Option<&Tuning>,
) -> std::io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    writeln!(
        out,
        "nDCG@10 on every set (default * = {}, word feedback {}; hybrid-rrf k={}, hybrid-linear alpha={}; semantic feedback {})",
        fusion_label(first.default_fusion),
        match (first.default_fusion, first.fusion.word_feedback) {
            (Fusion::Bounded { .. }, Some(f)) => f.to_string(),
            (Fusion::Bounded { .. }, None) => "off".to_string(),
            // Only bounded fusion feeds words back (`similar` fuses by RRF).
            _ => "n/a".to_string(),
        },
        first.fusion.rrf_k,
        first.fusion.alpha,
        first
            .fusion
            .feedback
            .map_or("off".to_string(), |f| f.to_string())
    )?;
    write!(out, "{:<28} {:>7}", "set", "queries")?;
    for name in RUN_NAMES {
        let shown = match name {
            "hybrid-rrf" => "rrf",
            "hybrid-linear" => "linear",
            DEFAULT_RUN => "default*",
            other => other,
        };
        write!(out, " {shown:>9}")?;
    }
    writeln!(out, "  {:<8} {:>8}", "best leg", "default-")?;
    for report in reports {
        let label = format!("{} ({})", report.collection, report.split);
        summary_row(
            out,
            &label,
            report.queries,
            &report.runs,
            report.default_run,
            report.best_leg,
        )?;
        for (name, category) in &report.categories {
            summary_row(
                out,
                &format!("  {name}"),
                category.queries,
                &category.runs,
                report.default_run,
                category.best_leg,
            )?;
        }
    }
    if reports.len() > 1 {
        let mut mean = BTreeMap::new();
        for name in RUN_NAMES {
            let v = reports
                .iter()
                .map(|r| r.runs.get(name).map_or(0.0, |s| s.ndcg_at_10))
                .sum::<f64>()
                / reports.len() as f64;
            mean.insert(
                name.to_string(),
                Scores {
                    ndcg_at_10: v,
                    ..Scores::default()
                },
            );
        }
        let best = best_leg(&mean);
        let queries = reports.iter().map(|r| r.queries).sum();
        summary_row(
            out,
            "mean over sets",
            queries,
            &mean,
            first.default_run,
            best,
        )?;
    }
    if let Some(t) = tuning {
        tune::write_tuning(out, t)?;
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
    fn shipped_train_split_is_apart_from_the_test_split() {
        let test = Judgments::shipped().expect("test split read");
        let train = Judgments::shipped_split("train").expect("train split read");
        assert!(
            train.queries.len() >= 50,
            "{} train queries",
            train.queries.len()
        );
        let normal = |t: &str| {
            t.to_lowercase()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let test_texts: Vec<String> = test.queries.iter().map(|(_, t)| normal(t)).collect();
        for (id, text) in &train.queries {
            assert!(!test.qrels.contains_key(id), "{id} is in both splits");
            assert!(
                !test_texts.contains(&normal(text)),
                "{text:?} is in both splits"
            );
            assert!(train.categories.contains_key(id), "{id} has no kind");
        }
        for judged in train.qrels.values() {
            assert!(judged.values().any(|&rel| rel == 2));
        }
        assert!(Judgments::shipped_split("dev").is_err());
    }

    #[test]
    fn judged_query_without_text_is_an_error() {
        let mut qrels = Qrels::new();
        qrels.entry("q9".into()).or_default().insert("d".into(), 1);
        assert!(Judgments::new("test", BTreeMap::new(), qrels).is_err());
    }
}
