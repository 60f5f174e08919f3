#!/usr/bin/env python3
"""Bounded loopback load on a running `mmsearch serve`, and CLI latency with and without it.

Usage: scripts/load.py [--binary target/release/mmsearch] [--index-dir DIR]
                       [--requests 2000] [--clients 16] [--cli-runs 21]

Starts `mmsearch serve --addr 127.0.0.1:0` on the index directory (a temporary one with the
shipped list unless given), warms it up, then sends --requests requests from --clients concurrent
clients spread over the endpoints, and reports per endpoint p50/p99 latency and errors, plus the
server's RSS after warm-up and at the end. Then it times whole `mmsearch QUERY` commands through
the server and in-process (`--no-server`, when the binary has it), medians of --cli-runs runs.
Only the standard library; run it on a quiet machine and read medians, not single runs.
"""
import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ENDPOINTS = {
    "search hybrid": "/api/search?q=efficient+video+tokens",
    "search keyword": "/api/search?q=segment+anything&mode=keyword",
    "search filtered+explain": "/api/search?q=video+understanding&section=video&year=2023..2024&explain=1",
    "similar": "/api/similar?paper=LLaVA-PruMerge",
    "papers/{id}": "/api/papers/2307.16449",
    "health": "/api/health",
    "map": "/api/map",
    "page /": "/",
}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def start_server(binary, index_dir, env):
    proc = subprocess.Popen([binary, "serve", "--addr", "127.0.0.1:0", "--index-dir", index_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    discovery = os.path.join(index_dir, "server.json")
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with open(discovery) as f:
                info = json.load(f)
            if info.get("pid") == proc.pid:
                host, port = info["addr"].rsplit(":", 1)
                return proc, host, int(port)
        except (OSError, ValueError):
            pass
        if proc.poll() is not None:
            sys.exit(f"server exited: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    proc.kill()
    sys.exit("server did not start")


def client(host, port, jobs, results, lock):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while True:
        with lock:
            if not jobs:
                break
            name = jobs.pop()
        start = time.perf_counter()
        try:
            conn.request("GET", ENDPOINTS[name])
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200 and len(body) > 0
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            results.setdefault(name, []).append((elapsed, ok))
    conn.close()


def timed_runs(cmd, runs, env):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/mmsearch")
    parser.add_argument("--index-dir")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cli-runs", type=int, default=21)
    parser.add_argument("--query", default="efficient video tokens")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("MMSEARCH_INDEX_DIR", None)
    tmp = None
    index_dir = args.index_dir
    if index_dir is None:
        tmp = tempfile.TemporaryDirectory()
        index_dir = tmp.name
        subprocess.run([args.binary, "index", "--index-dir", index_dir], check=True,
                       stdout=subprocess.DEVNULL, env=env)
    proc, host, port = start_server(args.binary, index_dir, env)
    try:
        # Warm-up: every endpoint a few times.
        warm = {}
        lock = threading.Lock()
        client(host, port, [n for n in ENDPOINTS for _ in range(10)], warm, lock)
        rss_warm = rss_kib(proc.pid)
        names = list(ENDPOINTS)
        jobs = [names[i % len(names)] for i in range(args.requests)]
        results = {}
        threads = [threading.Thread(target=client, args=(host, port, jobs, results, lock))
                   for _ in range(args.clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        rss_end = rss_kib(proc.pid)
        total_errors = 0
        print(f"{args.requests} requests from {args.clients} concurrent clients in {wall:.1f} s "
              f"({args.requests / wall:.0f} req/s)")
        print("| endpoint | requests | errors | p50 ms | p99 ms |")
        print("|---|---|---|---|---|")
        for name in names:
            rows = results.get(name, [])
            errors = sum(1 for _, ok in rows if not ok)
            total_errors += errors
            times = [t for t, _ in rows]
            print(f"| {name} | {len(rows)} | {errors} | {percentile(times, 50):.1f} | {percentile(times, 99):.1f} |")
        print(f"RSS after warm-up {rss_warm / 1024:.0f} MiB, at the end {rss_end / 1024:.0f} MiB "
              f"(x{rss_end / max(rss_warm, 1):.2f}); errors {total_errors}")

        query = [args.binary, "--index-dir", index_dir, args.query]
        through = timed_runs(query, args.cli_runs, env)
        help_text = subprocess.run([args.binary, "--help"], capture_output=True, text=True, env=env).stdout
        if "--no-server" in help_text:
            alone = timed_runs(query + ["--no-server"], args.cli_runs, env)
        else:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            alone = timed_runs(query, args.cli_runs, env)
        print(f"`mmsearch \"{args.query}\"` median through the server {statistics.median(through):.1f} ms, "
              f"in-process {statistics.median(alone):.1f} ms ({args.cli_runs} runs each; "
              f"ratio {statistics.median(through) / statistics.median(alone):.2f})")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        if tmp:
            tmp.cleanup()
    sys.exit(1 if total_errors else 0)


if __name__ == "__main__":
    main()
