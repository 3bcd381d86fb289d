#!/usr/bin/env bash
# Seed spread of vector quality: `wordpipe train` with the batched kernel (default) and with
# --no-batched (the per-pair word2vec reference), at one thread, over several seeds, on the
# plain corpus Benchmarks/train/run.sh uses; analogy accuracy (30,000 most frequent words, as
# gensim's default) and WordSim-353 Spearman scored by `wordpipe evaluate`, which agrees with
# gensim's evaluate_word_analogies / evaluate_word_pairs (see BENCHMARKS.md, training).
# Answers: is the batched - no-batched gap larger than the spread seeds alone give?
#
# Usage: Benchmarks/train/seeds.sh
# Environment (all optional):
#   SEEDS="1 2 3"    seeds
#   THREADS=1        training threads
#   WORDPIPE=path    binary (default: build release into .build-bench-seeds)
#   INPUT=file.gz    corpus (default: ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz)
#   OUTDIR=dir       vectors, logs, report (default: Benchmarks/train/out-seeds)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEEDS=${SEEDS:-1 2 3}
THREADS=${THREADS:-1}
INPUT=${INPUT:-$ROOT/../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz}
OUTDIR=${OUTDIR:-$HERE/out-seeds}
QUESTIONS=$ROOT/../shared/data/eval/questions-words.txt
PAIRS=$ROOT/../shared/data/eval/wordsim353.tsv
mkdir -p "$OUTDIR"
if [[ -z "${WORDPIPE:-}" ]]; then
  (cd "$ROOT" && swift build -c release --product wordpipe --scratch-path "$ROOT/.build-bench-seeds" >&2)
  WORDPIPE=$ROOT/.build-bench-seeds/release/wordpipe
fi
cp "$WORDPIPE" "$OUTDIR/wordpipe"
WP=$OUTDIR/wordpipe
PLAIN=$OUTDIR/$(basename "${INPUT%.gz}")
[[ -s $PLAIN ]] || { gzip -dc "$INPUT" > "$PLAIN.tmp" && mv "$PLAIN.tmp" "$PLAIN"; }
RESULTS=$OUTDIR/results.tsv
printf 'kernel\tseed\ttrain_s\tanalogy\tws353\n' > "$RESULTS"
for seed in $SEEDS; do
  for kernel in batched no-batched; do
    flag=(); [[ $kernel == no-batched ]] && flag=(--no-batched)
    out=$OUTDIR/$kernel.seed$seed.wpv
    start=$(date +%s.%N)
    "$WP" train "$PLAIN" -o "$out" --threads "$THREADS" --epochs 5 --dim 100 --window 5 --negative 5 --sample 1e-3 \
      --min-count 5 --seed "$seed" "${flag[@]}" --progress never 2> "$OUTDIR/$kernel.seed$seed.log"
    end=$(date +%s.%N)
    "$WP" evaluate --vectors "$out" --analogies "$QUESTIONS" --pairs "$PAIRS" --restrict 30000 --json > "$OUTDIR/$kernel.seed$seed.json"
    python3 - "$OUTDIR/$kernel.seed$seed.json" "$kernel" "$seed" "$start" "$end" >> "$RESULTS" <<'PY'
import json, sys
path, kernel, seed, start, end = sys.argv[1:]
data = json.load(open(path))
analogy = next(v for k, v in data.items() if k.startswith("analogies:"))["total"]
pairs = next(v for k, v in data.items() if k.startswith("pairs:"))
print(f"{kernel}\t{seed}\t{float(end) - float(start):.1f}\t{100 * analogy['accuracy']:.2f}\t{pairs['spearman']:.4f}")
PY
    tail -1 "$RESULTS" >&2
  done
done
python3 - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {k: [r for r in rows if r["kernel"] == k] for k in ("batched", "no-batched")}
print("| kernel | seed | analogy % | WS353 | wall s |")
print("|---|---|---|---|---|")
for r in rows:
    print(f'| {r["kernel"]} | {r["seed"]} | {r["analogy"]} | {r["ws353"]} | {r["train_s"]} |')
def stats(k, f):
    v = [float(r[f]) for r in by[k]]
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)
print()
for k in by:
    m, s = stats(k, "analogy"); w, ws = stats(k, "ws353")
    print(f"- {k}: analogy mean {m:.2f} (sd {s:.2f}), WS353 mean {w:.4f} (sd {ws:.4f}) over {len(by[k])} seeds")
gaps = [float(a["analogy"]) - float(b["analogy"]) for a, b in zip(by["batched"], by["no-batched"])]
print(f"- batched - no-batched, analogy points per seed: {', '.join(f'{g:+.2f}' for g in gaps)}; mean {statistics.mean(gaps):+.2f}")
PY
