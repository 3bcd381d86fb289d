#!/usr/bin/env python3
"""Nearest-word latency and evaluation agreement: `wordpipe nearest` / `wordpipe evaluate` vs gensim 4.4.

Subcommands (run.sh calls them; each writes JSON for `report`):
  random OUT --rows N --dim D --seed S   a random float32 matrix as word2vec binary (words w0 … w{N-1})
  serve VECTORS [-k K]                   gensim behind the same stdin/stdout line protocol as `wordpipe nearest`
  latency --label L --vectors F --wordpipe BIN --out JSON
                                         single-query p50/p99 and batch time, wordpipe vs gensim
  evaluate --vectors F --wordpipe BIN --analogies Q --pairs P... --out JSON
                                         `wordpipe evaluate --json` vs gensim evaluate_word_analogies/pairs
  report JSON...                         the Markdown section for BENCHMARKS.md

How the latency is measured (every system sees the same queries, in the same order):
  wordpipe      `wordpipe nearest --vectors F -k K` started once; this process writes one query line
                to its stdin and times until the answer line is back (perf_counter_ns), then sends the
                next. Load time is excluded (warm-up queries first).
  gensim pipe   `nearest_bench.py serve F`: gensim's most_similar behind the very same pipe protocol,
                timed by the very same code: the like-for-like comparison.
  gensim        most_similar(word, topn=K) called in this process: no pipe at all.
  cat           `cat` echoing the query line: the pipe round trip alone (the harness floor).
Systems take turns in rounds so machine noise spreads evenly. Batch: BATCH query lines written at
once (a writer thread) and all answers read; time / BATCH. For gensim in-process, a loop of
most_similar over the same list.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time


def wordpipe_env():
    """The environment for wordpipe: this process's, with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as
    run.sh was given them (the harness itself runs as a peer, without them: Benchmarks/peer_env.sh)."""
    env = dict(os.environ)
    for name in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]:
        kept = env.pop("WORDPIPE_KEEP_" + name, None)
        if kept is not None:
            env[name] = kept
    return env


def blas_kernel():
    """This process's BLAS (numpy's, which gensim uses), from threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    parts = [f"{e.get('internal_api')} {e.get('version')} {e.get('architecture')}, {e.get('num_threads')} thread(s)"
             for e in threadpool_info() if e.get("user_api") == "blas"]
    return "; ".join(parts) or "no BLAS loaded"


def log(message):
    print(f"== {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- random matrix
def cmd_random(args):
    import numpy as np

    rng = np.random.default_rng(args.seed)
    matrix = rng.standard_normal((args.rows, args.dim), dtype=np.float32)
    with open(args.out + ".partial", "wb") as f:
        f.write(f"{args.rows} {args.dim}\n".encode())
        for i in range(args.rows):
            f.write(f"w{i} ".encode())
            f.write(matrix[i].astype("<f4").tobytes())
            f.write(b"\n")
    os.replace(args.out + ".partial", args.out)


# --------------------------------------------------------------------------- gensim
def load_gensim(path):
    from gensim.models import KeyedVectors

    with open(path, "rb") as f:
        head = f.read(4096)
    first = head.split(b"\n", 1)[0].split()
    has_header = len(first) == 2 and all(x.isdigit() for x in first)
    binary = has_header and (b"\0" in head or any(b < 9 or 13 < b < 32 for b in head.split(b"\n", 1)[1][:400]))
    return KeyedVectors.load_word2vec_format(path, binary=binary, no_header=not has_header, unicode_errors="replace")


def split_query(line):
    tokens = line.split()
    positive = [t for t in tokens if not t.startswith("-") or t == "-"]
    negative = [t[1:] for t in tokens if t.startswith("-") and t != "-"]
    return positive, negative


def format_answer(positive, negative, answers):
    query = " ".join(positive + ["-" + w for w in negative])
    return query + ": " + ", ".join(f"{w} {s:.3f}" for w, s in answers)


def cmd_serve(args):
    """gensim behind wordpipe nearest's protocol: one query per line in, one answer line out, at once."""
    kv = load_gensim(args.vectors)
    out = sys.stdout
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        positive, negative = split_query(line)
        try:
            answers = kv.most_similar(positive=positive, negative=negative, topn=args.k)
            out.write(format_answer(positive, negative, answers) + "\n")
        except KeyError as error:
            out.write(f"error: {error}\n")
        out.flush()


# --------------------------------------------------------------------------- pipe harness
class PipeSystem:
    """A process answering one line per line; timed round trips over raw file descriptors."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env)
        self.wfd = self.process.stdin.fileno()
        self.rfd = self.process.stdout.fileno()
        self.lines = collections.deque()
        self.partial = b""

    def read_line(self):
        while not self.lines:
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise RuntimeError(f"{self.name}: the process closed its output (exit {self.process.wait()})")
            parts = (self.partial + chunk).split(b"\n")
            self.partial = parts.pop()
            self.lines.extend(parts)
        return self.lines.popleft()

    def ask(self, query):
        """(seconds, answer line) for one query."""
        data = (query + "\n").encode()
        start = time.perf_counter_ns()
        os.write(self.wfd, data)
        line = self.read_line()
        return (time.perf_counter_ns() - start) / 1e9, line

    def batch(self, queries):
        """Seconds from writing the first of `queries` (all at once, from a thread) to reading the last answer."""
        data = "".join(q + "\n" for q in queries).encode()
        answers = []

        def write():
            view = memoryview(data)
            while view:
                view = view[os.write(self.wfd, view):]

        start = time.perf_counter_ns()
        writer = threading.Thread(target=write)
        writer.start()
        for _ in queries:
            answers.append(self.read_line())
        elapsed = (time.perf_counter_ns() - start) / 1e9
        writer.join()
        return elapsed, answers

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def parse_answer(line):
    """'q: w1 0.123, w2 0.456' -> [w1, w2]."""
    text = line.decode("utf-8", "replace")
    _, _, rest = text.partition(": ")
    return [item.rsplit(" ", 1)[0] for item in rest.split(", ") if item]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    rank = (len(values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def cmd_latency(args):
    import numpy as np

    log(f"{args.label}: loading {args.vectors} in gensim")
    t0 = time.perf_counter()
    kv = load_gensim(args.vectors)
    gensim_load = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    words = kv.index_to_key
    # Queries: random vocabulary words (no spaces, so one word is one query for both systems).
    pool = [w for w in (words[i] for i in rng.choice(len(words), size=min(len(words), 4 * args.reps + args.batch), replace=False))
            if " " not in w and "\ufffd" not in w and not w.startswith("-")]
    singles = pool[: args.reps]
    batch = pool[args.reps: args.reps + args.batch]
    if len(singles) < args.reps or len(batch) < args.batch:
        raise SystemExit(f"vocabulary too small for {args.reps} + {args.batch} queries")

    systems = {
        "wordpipe": PipeSystem("wordpipe", [args.wordpipe, "nearest", "--vectors", args.vectors, "-k", str(args.k)] + args.wordpipe_arg,
                               env=wordpipe_env()),
        "gensim-pipe": PipeSystem("gensim-pipe", [sys.executable, os.path.abspath(__file__), "serve", args.vectors, "-k", str(args.k)]),
        "cat": PipeSystem("cat", ["cat"]),
    }
    # Load (excluded): the first answer from each process, then warm-up queries (gensim computes
    # its norms on the first most_similar, wordpipe its normalized matrix on the first query).
    warm = pool[-args.warmup:]
    loads = {}
    for name, system in systems.items():
        start = time.perf_counter()
        system.ask(warm[0])
        loads[name] = time.perf_counter() - start
        for q in warm:
            system.ask(q)
    for q in warm:
        kv.most_similar(q, topn=args.k)
    log(f"{args.label}: load+first answer: wordpipe {loads['wordpipe']:.2f}s, gensim server {loads['gensim-pipe']:.2f}s; "
        f"gensim in-process load {gensim_load:.2f}s")

    times = {name: [] for name in ["wordpipe", "gensim-pipe", "gensim", "cat"]}
    answers = {"wordpipe": {}, "gensim": {}}
    chunk = (len(singles) + args.rounds - 1) // args.rounds
    for round_index in range(args.rounds):
        part = singles[round_index * chunk:(round_index + 1) * chunk]
        for name in ["wordpipe", "gensim-pipe", "gensim", "cat"]:
            for q in part:
                if name == "gensim":
                    start = time.perf_counter_ns()
                    result = kv.most_similar(q, topn=args.k)
                    times[name].append((time.perf_counter_ns() - start) / 1e9)
                    answers["gensim"][q] = [w for w, _ in result]
                else:
                    seconds, line = systems[name].ask(q)
                    times[name].append(seconds)
                    if name == "wordpipe":
                        answers["wordpipe"][q] = parse_answer(line)
        log(f"{args.label}: round {round_index + 1}/{args.rounds}: "
            + ", ".join(f"{n} p50 {statistics.median(t) * 1e3:.2f} ms" for n, t in times.items()))

    batches = {name: [] for name in ["wordpipe", "gensim-pipe", "gensim", "cat"]}
    for rep in range(args.batch_reps):
        for name in ["wordpipe", "gensim-pipe", "gensim", "cat"]:
            if name == "gensim":
                start = time.perf_counter_ns()
                for q in batch:
                    kv.most_similar(q, topn=args.k)
                batches[name].append((time.perf_counter_ns() - start) / 1e9)
            else:
                seconds, lines = systems[name].batch(batch)
                if name == "wordpipe" and rep == 0:
                    bad = [l for l in lines if b": " not in l]
                    if bad:
                        raise SystemExit(f"wordpipe answered {len(bad)} batch queries with errors, e.g. {bad[0]!r}")
                batches[name].append(seconds)
        log(f"{args.label}: batch {rep + 1}/{args.batch_reps}: "
            + ", ".join(f"{n} {b[-1] / len(batch) * 1e3:.3f} ms/query" for n, b in batches.items()))
    for system in systems.values():
        system.close()

    same = sum(answers["wordpipe"][q] == answers["gensim"][q] for q in singles)
    overlap = statistics.mean(len(set(answers["wordpipe"][q]) & set(answers["gensim"][q])) / args.k for q in singles)
    result = {
        "label": args.label, "vectors": args.vectors, "rows": len(kv), "dim": kv.vector_size, "k": args.k,
        "reps": len(singles), "rounds": args.rounds, "batch": len(batch), "batch_reps": args.batch_reps,
        "single": {n: {"p50": percentile(t, 50), "p99": percentile(t, 99), "mean": statistics.mean(t)} for n, t in times.items()},
        "batch_per_query": {n: statistics.median(b) / len(batch) for n, b in batches.items()},
        "top_identical": same / len(singles), "top_overlap": overlap,
        "load": loads, "gensim_load": gensim_load, "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "peer_blas": blas_kernel(), "wordpipe_args": args.wordpipe_arg,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


# --------------------------------------------------------------------------- evaluation
def cmd_evaluate(args):
    kv = load_gensim(args.vectors)
    command = [args.wordpipe, "evaluate", "--vectors", args.vectors, "--restrict", str(args.restrict), "--json"]
    command += ["--analogies", args.analogies]
    for p in args.pairs:
        command += ["--pairs", p]
    log("wordpipe: " + " ".join(command))
    start = time.perf_counter()
    wp = json.loads(subprocess.run(command, check=True, capture_output=True, env=wordpipe_env()).stdout.decode().strip().splitlines()[-1])
    wp_seconds = time.perf_counter() - start

    log(f"gensim: evaluate_word_analogies(restrict_vocab={args.restrict}) and evaluate_word_pairs(restrict_vocab={args.restrict})")
    start = time.perf_counter()
    score, sections = kv.evaluate_word_analogies(args.analogies, restrict_vocab=args.restrict, case_insensitive=True)
    questions = 0
    with open(args.analogies, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith(":") and len(line.split()) == 4:
                questions += 1
    total = sections[-1]
    gs_analogy = {"correct": len(total["correct"]), "incorrect": len(total["incorrect"])}
    gs_analogy["skipped"] = questions - gs_analogy["correct"] - gs_analogy["incorrect"]
    gs_analogy["accuracy"] = score
    semantic = [s for s in sections[:-1] if not s["section"].startswith("gram")]
    syntactic = [s for s in sections[:-1] if s["section"].startswith("gram")]

    def accuracy(group):
        c = sum(len(s["correct"]) for s in group)
        n = c + sum(len(s["incorrect"]) for s in group)
        return c / n if n else 0.0

    gs_analogy["semantic"] = accuracy(semantic)
    gs_analogy["syntactic"] = accuracy(syntactic)
    gs_pairs = {}
    for p in args.pairs:
        (pearson, _), spearman, oov = kv.evaluate_word_pairs(p, restrict_vocab=args.restrict, case_insensitive=True)
        gs_pairs[p] = {"pearson": float(pearson), "spearman": float(spearman.statistic if hasattr(spearman, "statistic") else spearman[0]),
                       "oov_ratio": float(oov) / 100}
    gs_seconds = time.perf_counter() - start

    a = wp["analogies:" + args.analogies]
    result = {
        "vectors": args.vectors, "restrict": args.restrict, "analogies": args.analogies,
        "wordpipe_seconds": wp_seconds, "gensim_seconds": gs_seconds,
        "analogy": {
            "wordpipe": {"correct": a["total"]["correct"], "incorrect": a["total"]["incorrect"], "skipped": a["total"]["skipped"],
                         "accuracy": a["total"]["accuracy"], "semantic": a["semantic"]["accuracy"], "syntactic": a["syntactic"]["accuracy"]},
            "gensim": gs_analogy,
        },
        "pairs": {p: {"wordpipe": {"pearson": wp["pairs:" + p]["pearson"], "spearman": wp["pairs:" + p]["spearman"],
                                   "pairs": wp["pairs:" + p]["pairs"], "skipped": wp["pairs:" + p]["skipped"],
                                   "oov_ratio": wp["pairs:" + p]["oov_ratio"]},
                      "gensim": gs_pairs[p]} for p in args.pairs},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


# --------------------------------------------------------------------------- report
def cmd_report(args):
    latencies = [json.load(open(p)) for p in args.latency]
    evaluation = json.load(open(args.evaluation)) if args.evaluation else None
    ok = True
    names = {"wordpipe": "wordpipe nearest (stdin pipe)", "gensim-pipe": "gensim most_similar (same pipe harness)",
             "gensim": "gensim most_similar (in-process)", "cat": "pipe round trip alone (`cat`)"}
    print(f"### Run of {datetime.date.today().isoformat()}")
    print()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"Machine: {os.cpu_count()} cores ({cpu}), shared/noisy. gensim {args.gensim_version}, numpy {args.numpy_version} "
          f"(its own OpenBLAS {args.numpy_blas}), wordpipe with Debian's OpenBLAS {args.debian_blas} (pthreads); every process of a "
          f"run (harness, wordpipe, gensim server) gets the same OPENBLAS_NUM_THREADS. "
          f"Top-{latencies[0]['k'] if latencies else 10} neighbours of one random vocabulary word per query; "
          f"load time excluded (warm-up queries first).")
    print()
    kernels = sorted({lat.get("peer_blas", "?") for lat in latencies})
    print(f"Peers at full speed: the harness (gensim in-process and its server) ran with OPENBLAS_CORETYPE and "
          f"OPENBLAS_L2_SIZE unset; gensim's BLAS (threadpoolctl): {' / '.join(kernels) or args.peer_blas}. "
          f"wordpipe kept the script's environment (OPENBLAS_CORETYPE={args.coretype}).")
    print()
    print(f"Command: `{args.command}`")
    print()
    def tag(lat):
        t = lat.get("blas_threads", "default")
        return f"{lat['label']}, {t} BLAS thread{'' if t == '1' else 's'}"

    for lat in latencies:
        print(f"- {tag(lat)}: {lat['rows']:,} × {lat['dim']} (`{os.path.basename(lat['vectors'])}`); "
              f"{lat['reps']:,} single queries in {lat['rounds']} rounds (systems take turns), "
              f"batch of {lat['batch']:,} queries × {lat['batch_reps']} (median).")
    print()
    print("| Vectors | System | p50 ms | p99 ms | Batch ms/query |")
    print("|---|---|---:|---:|---:|")
    for lat in latencies:
        for n in ["wordpipe", "gensim-pipe", "gensim", "cat"]:
            s = lat["single"][n]
            print(f"| {tag(lat)} | {names[n]} | {s['p50'] * 1e3:.3f} | {s['p99'] * 1e3:.3f} | {lat['batch_per_query'][n] * 1e3:.3f} |")
    print()
    print("| Vectors | Ratio | p50 | p99 | Batch |")
    print("|---|---|---:|---:|---:|")
    for lat in latencies:
        s, b = lat["single"], lat["batch_per_query"]
        for other, label in [("gensim-pipe", "wordpipe / gensim, same pipe harness (like for like)"),
                             ("gensim", "wordpipe (with pipe) / gensim in-process")]:
            print(f"| {tag(lat)} | {label} | {s['wordpipe']['p50'] / s[other]['p50']:.2f} | "
                  f"{s['wordpipe']['p99'] / s[other]['p99']:.2f} | {b['wordpipe'] / b[other]:.2f} |")
    print()
    for lat in latencies:
        print(f"{tag(lat)}: wordpipe's top-{lat['k']} list equals gensim's for {lat['top_identical'] * 100:.1f}% of the "
              f"queries (mean overlap {lat['top_overlap'] * 100:.1f}%); load + first answer: wordpipe "
              f"{lat['load']['wordpipe']:.2f} s, gensim {lat['gensim_load']:.2f} s.")
    print()
    if evaluation:
        e = evaluation
        wa, ga = e["analogy"]["wordpipe"], e["analogy"]["gensim"]
        print(f"Evaluation agreement on `{os.path.basename(e['vectors'])}` (restrict {e['restrict']:,}; "
              f"`wordpipe evaluate --json` {e['wordpipe_seconds']:.1f} s, gensim {e['gensim_seconds']:.1f} s):")
        print()
        print("| Check | wordpipe | gensim | Difference | Required | OK |")
        print("|---|---:|---:|---:|---|---|")
        rows = []
        wq, gq = wa["correct"] + wa["incorrect"], ga["correct"] + ga["incorrect"]
        rows.append((f"{os.path.basename(e['analogies'])}: questions evaluated", f"{wq:,}", f"{gq:,}", f"{wq - gq:+,}", "equal", wq == gq))
        rows.append(("… skipped (OOV)", f"{wa['skipped']:,}", f"{ga['skipped']:,}", f"{wa['skipped'] - ga['skipped']:+,}", "equal",
                     wa["skipped"] == ga["skipped"]))
        for key, label in [("accuracy", "… accuracy %"), ("semantic", "… semantic %"), ("syntactic", "… syntactic %")]:
            d = (wa[key] - ga[key]) * 100
            rows.append((label, f"{wa[key] * 100:.2f}", f"{ga[key] * 100:.2f}", f"{d:+.2f}", "≤ 0.1 point" if key == "accuracy" else "—",
                         abs(d) <= 0.1 if key == "accuracy" else None))
        for path, p in e["pairs"].items():
            w, g = p["wordpipe"], p["gensim"]
            d = w["spearman"] - g["spearman"]
            rows.append((f"{os.path.basename(path)}: Spearman", f"{w['spearman']:.4f}", f"{g['spearman']:.4f}", f"{d:+.4f}", "≤ 0.005",
                         abs(d) <= 0.005))
            d = w["pearson"] - g["pearson"]
            rows.append(("… Pearson", f"{w['pearson']:.4f}", f"{g['pearson']:.4f}", f"{d:+.4f}", "—", None))
            d = (w["oov_ratio"] - g["oov_ratio"]) * 100
            rows.append(("… OOV %", f"{w['oov_ratio'] * 100:.2f}", f"{g['oov_ratio'] * 100:.2f}", f"{d:+.2f}", "equal", abs(d) < 1e-9))
        for label, a, b, d, req, good in rows:
            mark = "" if good is None else ("yes" if good else "**NO**")
            if good is False:
                ok = False
            print(f"| {label} | {a} | {b} | {d} | {req} | {mark} |")
        print()
    if not ok:
        print("AGREEMENT CHECK FAILED (see the rows marked NO).")
    sys.exit(0 if ok else 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("random")
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(run=cmd_random)
    p = sub.add_parser("serve")
    p.add_argument("vectors")
    p.add_argument("-k", type=int, default=10)
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("latency")
    p.add_argument("--label", required=True)
    p.add_argument("--vectors", required=True)
    p.add_argument("--wordpipe", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--reps", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--batch-reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--wordpipe-arg", action="append", default=[], help="extra argument for wordpipe nearest (repeatable)")
    p.set_defaults(run=cmd_latency)
    p = sub.add_parser("evaluate")
    p.add_argument("--vectors", required=True)
    p.add_argument("--wordpipe", required=True)
    p.add_argument("--analogies", required=True)
    p.add_argument("--pairs", action="append", default=[])
    p.add_argument("--restrict", type=int, default=30_000)
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_evaluate)
    p = sub.add_parser("report")
    p.add_argument("latency", nargs="*")
    p.add_argument("--evaluation")
    p.add_argument("--command", default="Benchmarks/vectors/run.sh")
    p.add_argument("--gensim-version", default="?")
    p.add_argument("--numpy-version", default="?")
    p.add_argument("--numpy-blas", default="?")
    p.add_argument("--debian-blas", default="?")
    p.add_argument("--peer-blas", default="?")
    p.add_argument("--coretype", default="?")
    p.set_defaults(run=cmd_report)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
