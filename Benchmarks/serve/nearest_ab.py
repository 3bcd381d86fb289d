#!/usr/bin/env python3
"""`wordpipe nearest` single-query latency of two builds side by side (issue 20's memory change:
before and after), interleaved: each binary is started once as `wordpipe nearest --vectors F -k K
[--index I]`, and this process writes one query line to its stdin and times until the answer line
is back. Warm-up queries first (load and the first query's copies excluded). Rounds alternate the
binaries; p50 and p99 are over all timed queries of each.

Usage: nearest_ab.py VECTORS WORDS NAME=BIN NAME=BIN [--index I] [-k 10] [--rounds 5] [--reps 200]
"""
import argparse
import os
import statistics
import subprocess
import time

parser = argparse.ArgumentParser()
parser.add_argument("vectors")
parser.add_argument("words")
parser.add_argument("binaries", nargs="+")
parser.add_argument("--index")
parser.add_argument("-k", type=int, default=10)
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--reps", type=int, default=200)
args = parser.parse_args()
words = open(args.words).read().split()
systems = []
for item in args.binaries:
    name, binary = item.split("=", 1)
    argv = [binary, "nearest", "--vectors", args.vectors, "-k", str(args.k)] + (["--index", args.index] if args.index else [])
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    systems.append((name, process, process.stdout))
times = {name: [] for name, _, _ in systems}


def ask(process, reader, word):
    start = time.perf_counter_ns()
    os.write(process.stdin.fileno(), (word + "\n").encode())
    line = reader.readline()
    assert line, "no answer"
    return time.perf_counter_ns() - start


for name, process, reader in systems:
    for word in words[:20]:
        ask(process, reader, word)
position = 20
for round_ in range(args.rounds):
    batch = [words[(position + i) % len(words)] for i in range(args.reps)]
    position += args.reps
    for name, process, reader in (systems if round_ % 2 == 0 else systems[::-1]):
        times[name] += [ask(process, reader, word) / 1e6 for word in batch]
for name, process, _ in systems:
    process.stdin.close()
    process.wait()
    values = sorted(times[name])
    p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
    print(f"{name}: {len(values)} queries, p50 {statistics.median(values):.3f} ms, p99 {p99:.3f} ms")
