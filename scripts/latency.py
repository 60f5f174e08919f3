#!/usr/bin/env python3
"""Median wall time of whole `mmsearch` invocations, per mode, with a built index.

Usage: scripts/latency.py [--runs N] [QUERY]   (builds target/release/mmsearch first)
Reports medians (and min/max) because single runs on a shared 2-core machine are noisy.
"""
import argparse
import statistics
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("query", nargs="?", default="efficient video tokens")
parser.add_argument("--runs", type=int, default=21)
parser.add_argument("--binary", default="target/release/mmsearch")
args = parser.parse_args()

subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
subprocess.run([args.binary, "--mode", "keyword", args.query], stdout=subprocess.DEVNULL, check=True)
for mode in ["hybrid", "keyword", "semantic"]:
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([args.binary, "--mode", mode, args.query], stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{mode:9} median {statistics.median(times):6.1f} ms  min {min(times):6.1f}  max {max(times):6.1f}  ({args.runs} runs)")
sys.exit(0)
