#!/usr/bin/env bash
# Where the batched kernel's analogy gain over the per-pair reference comes from.
#
# The batched skip-gram kernel (the default) differs from word2vec.c's per-pair loop in two
# ways: (1) one set of negatives is drawn per window and shared by every context word, and
# (2) the window's updates are computed from the same weights and applied together (the
# matrix-product form). ablation.patch adds two kernels that each keep one of the two, selected
# by the WP_ABLATION environment variable of a patched build (never of the shipped binary):
#   fresh-jacobi       (2) without (1): fresh negatives per context, updates applied together
#   shared-sequential  (1) without (2): shared negatives, updates pair by pair as word2vec.c
# This script builds the patched binary from HEAD in a temporary worktree, trains each kernel
# at one thread (bit-deterministic, so machine load changes only the wall times) over the seeds,
# scores analogies (30,000 most frequent words) and WordSim-353 with `wordpipe evaluate`, and
# prints the means and each kernel's gap to the per-pair reference, seed by seed.
#
# Usage: Benchmarks/train/ablation.sh
# Environment (all optional):
#   SEEDS="1 2 3"
#   KERNELS="batched no-batched fresh-jacobi shared-sequential"
#   ALPHA=0.025      starting learning rate (the table's setting is word2vec's 0.025)
#   REUSE=file.tsv   results.tsv of Benchmarks/train/seeds.sh: its batched / no-batched rows are
#                    taken instead of training those kernels again (same code, same seeds)
#   INPUT=file.gz    corpus (default: ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz)
#   OUTDIR=dir       build, vectors, logs, report (default: Benchmarks/train/out-ablation)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEEDS=${SEEDS:-1 2 3}
KERNELS=${KERNELS:-batched no-batched fresh-jacobi shared-sequential}
ALPHA=${ALPHA:-0.025}
INPUT=${INPUT:-$ROOT/../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz}
OUTDIR=${OUTDIR:-$HERE/out-ablation}
QUESTIONS=$ROOT/../shared/data/eval/questions-words.txt
PAIRS=$ROOT/../shared/data/eval/wordsim353.tsv
if [[ -n ${REUSE:-} && $ALPHA != 0.025 ]]; then echo "ablation.sh: REUSE holds alpha 0.025 runs; unset it with ALPHA=$ALPHA" >&2; exit 64; fi
for f in "$INPUT" "$QUESTIONS" "$PAIRS"; do [[ -s $f ]] || { echo "ablation.sh: missing $f" >&2; exit 1; }; done
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

# The patched binary, built from HEAD (not the working tree) in a worktree removed afterwards.
SRC=$OUTDIR/src
git -C "$ROOT" worktree remove --force "$SRC" 2>/dev/null || rm -rf "$SRC"
git -C "$ROOT" worktree add --detach "$SRC" HEAD >&2
trap 'git -C "$ROOT" worktree remove --force "$SRC" 2>/dev/null || true' EXIT
git -C "$SRC" apply "$HERE/ablation.patch"
(cd "$SRC" && swift build -c release --product wordpipe --scratch-path "$OUTDIR/build" >&2)
WP=$OUTDIR/wordpipe
cp "$OUTDIR/build/release/wordpipe" "$WP"

PLAIN=$OUTDIR/$(basename "${INPUT%.gz}")
[[ -s $PLAIN ]] || { gzip -dc "$INPUT" > "$PLAIN.tmp" && mv "$PLAIN.tmp" "$PLAIN"; }
RESULTS=$OUTDIR/results.tsv
printf 'kernel\tseed\talpha\ttrain_s\tanalogy\tws353\n' > "$RESULTS"
if [[ -n ${REUSE:-} ]]; then
  awk -F'\t' -v alpha="$ALPHA" 'NR > 1 { print $1 "\t" $2 "\t" alpha "\t" $3 "\t" $4 "\t" $5 }' "$REUSE" >> "$RESULTS"
fi
for seed in $SEEDS; do
  for kernel in $KERNELS; do
    if awk -F'\t' -v k="$kernel" -v s="$seed" '$1 == k && $2 == s { found = 1 } END { exit !found }' "$RESULTS"; then continue; fi
    flag=(); ablation=0
    case $kernel in
      batched) ;;
      no-batched) flag=(--no-batched) ;;
      fresh-jacobi) ablation=1 ;;
      shared-sequential) ablation=2 ;;
      *) echo "ablation.sh: unknown kernel $kernel" >&2; exit 64 ;;
    esac
    out=$OUTDIR/$kernel.seed$seed.alpha$ALPHA.wpv
    start=$(date +%s.%N)
    WP_ABLATION=$ablation "$WP" train "$PLAIN" -o "$out" --threads 1 --epochs 5 --dim 100 --window 5 --negative 5 \
      --sample 1e-3 --min-count 5 --alpha "$ALPHA" --seed "$seed" "${flag[@]}" --progress never 2> "${out%.wpv}.log"
    end=$(date +%s.%N)
    "$WP" evaluate --vectors "$out" --analogies "$QUESTIONS" --pairs "$PAIRS" --restrict 30000 --json > "${out%.wpv}.json"
    python3 - "${out%.wpv}.json" "$kernel" "$seed" "$ALPHA" "$start" "$end" >> "$RESULTS" <<'PY'
import json, sys
path, kernel, seed, alpha, start, end = sys.argv[1:]
data = json.load(open(path))
analogy = next(v for k, v in data.items() if k.startswith("analogies:"))["total"]
pairs = next(v for k, v in data.items() if k.startswith("pairs:"))
print(f"{kernel}\t{seed}\t{alpha}\t{float(end) - float(start):.1f}\t{100 * analogy['accuracy']:.2f}\t{pairs['spearman']:.4f}")
PY
    tail -1 "$RESULTS" >&2
    rm -f "$out"
  done
done
python3 - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
kernels = list(dict.fromkeys(r["kernel"] for r in rows))
seeds = sorted({r["seed"] for r in rows}, key=int)
cell = {(r["kernel"], r["seed"]): r for r in rows}
print("| kernel | " + " | ".join(f"seed {s}" for s in seeds) + " | mean analogy % | mean WS353 | gap to no-batched, per seed | mean gap |")
print("|---|" + "---:|" * len(seeds) + "---:|---:|---|---:|")
for k in kernels:
    values = [float(cell[(k, s)]["analogy"]) for s in seeds if (k, s) in cell]
    ws = [float(cell[(k, s)]["ws353"]) for s in seeds if (k, s) in cell]
    gaps = [float(cell[(k, s)]["analogy"]) - float(cell[("no-batched", s)]["analogy"])
            for s in seeds if (k, s) in cell and ("no-batched", s) in cell]
    line = " | ".join(cell[(k, s)]["analogy"] if (k, s) in cell else "" for s in seeds)
    gap_text = ", ".join(f"{g:+.2f}" for g in gaps) if k != "no-batched" else "(reference)"
    mean_gap = f"{statistics.mean(gaps):+.2f}" if gaps and k != "no-batched" else ""
    print(f"| {k} | {line} | {statistics.mean(values):.2f} | {statistics.mean(ws):.4f} | {gap_text} | {mean_gap} |")
PY
