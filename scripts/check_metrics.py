#!/usr/bin/env python3
# Cross-checks mmsearch's evaluation figures against pytrec_eval (trec_eval's own
# code), so the numbers we report stay comparable with published BEIR results.
#
# Requires:  python3 -m pip install pytrec-eval-terrier==0.5.11
# (a binary wheel for CPython 3.11 on Linux x86_64; pulls in numpy and scipy)
#
# Usage:  python3 scripts/check_metrics.py QRELS RUN_DIR OUR_JSON [--allow-order-mismatch]
#
#   QRELS     TREC qrels file: `qid iter docid rel` per line
#   RUN_DIR   TREC run files named <mode>.trec (`qid Q0 docid rank score tag`)
#   OUR_JSON  mmsearch eval output:
#             {"collection":..., "split":..., "queries": N,
#              "runs": {"<mode>": {"ndcg@10": x, "mrr@10": x,
#                                  "recall@100": x, "map@100": x}, ...}}
#
# Definitions (as in src/metrics.rs):
#   ndcg@10    = pytrec_eval ndcg_cut_10
#   mrr@10     = pytrec_eval recip_rank on the run cut to its top 10 per query
#                (recip_rank itself has no cut-off)
#   recall@100 = recall_100
#   map@100    = map_cut_100
# averaged over the qrels queries with at least one document of rel > 0; such a
# query missing from a run scores 0 (pytrec_eval leaves it out of its results).
#
# trec_eval ignores the rank column: it orders each query by score descending,
# scores compared as 32-bit floats, ties broken by docid descending. mmsearch
# writes scores so that this order equals its own; this script also checks that
# the rank column agrees with that order and fails if it does not, unless
# --allow-order-mismatch is given (for hand-written runs with ties).
#
# Exit status: 0 all figures agree within 1e-4; 1 some differ (or the order
# check failed); 2 bad input or usage.

import argparse
import json
import math
import sys
from pathlib import Path

try:
    import numpy as np
    import pytrec_eval
except ImportError as e:
    print(f"check_metrics: {e}; install with: python3 -m pip install pytrec-eval-terrier==0.5.11", file=sys.stderr)
    sys.exit(2)

TOLERANCE = 1e-4
METRICS = ["ndcg@10", "mrr@10", "recall@100", "map@100"]


class InputError(Exception):
    pass


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4:
                raise InputError(f"{path}:{n}: expected `qid iter docid rel`, got {line.strip()!r}")
            qid, _, docid, rel = fields
            try:
                rel = int(rel)
            except ValueError:
                raise InputError(f"{path}:{n}: relevance {rel!r} is not an integer") from None
            judged = qrels.setdefault(qid, {})
            if judged.get(docid, rel) != rel:
                raise InputError(f"{path}:{n}: {qid} {docid} judged twice")
            judged[docid] = rel
    return qrels


def read_run(path):
    """qid -> list of (docid, rank, score) in file order."""
    run = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                raise InputError(f"{path}:{n}: expected `qid Q0 docid rank score tag`, got {line.strip()!r}")
            qid, _, docid, rank, score, _ = fields
            try:
                rank, score = int(rank), float(score)
            except ValueError:
                raise InputError(f"{path}:{n}: bad rank or score in {line.strip()!r}") from None
            if not math.isfinite(score):
                raise InputError(f"{path}:{n}: score {score} is not finite")
            run.setdefault(qid, []).append((docid, rank, score))
    for qid, docs in run.items():
        ids = [d for d, _, _ in docs]
        if len(set(ids)) != len(ids):
            raise InputError(f"{path}: query {qid} lists a document twice")
    return run


def trec_eval_order(docs):
    """The order trec_eval sees: score (as float32) descending, then docid descending."""
    return sorted(docs, key=lambda d: (np.float32(d[2]), d[0]), reverse=True)


def evaluate(qrels, run):
    """Mean of each metric over the qrels queries with a relevant document."""
    qids = [q for q, judged in qrels.items() if any(r > 0 for r in judged.values())]
    qrels = {q: qrels[q] for q in qids}
    full = {q: {d: s for d, _, s in docs} for q, docs in run.items() if q in qrels}
    top10 = {q: {d: s for d, _, s in trec_eval_order(docs)[:10]} for q, docs in run.items() if q in qrels}

    main = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "recall_100", "map_cut_100"}).evaluate(full)
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)

    sums = dict.fromkeys(METRICS, 0.0)
    for q in qids:
        m = main.get(q, {})
        sums["ndcg@10"] += m.get("ndcg_cut_10", 0.0)
        sums["recall@100"] += m.get("recall_100", 0.0)
        sums["map@100"] += m.get("map_cut_100", 0.0)
        sums["mrr@10"] += rr.get(q, {}).get("recip_rank", 0.0)
    n = len(qids)
    return {k: (v / n if n else 0.0) for k, v in sums.items()}, n


def order_mismatches(run):
    """Queries whose rank column disagrees with the order trec_eval will use."""
    bad = []
    for qid, docs in run.items():
        by_rank = [d for d, _, _ in sorted(docs, key=lambda d: d[1])]
        by_trec = [d for d, _, _ in trec_eval_order(docs)]
        if by_rank != by_trec:
            bad.append(qid)
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__ or "Cross-check mmsearch metrics against pytrec_eval.")
    ap.add_argument("qrels")
    ap.add_argument("run_dir")
    ap.add_argument("our_json")
    ap.add_argument("--allow-order-mismatch", action="store_true",
                    help="do not fail when a run's rank column disagrees with trec_eval's score order")
    args = ap.parse_args(argv)

    try:
        qrels = read_qrels(args.qrels)
        with open(args.our_json, encoding="utf-8") as f:
            ours = json.load(f)
        our_runs = ours.get("runs")
        if not isinstance(our_runs, dict) or not our_runs:
            raise InputError(f"{args.our_json}: no \"runs\" object")
        files = {p.stem: p for p in sorted(Path(args.run_dir).glob("*.trec"))}
        missing = sorted(set(our_runs) - set(files))
        extra = sorted(set(files) - set(our_runs))
        if missing:
            raise InputError(f"{args.run_dir}: no run file for mode(s) {', '.join(missing)}")
        if extra:
            raise InputError(f"{args.our_json}: no figures for run file(s) {', '.join(extra)}")
        runs = {mode: read_run(files[mode]) for mode in our_runs}
    except (OSError, ValueError, InputError) as e:
        print(f"check_metrics: {e}", file=sys.stderr)
        return 2

    failed = False
    print(f"collection={ours.get('collection')} split={ours.get('split')}")
    print(f"{'mode':<16} {'metric':<11} {'mmsearch':>10} {'pytrec_eval':>11} {'diff':>9}")
    for mode, run in runs.items():
        theirs, n = evaluate(qrels, run)
        if ours.get("queries") != n:
            print(f"{mode:<16} queries: mmsearch {ours.get('queries')} vs {n} in qrels with a relevant doc  DIFF")
            failed = True
        for metric in METRICS:
            mine = our_runs[mode].get(metric)
            if not isinstance(mine, (int, float)):
                print(f"{mode:<16} {metric:<11} {'missing':>10} {theirs[metric]:>11.6f} {'':>9}  DIFF")
                failed = True
                continue
            diff = mine - theirs[metric]
            ok = abs(diff) <= TOLERANCE
            failed |= not ok
            print(f"{mode:<16} {metric:<11} {mine:>10.6f} {theirs[metric]:>11.6f} {diff:>+9.2e}  {'ok' if ok else 'DIFF'}")
        bad = order_mismatches(run)
        if bad:
            shown = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
            print(f"{mode:<16} rank column disagrees with trec_eval's score order in {len(bad)} "
                  f"queries ({shown})" + ("" if args.allow_order_mismatch else "  DIFF"))
            failed |= not args.allow_order_mismatch
        unjudged = sorted(set(run) - set(qrels))
        if unjudged:
            print(f"{mode:<16} note: {len(unjudged)} run queries have no qrels and were ignored")

    print("FAIL: mmsearch and pytrec_eval disagree" if failed else "OK: all figures agree within 1e-4")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
