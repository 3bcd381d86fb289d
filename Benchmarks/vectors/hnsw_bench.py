#!/usr/bin/env python3
"""Approximate nearest words: `wordpipe index` + `wordpipe nearest --index` against hnswlib, same M,
ef_construction and ef, on the same unit-normalized vectors (issue 17).

  hnsw_bench.py report JSON...      the Markdown tables
  hnsw_bench.py --vectors F --wordpipe BIN --out JSON [--m 16] [--ef-construction 200]
                [--ef 10 20 40 80 160] [--queries 1000] [--threads 1 2] [-k 10]

For each thread count T: build time of both (wordpipe: the `index` command's wall time, load of the
vectors included, and its own build time; hnswlib: add_items(num_threads=T) alone), index size (the
.wph file; hnswlib's save_index file, which also holds the vectors: both are given, with the graph
part of hnswlib's). Then for each ef: recall@k against the exact answers (numpy, float32: all rows
but the query word), and p50/p99 latency of one query: wordpipe through its stdin pipe (the harness
of nearest_bench.py, timed until the answer line is back; the pipe round trip alone, `cat`, is given
too), hnswlib in-process (knn_query of one vector, k+1 asked and the query word dropped, as wordpipe
drops it). Both run with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as the caller set them for each (run.sh:
the harness runs as a peer, wordpipe gets the script's environment back).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nearest_bench import PipeSystem, blas_kernel, load_gensim, log, parse_answer, percentile, wordpipe_env  # noqa: E402


def report(paths):
    """The Markdown tables of one or more result files."""
    for path in paths:
        r = json.load(open(path))
        print(f"{r['label']}: {r['rows']:,} × {r['dim']} (`{os.path.basename(r['vectors'])}`), M {r['m']}, "
              f"ef_construction {r['ef_construction']}, {r['queries']:,} queries, top-{r['k']} (the query word excluded); "
              f"hnswlib {r['hnswlib_version']} (space 'ip' on the unit rows), its BLAS: {r['peer_blas']}.")
        print()
        print("| Threads | wordpipe index: build s (wall with load) | hnswlib add_items s | build ratio | wordpipe .wph MB | hnswlib file MB (of which vectors) |")
        print("|---:|---:|---:|---:|---:|---:|")
        for b in r["builds"]:
            print(f"| {b['threads']} | {b['wordpipe_build']:.1f} ({b['wordpipe_wall']:.1f}) | {b['hnswlib_build']:.1f} | "
                  f"{b['wordpipe_build'] / b['hnswlib_build']:.2f} | {b['wordpipe_bytes'] / 1e6:.1f} | "
                  f"{b['hnswlib_bytes'] / 1e6:.1f} ({b['hnswlib_vector_bytes'] / 1e6:.1f}) |")
        print()
        print("| ef | wordpipe recall@10 | hnswlib recall@10 | wordpipe p50 ms (pipe) | wordpipe p99 ms | hnswlib p50 ms (in-process) | hnswlib p99 ms | pipe alone p50 ms | p50 ratio |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for e in r["search"]:
            w, h = e["wordpipe"], e["hnswlib"]
            print(f"| {e['ef']} | {w['recall']:.3f} | {h['recall']:.3f} | {w['p50'] * 1e3:.3f} | {w['p99'] * 1e3:.3f} | "
                  f"{h['p50'] * 1e3:.3f} | {h['p99'] * 1e3:.3f} | {e['cat']['p50'] * 1e3:.3f} | {w['p50'] / h['p50']:.2f} |")
        print()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        report(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--wordpipe", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--label", default="")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    import hnswlib
    import numpy as np

    kv = load_gensim(args.vectors)
    words = kv.index_to_key
    matrix = kv.vectors.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.where(norms > 0, matrix / np.where(norms > 0, norms, 1), 0).astype(np.float32)
    rows, dim = unit.shape
    rng = np.random.default_rng(args.seed)
    candidates = [i for i in rng.choice(rows, size=min(rows, 3 * args.queries), replace=False)
                  if " " not in words[i] and "\ufffd" not in words[i] and not words[i].startswith("-")]
    queries = candidates[: args.queries]
    log(f"{args.label}: exact top-{args.k} of {len(queries)} queries over {rows} x {dim} (numpy)")
    truth = {}
    for start in range(0, len(queries), 256):
        block = queries[start:start + 256]
        scores = unit[block] @ unit.T
        for row, q in enumerate(block):
            scores[row, q] = -np.inf
            top = np.argpartition(-scores[row], args.k)[: args.k]
            truth[q] = set(int(i) for i in top)

    workdir = args.workdir or tempfile.mkdtemp(prefix="hnsw-bench-")
    os.makedirs(workdir, exist_ok=True)
    result = {"label": args.label, "vectors": args.vectors, "rows": rows, "dim": dim, "m": args.m,
              "ef_construction": args.ef_construction, "k": args.k, "queries": len(queries), "builds": [], "search": [],
              "peer_blas": blas_kernel(), "hnswlib_version": getattr(hnswlib, "__version__", "0.8.0")}
    index_path = os.path.join(workdir, f"wordpipe-m{args.m}-efc{args.ef_construction}.wph")
    hnsw_path = os.path.join(workdir, f"hnswlib-m{args.m}-efc{args.ef_construction}.bin")
    hnsw = None
    for threads in args.threads:
        # Alternate who goes first, so that machine noise spreads evenly.
        order = ["wordpipe", "hnswlib"] if threads % 2 else ["hnswlib", "wordpipe"]
        build = {"threads": threads}
        for name in order:
            if name == "wordpipe":
                start = time.perf_counter()
                done = subprocess.run([args.wordpipe, "index", args.vectors, "-o", index_path, "--m", str(args.m),
                                       "--ef-construction", str(args.ef_construction), "--threads", str(threads)],
                                      capture_output=True, env=wordpipe_env())
                build["wordpipe_wall"] = time.perf_counter() - start
                if done.returncode != 0:
                    raise SystemExit(f"wordpipe index failed: {done.stderr.decode()}")
                line = done.stderr.decode().strip().splitlines()[-1]
                build["wordpipe_line"] = line
                build["wordpipe_build"] = float(line.split(" MB in ")[1].split(" s")[0])
                build["wordpipe_bytes"] = os.path.getsize(index_path)
            else:
                index = hnswlib.Index(space="ip", dim=dim)
                index.init_index(max_elements=rows, ef_construction=args.ef_construction, M=args.m, random_seed=100)
                start = time.perf_counter()
                index.add_items(unit, np.arange(rows), num_threads=threads)
                build["hnswlib_build"] = time.perf_counter() - start
                index.save_index(hnsw_path)
                build["hnswlib_bytes"] = os.path.getsize(hnsw_path)
                build["hnswlib_vector_bytes"] = rows * dim * 4
                hnsw = index
            log(f"{args.label}: built {name} with {threads} thread(s): {build}")
        result["builds"].append(build)
    hnsw.set_num_threads(1)

    wordpipe = PipeSystem("wordpipe", [args.wordpipe, "nearest", "--vectors", args.vectors, "--index", index_path,
                                       "-k", str(args.k), "--ef", str(args.ef[0])], env=wordpipe_env())
    cat = PipeSystem("cat", ["cat"])
    wordpipe.ask(words[queries[0]])
    wordpipe.close()
    for ef in args.ef:
        wordpipe = PipeSystem("wordpipe", [args.wordpipe, "nearest", "--vectors", args.vectors, "--index", index_path,
                                           "-k", str(args.k), "--ef", str(ef)], env=wordpipe_env())
        for q in queries[:20]:
            wordpipe.ask(words[q])
        hnsw.set_ef(max(ef, args.k + 1))
        times = {"wordpipe": [], "hnswlib": [], "cat": []}
        hits = {"wordpipe": 0, "hnswlib": 0}
        index_of = kv.key_to_index
        for round_index in range(2):
            part = queries[round_index::2]
            for name in (["wordpipe", "hnswlib", "cat"] if round_index == 0 else ["hnswlib", "wordpipe", "cat"]):
                for q in part:
                    if name == "hnswlib":
                        vector = unit[q:q + 1]
                        start = time.perf_counter_ns()
                        labels, _ = hnsw.knn_query(vector, k=args.k + 1)
                        found = [int(i) for i in labels[0] if i != q][: args.k]
                        times[name].append((time.perf_counter_ns() - start) / 1e9)
                        hits[name] += len(truth[q] & set(found))
                    elif name == "wordpipe":
                        seconds, line = wordpipe.ask(words[q])
                        times[name].append(seconds)
                        found = [index_of.get(w, -1) for w in parse_answer(line)]
                        hits[name] += len(truth[q] & set(found))
                    else:
                        seconds, _ = cat.ask(words[q])
                        times[name].append(seconds)
        wordpipe.close()
        entry = {"ef": ef}
        for name in ["wordpipe", "hnswlib"]:
            entry[name] = {"recall": hits[name] / (args.k * len(queries)), "p50": percentile(times[name], 50),
                           "p99": percentile(times[name], 99)}
        entry["cat"] = {"p50": percentile(times["cat"], 50), "p99": percentile(times["cat"], 99)}
        log(f"{args.label}: ef {ef}: " + ", ".join(f"{n} recall {entry[n]['recall']:.3f} p50 {entry[n]['p50'] * 1e3:.3f} ms"
                                                     for n in ["wordpipe", "hnswlib"]) + f", cat p50 {entry['cat']['p50'] * 1e3:.3f} ms")
        result["search"].append(entry)
    cat.close()
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
