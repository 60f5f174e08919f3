#!/usr/bin/env python3
"""Median wall time and peak memory of whole `mmsearch` invocations, with a built index.

Usage: scripts/latency.py [--runs N] [--baseline OTHER_BINARY] [QUERY]  (shipped list)
  (builds target/release/mmsearch first; runs with --no-server so a live server does not answer)

Without --baseline: median per mode (hybrid, keyword, semantic).
With --baseline: the hybrid query, this binary and the other one alternating run by run, so both
see the same machine; medians of wall time and peak RSS for each, and their ratios. Each binary
gets its own index directory (a temporary one, built at warm-up): binaries of different index
schema versions would otherwise rebuild a shared one on every run.
Reports medians (and min/max) because single runs on a shared 2-core machine are noisy.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("query", nargs="?", default="efficient video tokens")
parser.add_argument("--runs", type=int, default=21)
parser.add_argument("--binary", default="target/release/mmsearch")
parser.add_argument("--baseline", help="another mmsearch binary to measure side by side")
args = parser.parse_args()


index_dirs = {}


def run(binary, mode):
    """Wall milliseconds and peak RSS (MiB) of one invocation."""
    index = index_dirs.setdefault(binary, tempfile.mkdtemp(prefix="mmsearch-latency-"))
    start = time.perf_counter()
    child = subprocess.Popen(
        [binary, "--no-server", "--index-dir", index, "--mode", mode, args.query],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{binary} failed")
    return wall, usage.ru_maxrss / 1024


def line(name, samples):
    walls = [w for w, _ in samples]
    rss = [r for _, r in samples]
    print(
        f"{name:9} median {statistics.median(walls):6.1f} ms  min {min(walls):6.1f}  "
        f"max {max(walls):6.1f}  peak RSS median {statistics.median(rss):5.0f} MiB  ({len(samples)} runs)"
    )
    return statistics.median(walls), statistics.median(rss)


subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
for binary in [args.binary] + ([args.baseline] if args.baseline else []):
    run(binary, "hybrid")  # warm-up: builds the index if needed, fills the page cache

if args.baseline:
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(run(args.binary, "hybrid"))
        theirs.append(run(args.baseline, "hybrid"))
    wall, rss = line("this", ours)
    base_wall, base_rss = line("baseline", theirs)
    print(f"ratio     wall {wall / base_wall:.2f}  peak RSS {rss / base_rss:.2f}")
else:
    for mode in ["hybrid", "keyword", "semantic"]:
        line(mode, [run(args.binary, mode) for _ in range(args.runs)])
