//! Retrieval-quality metrics (nDCG@10, MRR@10, Recall@100, MAP@100) for `mmsearch eval`.
//!
//! The point is figures that can be put next to published BEIR numbers, so every
//! definition here is the one trec_eval (and pytrec_eval, which wraps it) uses for
//! `ndcg_cut_10`, `recip_rank` on the top 10, `recall_100` and `map_cut_100`.
//! The functions are pure so they can be checked by hand in the tests below, and
//! the TREC writers let CI recompute the same figures with pytrec_eval
//! (`scripts/check_metrics.py`) and fail when the two disagree.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// qid -> docid -> graded relevance (0 = judged non-relevant).
pub(crate) type Qrels = BTreeMap<String, BTreeMap<String, i32>>;

/// qid -> ranked list best first: (docid, score).
///
/// The order of the list is authoritative; the scores are only carried so that
/// `write_trec_run` can write them.
pub type Run = BTreeMap<String, Vec<(String, f64)>>;

/// The four figures reported per run, for one query or averaged over queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub(crate) struct Scores {
    /// Ndcg at 10.
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    /// Mrr at 10.
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
    /// Recall at 100.
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
    /// Map at 100.
    #[serde(rename = "map@100")]
    pub map_at_100: f64,
}

/// trec_eval's default `relevance_level`: a document is relevant when rel >= 1.
fn is_relevant(rel: i32) -> bool {
    rel > 0
}

/// Scores one query's ranking (best first) against its judgements.
///
/// Documents missing from `judged` count as non-relevant, as in trec_eval. A
/// docid that appears again later in `ranked` is ignored (the first occurrence
/// keeps its rank), matching what [`write_trec_run`] writes. A query with no
/// relevant judgement scores 0 everywhere (trec_eval does the same; [`evaluate`]
/// leaves such queries out of the mean).
///
/// - nDCG@10: gain = rel for rel > 0, else 0 (linear graded gain, trec_eval's
///   `ndcg_cut` default); discount log2(rank + 1); ideal DCG from all relevant
///   judged documents of the query sorted by rel, cut at 10.
/// - MRR@10: 1 / rank of the first relevant document within the top 10, else 0.
/// - Recall@100: relevant documents in the top 100 / all relevant documents.
/// - MAP@100: sum of precision at the rank of each relevant document in the
///   top 100, divided by all relevant documents.
pub(crate) fn score_query(ranked: &[String], judged: &BTreeMap<String, i32>) -> Scores {
    let num_rel = judged.values().filter(|&&r| is_relevant(r)).count();
    if num_rel == 0 {
        return Scores::default();
    }

    let mut seen: HashSet<&str> = HashSet::with_capacity(ranked.len().min(128));
    let mut dcg = 0.0;
    let mut mrr = 0.0;
    let mut rel_found = 0usize;
    let mut precision_sum = 0.0;
    let mut rank = 0usize;
    for docid in ranked {
        if !seen.insert(docid.as_str()) {
            continue;
        }
        rank += 1;
        if rank > 100 {
            break;
        }
        let rel = judged.get(docid).copied().unwrap_or(0);
        if !is_relevant(rel) {
            continue;
        }
        rel_found += 1;
        precision_sum += rel_found as f64 / rank as f64;
        if rank <= 10 {
            dcg += rel as f64 / ((rank + 1) as f64).log2();
            if mrr == 0.0 {
                mrr = 1.0 / rank as f64;
            }
        }
    }

    let mut ideal: Vec<i32> = judged
        .values()
        .copied()
        .filter(|&r| is_relevant(r))
        .collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &rel)| rel as f64 / ((i + 2) as f64).log2())
        .sum();

    Scores {
        ndcg_at_10: dcg / idcg,
        mrr_at_10: mrr,
        recall_at_100: rel_found as f64 / num_rel as f64,
        map_at_100: precision_sum / num_rel as f64,
    }
}

/// Mean over the queries of `qrels` that have at least one relevant (rel > 0)
/// document; a query with no run entry scores 0. Returns (mean scores, number
/// of queries averaged).
///
/// Run entries for queries absent from `qrels` are ignored. With no query to
/// average the result is all zeros and a count of 0, which callers should treat
/// as an error (wrong qrels file or split).
pub(crate) fn evaluate(run: &Run, qrels: &Qrels) -> (Scores, usize) {
    let mut sum = Scores::default();
    let mut n = 0usize;
    for (qid, judged) in qrels {
        if !judged.values().any(|&r| is_relevant(r)) {
            continue;
        }
        n += 1;
        let Some(ranked) = run.get(qid) else { continue };
        let docids: Vec<String> = ranked.iter().map(|(d, _)| d.clone()).collect();
        let s = score_query(&docids, judged);
        sum.ndcg_at_10 += s.ndcg_at_10;
        sum.mrr_at_10 += s.mrr_at_10;
        sum.recall_at_100 += s.recall_at_100;
        sum.map_at_100 += s.map_at_100;
    }
    if n == 0 {
        return (Scores::default(), 0);
    }
    let d = n as f64;
    let mean = Scores {
        ndcg_at_10: sum.ndcg_at_10 / d,
        mrr_at_10: sum.mrr_at_10 / d,
        recall_at_100: sum.recall_at_100 / d,
        map_at_100: sum.map_at_100 / d,
    };
    (mean, n)
}

/// Parses relevance judgements in either of the two common layouts, chosen per
/// line by its number of columns:
///
/// - BEIR TSV: `query-id<TAB>corpus-id<TAB>score` (3 columns; the
///   `query-id corpus-id score` header line is optional). When the line holds
///   tabs, only tabs separate columns, so ids may contain spaces.
/// - TREC: `qid iteration docid rel` (4 whitespace-separated columns; the
///   iteration column is ignored).
///
/// Blank lines are skipped. Relevance must be an integer (`1.0` is accepted as
/// 1). A judgement repeated with a different relevance is an error, since it is
/// ambiguous. `name` (usually the file path) prefixes error messages.
pub(crate) fn parse_qrels(text: &str, name: &str) -> Result<Qrels> {
    let err = |line_no: usize, message: String| Error::Source {
        path: PathBuf::from(name),
        message: format!("line {line_no}: {message}"),
    };
    let mut qrels = Qrels::new();
    let mut seen_content = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let first_content = !seen_content;
        seen_content = true;

        let tab_fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let fields: Vec<&str> = if tab_fields.len() == 3 {
            tab_fields
        } else {
            line.split_whitespace().collect()
        };
        let (qid, docid, rel_text) = match fields.as_slice() {
            [q, d, r] => (*q, *d, *r),
            [q, _iter, d, r] => (*q, *d, *r),
            other => {
                return Err(err(
                    line_no,
                    format!(
                        "expected 3 tab-separated columns (query-id, corpus-id, score) \
                         or 4 columns (qid iter docid rel), found {}: {:?}",
                        other.len(),
                        truncate(line, 80)
                    ),
                ));
            }
        };
        let rel = match parse_rel(rel_text) {
            Some(rel) => rel,
            // The BEIR header (`query-id corpus-id score`) has a word where the
            // relevance goes; allow it as the first line only.
            None if first_content && fields.len() == 3 => continue,
            None => {
                return Err(err(
                    line_no,
                    format!("relevance {rel_text:?} is not an integer"),
                ));
            }
        };
        if qid.is_empty() || docid.is_empty() {
            return Err(err(line_no, "empty query or document id".to_string()));
        }
        let judged = qrels.entry(qid.to_string()).or_default();
        if let Some(&old) = judged.get(docid)
            && old != rel
        {
            return Err(err(
                line_no,
                format!("query {qid:?} document {docid:?} judged twice ({old} and {rel})"),
            ));
        }
        judged.insert(docid.to_string(), rel);
    }
    Ok(qrels)
}

fn parse_rel(text: &str) -> Option<i32> {
    if let Ok(v) = text.parse::<i32>() {
        return Some(v);
    }
    let f = text.parse::<f64>().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() <= i32::MAX as f64).then_some(f as i32)
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// A TREC file is whitespace-separated, so an id with whitespace in it would
/// silently shift the columns; refuse it instead.
fn check_id(kind: &str, id: &str) -> io::Result<()> {
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{kind} {id:?} cannot be written in TREC format (empty or contains whitespace)"
            ),
        ));
    }
    Ok(())
}

/// Writes `run` as a TREC run file: `qid Q0 docid rank score tag`, one line per
/// document, queries in qid order, ranks from 1. A docid repeated within a
/// query is skipped (the first occurrence is kept).
///
/// Our order is authoritative, but trec_eval ignores the rank column: it
/// re-sorts each query by score descending and breaks ties by docid
/// *descending*, and it compares scores as 32-bit floats (its `sim` field is a
/// C `float`, in pytrec_eval too), so two f64 scores that differ by less than
/// f32 precision (about 6e-8 relative) are tied there. To make trec_eval see
/// exactly our order, each score is rounded to f32, and when it is not strictly
/// lower than the previous written score of the same query it is replaced by
/// the next f32 below that previous score. The value is written as the exact
/// decimal of that f32 (shortest f64 form, which parses back to the same
/// double and then converts to the same float), so the file round-trips the
/// order through both trec_eval's `atof` and Python's `float`. Written scores
/// can therefore differ slightly from the engine's; only the order matters.
/// NaN counts as "not lower" and ±infinity is clamped to ±f32::MAX.
///
/// Fails with `InvalidInput` on an empty or whitespace-containing qid, docid or
/// tag, or if a query's scores are so low that no lower f32 remains.
pub(crate) fn write_trec_run(out: &mut impl Write, run: &Run, tag: &str) -> io::Result<()> {
    check_id("run tag", tag)?;
    for (qid, ranked) in run {
        check_id("query id", qid)?;
        let mut seen: HashSet<&str> = HashSet::with_capacity(ranked.len());
        let mut prev: Option<f32> = None;
        let mut rank = 0usize;
        for (docid, score) in ranked {
            check_id("document id", docid)?;
            if !seen.insert(docid.as_str()) {
                continue;
            }
            rank += 1;
            // NaN becomes the previous score (so it is stepped below it), or 0 first.
            let mut s = if score.is_nan() {
                prev.unwrap_or(0.0)
            } else {
                (*score as f32).clamp(-f32::MAX, f32::MAX)
            };
            if let Some(p) = prev
                && s >= p
            {
                s = p.next_down();
                if !s.is_finite() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "query {qid:?}: scores too low to write in strictly decreasing order"
                        ),
                    ));
                }
            }
            prev = Some(s);
            writeln!(out, "{qid} Q0 {docid} {rank} {} {tag}", s as f64)?;
        }
    }
    Ok(())
}

/// Writes `qrels` as a TREC qrels file: `qid 0 docid rel`, in qid then docid
/// order. Judgements with rel <= 0 are kept (they are still "judged").
///
/// Fails with `InvalidInput` on an empty or whitespace-containing id.
pub(crate) fn write_trec_qrels(out: &mut impl Write, qrels: &Qrels) -> io::Result<()> {
    for (qid, judged) in qrels {
        check_id("query id", qid)?;
        for (docid, rel) in judged {
            check_id("document id", docid)?;
            writeln!(out, "{qid} 0 {docid} {rel}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn judged(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
        pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < EPS
    }

    #[test]
    fn graded_ndcg_with_non_ideal_order() {
        // judged: d1=1, d2=2, d3=0 (judged non-relevant); ranking d3, d1, d2.
        // DCG  = 0/log2(2) + 1/log2(3) + 2/log2(4) = 0.6309297535714574 + 1
        //      = 1.6309297535714574
        // IDCG = 2/log2(2) + 1/log2(3) = 2.6309297535714574
        // nDCG = 1.6309297535714574 / 2.6309297535714574 = 0.6199062332840657
        //   (pytrec_eval ndcg_cut_10 gives 0.6199062332840657 for this query)
        // MRR: first relevant at rank 2 -> 0.5
        // Recall@100: 2 of 2 relevant retrieved -> 1
        // MAP@100: (1/2 + 2/3) / 2 = 0.5833333333333333
        let s = score_query(
            &ranked(&["d3", "d1", "d2"]),
            &judged(&[("d1", 1), ("d2", 2), ("d3", 0)]),
        );
        let l3 = 3f64.log2();
        assert!(
            close(s.ndcg_at_10, (1.0 / l3 + 1.0) / (2.0 + 1.0 / l3)),
            "{s:?}"
        );
        assert!(close(s.ndcg_at_10, 0.6199062332840657), "{s:?}");
        assert!(close(s.mrr_at_10, 0.5));
        assert!(close(s.recall_at_100, 1.0));
        assert!(close(s.map_at_100, (0.5 + 2.0 / 3.0) / 2.0));
    }

    #[test]
    fn ideal_order_scores_one_and_negative_rel_is_non_relevant() {
        // d2=2, d1=1 in that order is ideal -> nDCG 1, MRR 1, MAP (1/1+2/2)/2 = 1.
        // dn=-1 contributes gain 0 and is not relevant (trec_eval relevance_level 1).
        let j = judged(&[("d1", 1), ("d2", 2), ("dn", -1)]);
        let s = score_query(&ranked(&["d2", "d1", "dn"]), &j);
        assert_eq!(
            s,
            Scores {
                ndcg_at_10: 1.0,
                mrr_at_10: 1.0,
                recall_at_100: 1.0,
                map_at_100: 1.0
            }
        );
        // dn first: DCG = 0 + 2/log2(3) + 1/log2(4) = 1.2618595071429148 + 0.5;
        // IDCG = 2 + 1/log2(3) = 2.6309297535714574 -> 0.6699...; MRR 1/2.
        let s = score_query(&ranked(&["dn", "d2", "d1"]), &j);
        let l3 = 3f64.log2();
        assert!(
            close(s.ndcg_at_10, (2.0 / l3 + 0.5) / (2.0 + 1.0 / l3)),
            "{s:?}"
        );
        assert!(close(s.mrr_at_10, 0.5));
    }

    #[test]
    fn no_relevant_doc_retrieved_scores_zero() {
        // Only a and b are relevant; neither is in the ranking -> all 0.
        let s = score_query(
            &ranked(&["x", "y", "z"]),
            &judged(&[("a", 1), ("b", 2), ("x", 0)]),
        );
        assert_eq!(s, Scores::default());
        // Empty ranking as well.
        assert_eq!(score_query(&[], &judged(&[("a", 1)])), Scores::default());
        // And a query with no relevant judgement at all (no division by zero).
        assert_eq!(
            score_query(&ranked(&["a"]), &judged(&[("a", 0)])),
            Scores::default()
        );
    }

    #[test]
    fn mrr_beyond_rank_10_is_zero() {
        // The only relevant doc "r" sits at rank 11 behind 10 unjudged docs.
        // MRR@10 = 0 and nDCG@10 = 0 (outside the cut),
        // Recall@100 = 1/1 = 1, MAP@100 = (1/11) / 1 = 0.0909...
        let mut ids: Vec<String> = (1..=10).map(|i| format!("n{i}")).collect();
        ids.push("r".into());
        let s = score_query(&ids, &judged(&[("r", 1)]));
        assert_eq!(s.mrr_at_10, 0.0);
        assert_eq!(s.ndcg_at_10, 0.0);
        assert!(close(s.recall_at_100, 1.0));
        assert!(close(s.map_at_100, 1.0 / 11.0));
        // At rank 10 exactly it counts: MRR = 1/10, nDCG = (1/log2(11)) / 1.
        let mut ids: Vec<String> = (1..=9).map(|i| format!("n{i}")).collect();
        ids.push("r".into());
        let s = score_query(&ids, &judged(&[("r", 1)]));
        assert!(close(s.mrr_at_10, 0.1));
        assert!(close(s.ndcg_at_10, 1.0 / 11f64.log2()));
    }

    #[test]
    fn recall_and_map_with_relevant_docs_missing_from_run() {
        // Relevant: a, b, c (3); d judged non-relevant. Ranking: a, d, b, then
        // 97 unjudged fillers (ranks 4..100), then c at rank 101 (beyond the cut).
        // Relevant within top 100: a@1, b@3 -> Recall@100 = 2/3.
        // MAP@100 = (1/1 + 2/3) / 3 = 5/9 = 0.5555...
        // nDCG@10 = (1/log2(2) + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4))
        //         = 1.5 / 2.1309297535714574 = 0.7039...
        let mut ids = ranked(&["a", "d", "b"]);
        ids.extend((4..=100).map(|i| format!("f{i}")));
        ids.push("c".into());
        assert_eq!(ids.len(), 101);
        let s = score_query(&ids, &judged(&[("a", 1), ("b", 1), ("c", 1), ("d", 0)]));
        assert!(close(s.recall_at_100, 2.0 / 3.0), "{s:?}");
        assert!(close(s.map_at_100, 5.0 / 9.0), "{s:?}");
        assert!(close(s.mrr_at_10, 1.0));
        assert!(
            close(s.ndcg_at_10, 1.5 / (1.5 + 1.0 / 3f64.log2())),
            "{s:?}"
        );
    }

    #[test]
    fn repeated_docid_keeps_first_rank() {
        // a, a, b: the second "a" is dropped, so b is at rank 2 (not 3).
        // MAP = (1/1 + 2/2) / 2 = 1; with the duplicate counted it would be (1 + 2/3)/2.
        let s = score_query(&ranked(&["a", "a", "b"]), &judged(&[("a", 1), ("b", 1)]));
        assert!(close(s.map_at_100, 1.0));
        assert!(close(s.ndcg_at_10, 1.0));
    }

    #[test]
    fn evaluate_averages_over_queries_with_relevant_docs() {
        // q1: relevant a at rank 1 -> all 1.
        // q2: only judged non-relevant -> left out of the mean.
        // q3: relevant, but no run entry -> all 0.
        // q4: in the run but not in the qrels -> ignored.
        // Mean over q1, q3: every metric (1 + 0) / 2 = 0.5, n = 2.
        let qrels: Qrels = [
            ("q1", judged(&[("a", 1)])),
            ("q2", judged(&[("b", 0)])),
            ("q3", judged(&[("c", 2)])),
        ]
        .into_iter()
        .map(|(q, j)| (q.to_string(), j))
        .collect();
        let run: Run = [
            ("q1", vec![("a", 3.0)]),
            ("q2", vec![("b", 1.0)]),
            ("q4", vec![("c", 1.0)]),
        ]
        .into_iter()
        .map(|(q, v)| {
            (
                q.to_string(),
                v.into_iter().map(|(d, s)| (d.to_string(), s)).collect(),
            )
        })
        .collect();
        let (s, n) = evaluate(&run, &qrels);
        assert_eq!(n, 2);
        assert_eq!(
            s,
            Scores {
                ndcg_at_10: 0.5,
                mrr_at_10: 0.5,
                recall_at_100: 0.5,
                map_at_100: 0.5
            }
        );
        assert_eq!(evaluate(&run, &Qrels::new()), (Scores::default(), 0));
    }

    #[test]
    fn scores_serialize_with_metric_names() {
        let s = Scores {
            ndcg_at_10: 0.5,
            mrr_at_10: 0.25,
            recall_at_100: 1.0,
            map_at_100: 0.125,
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"ndcg@10":0.5,"mrr@10":0.25,"recall@100":1.0,"map@100":0.125}"#
        );
    }

    #[test]
    fn parses_beir_tsv_with_and_without_header() {
        let with_header = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td 2\t0\n\nq2\td3\t2\n";
        let q = parse_qrels(with_header, "test.tsv").unwrap();
        assert_eq!(q["q1"], judged(&[("d1", 1), ("d 2", 0)]));
        assert_eq!(q["q2"], judged(&[("d3", 2)]));
        let without = "q1\td1\t1\r\nq2\td3\t2.0\r\n";
        let q = parse_qrels(without, "test.tsv").unwrap();
        assert_eq!(q["q1"], judged(&[("d1", 1)]));
        assert_eq!(q["q2"], judged(&[("d3", 2)]));
    }

    #[test]
    fn parses_trec_qrels() {
        let text = "q1 0 d1 1\nq1 0 d2 0\nq2\t0\td3\t2\nq2  Q0  d4  -1\n";
        let q = parse_qrels(text, "test.qrels").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q["q1"], judged(&[("d1", 1), ("d2", 0)]));
        assert_eq!(q["q2"], judged(&[("d3", 2), ("d4", -1)]));
    }

    #[test]
    fn malformed_qrels_line_is_an_error_with_line_number() {
        let err = parse_qrels("q1 0 d1 1\nq1 d2\n", "bad.qrels").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.qrels: line 2:"), "{msg}");
        assert!(matches!(err, Error::Source { .. }));

        let msg = parse_qrels("q1 0 d1 1\nq1 0 d2 high\n", "bad.qrels")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 2") && msg.contains("\"high\""), "{msg}");

        // A non-numeric third column is only a header on the first line.
        let msg = parse_qrels("q1\td1\t1\nq1\td2\tscore\n", "bad.tsv")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("line 2"), "{msg}");

        let msg = parse_qrels("q1 0 d1 1\nq1 0 d1 2\n", "dup.qrels")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("line 2") && msg.contains("judged twice"),
            "{msg}"
        );
    }

    #[test]
    fn qrels_writer_round_trips() {
        let q = parse_qrels("q2 0 b 0\nq1 0 a 2\nq1 0 c 1\n", "x").unwrap();
        let mut out = Vec::new();
        write_trec_qrels(&mut out, &q).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "q1 0 a 2\nq1 0 c 1\nq2 0 b 0\n");
        assert_eq!(parse_qrels(&text, "x").unwrap(), q);

        let bad: Qrels = [("q 1".to_string(), judged(&[("a", 1)]))]
            .into_iter()
            .collect();
        assert!(write_trec_qrels(&mut Vec::new(), &bad).is_err());
    }

    /// Reads back (docid, rank, score-as-trec_eval-sees-it) from a written run.
    fn read_back(text: &str) -> Vec<(String, String, usize, f32)> {
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                assert_eq!(f.len(), 6, "{l}");
                assert_eq!(f[1], "Q0");
                assert_eq!(f[5], "tag");
                // trec_eval: double via atof, stored in a float.
                let sim = f[4].parse::<f64>().unwrap() as f32;
                (
                    f[0].to_string(),
                    f[2].to_string(),
                    f[3].parse().unwrap(),
                    sim,
                )
            })
            .collect()
    }

    #[test]
    fn trec_run_writer_breaks_ties_in_our_order() {
        // Engine order: b, a, c, b (repeat), d, e.
        //   b 1.0         -> written 1.0
        //   a 1.0  (tie)  -> trec_eval would put b before a anyway (docid
        //                    descending), but we don't rely on that: next f32
        //                    below 1.0 = 0.99999994
        //   c 2.0  (higher than previous, engine says lower) -> below 0.99999994
        //   b again       -> skipped
        //   d 1 - 1e-12   -> distinct in f64 but equals 1.0 as f32: stepped down
        //   e 0.25        -> already lower, written as is
        let run: Run = [(
            "q1".to_string(),
            vec![
                ("b".to_string(), 1.0),
                ("a".to_string(), 1.0),
                ("c".to_string(), 2.0),
                ("b".to_string(), 0.5),
                ("d".to_string(), 1.0 - 1e-12),
                ("e".to_string(), 0.25),
            ],
        )]
        .into_iter()
        .collect();
        let mut out = Vec::new();
        write_trec_run(&mut out, &run, "tag").unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows = read_back(&text);
        let docs: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(docs, ["b", "a", "c", "d", "e"], "{text}");
        let ranks: Vec<usize> = rows.iter().map(|r| r.2).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5]);
        assert_eq!(rows[0].3, 1.0);
        assert_eq!(rows[1].3, 1.0f32.next_down());
        assert_eq!(rows[4].3, 0.25);
        // Strictly decreasing as trec_eval sees it, so its re-sort (score desc,
        // docid desc) reproduces our order exactly.
        let mut resorted = rows.clone();
        resorted.sort_by(|x, y| y.3.partial_cmp(&x.3).unwrap().then_with(|| y.1.cmp(&x.1)));
        assert_eq!(resorted, rows);
        assert!(
            text.starts_with("q1 Q0 b 1 1 tag\nq1 Q0 a 2 0.9999999403953552 tag\n"),
            "{text}"
        );
    }

    #[test]
    fn trec_run_writer_handles_odd_scores_and_bad_ids() {
        let run: Run = [(
            "q".to_string(),
            vec![
                ("a".to_string(), f64::INFINITY),
                ("b".to_string(), f64::NAN),
                ("c".to_string(), 1e300),
                ("d".to_string(), 0.0),
                ("e".to_string(), 0.0),
            ],
        )]
        .into_iter()
        .collect();
        let mut out = Vec::new();
        write_trec_run(&mut out, &run, "tag").unwrap();
        let rows = read_back(std::str::from_utf8(&out).unwrap());
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.3.is_finite()));
        assert!(rows.windows(2).all(|w| w[1].3 < w[0].3), "{rows:?}");

        let bad: Run = [("q".to_string(), vec![("a b".to_string(), 1.0)])]
            .into_iter()
            .collect();
        let e = write_trec_run(&mut Vec::new(), &bad, "tag").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(write_trec_run(&mut Vec::new(), &Run::new(), "my tag").is_err());
    }
}
