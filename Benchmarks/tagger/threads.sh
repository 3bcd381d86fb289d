#!/usr/bin/env bash
# Batch-parallel training, end to end: the NER tagger of run.sh (CoNLL-2003 train -> valid; word
# embedding from the Wikipedia vectors, dropout 0.5, 1-layer BiLSTM 100 per direction, dropout
# 0.5, softmax; Adam 0.001, batch 32, clip 5, seed 1) trained with `wordpipe train-tagger
# --threads 1` (one thread) and `--threads 2` (two workers over each batch, OpenBLAS at one
# thread), alternated, R times each, in one run of one binary. Reports the median per-epoch
# training seconds (`train_s` of the training log, the batches alone), the ratio, and the best
# dev F1 of each; checks that the repetitions of one thread count give identical logs.
#
# Usage: Benchmarks/tagger/threads.sh     (serialize with: flock /tmp/bench.lock Benchmarks/tagger/threads.sh)
# Environment (all optional):
#   EPOCHS=3             epochs per run (--epochs E --patience E: no early stop)
#   R=3                  repetitions per thread count
#   THREADS="1 2"        thread counts
#   BASELINE=path        also train once at --threads 1 with this binary (e.g. one built before
#                        batch-parallel training) and compare its log and weights with ours
#   WORDPIPE=path        use this binary instead of building one (release, scratch SCRATCH)
#   SCRATCH=dir          SwiftPM scratch path of the release build (default: .build-bench-tagger)
#   VECTORS=path         the vectors (default: corpora/build-wikipedia/vectors/vectors.wpv, made by
#                        `wordpipe run corpora/wikipedia.yaml`)
#   DATA=dir             CoNLL-2003 directory with train.txt and valid.txt
#                        (default: ../shared/data/ner/conll2003 beside the repository)
#   OUTDIR=dir           logs, models and report (default: Benchmarks/tagger/out-threads)
# OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are left as the environment has them; the trainer
# sets OpenBLAS to one thread itself.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EPOCHS=${EPOCHS:-3}
R=${R:-3}
THREADS=${THREADS:-1 2}
BASELINE=${BASELINE:-}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-tagger}
WORDPIPE=${WORDPIPE:-}
VECTORS=${VECTORS:-$ROOT/corpora/build-wikipedia/vectors/vectors.wpv}
DATA=${DATA:-$ROOT/../shared/data/ner/conll2003}
OUTDIR=${OUTDIR:-$HERE/out-threads}

die() { echo "threads.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
# shellcheck source=common.sh
. "$HERE/common.sh"

[ -f "$DATA/train.txt" ] && [ -f "$DATA/valid.txt" ] || die "no train.txt / valid.txt in $DATA"
[ -f "$VECTORS" ] || die "no vectors at $VECTORS (wordpipe run corpora/wikipedia.yaml makes them)"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

wordpipe_binary
COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD)
DIRTY=$(cd "$ROOT" && git status --porcelain --untracked-files=no -- Sources Package.swift | head -1)

START_LOAD=$(uptime)
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); commit $COMMIT${DIRTY:+ (with uncommitted changes)}"
log "start: $START_LOAD"

# train BINARY NAME THREADS
train() {
    local binary=$1 name=$2 threads=$3
    log "$name: --threads $threads, $EPOCHS epochs ($(uptime | sed 's/.*load/load/'))"
    "$binary" train-tagger --train "$DATA/train.txt" --dev "$DATA/valid.txt" --format conll --vectors "$VECTORS" \
        --cell lstm --layers 1 --hidden 100 --bidirectional --no-crf --char-features none --dropout 0.5 \
        --optimizer adam --lr 0.001 --epochs "$EPOCHS" --patience "$EPOCHS" --batch 32 --clip 5 --seed 1 \
        --threads "$threads" -o "$OUTDIR/$name.wpm" 2> "$OUTDIR/$name.log"
    grep -E 'epoch [0-9]+/' "$OUTDIR/$name.log" | sed 's/^/   /' >&2
}

for rep in $(seq 1 "$R"); do
    for threads in $THREADS; do
        train "$WP" "t$threads-r$rep" "$threads"
    done
done
if [ -n "$BASELINE" ]; then
    train "$BASELINE" baseline-t1 1
fi
END_LOAD=$(uptime)
log "end: $END_LOAD"

python3 - "$OUTDIR" "$R" "$THREADS" "$EPOCHS" "$COMMIT${DIRTY:+ (with uncommitted changes)}" "$START_LOAD" "$END_LOAD" \
    "${BASELINE:+baseline-t1}" > "$OUTDIR/report.md" <<'PY'
import datetime, os, re, statistics, sys
outdir, reps, threads, epochs, commit, start_load, end_load, baseline = sys.argv[1:9]
reps, threads = int(reps), threads.split()
line = re.compile(r"^(?:train-tagger: )?epoch (\d+)/\d+ loss (\S+) dev_f1 (\S+) train_s (\S+) tokens/s (\S+)")

def read(name):
    epochs = [m for m in map(line.match, open(os.path.join(outdir, name + ".log"), encoding="utf-8")) if m]
    if not epochs:
        sys.exit(f"no epoch lines in {name}.log")
    return {"train_s": [float(m[4]) for m in epochs], "tokens_s": [float(m[5]) for m in epochs],
            "f1": [float(m[3]) for m in epochs], "numbers": [(m[1], m[2], m[3]) for m in epochs]}

def weights(name):
    data = open(os.path.join(outdir, name + ".wpm"), "rb").read()
    start = len(b"WPMODEL\0") + 12
    length = int.from_bytes(data[len(b"WPMODEL\0") + 4:start], "little")
    return data[start + length:]

runs = {t: [read(f"t{t}-r{r}") for r in range(1, reps + 1)] for t in threads}
median = {t: statistics.median(s for run in runs[t] for s in run["train_s"]) for t in threads}
print(f"Run of {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, commit {commit}; {reps} runs of {epochs} epochs per thread count, alternated.\n")
print(f"Load at the start: `{start_load.strip()}`; at the end: `{end_load.strip()}`.\n")
print("| --threads | Median train s/epoch | Range (all epochs) | Median tokens/s | Speed-up vs --threads %s | Best dev F1 (each run) | Runs identical |" % threads[0])
print("|---:|---:|---|---:|---:|---|---|")
for t in threads:
    all_s = [s for run in runs[t] for s in run["train_s"]]
    tokens = statistics.median(x for run in runs[t] for x in run["tokens_s"])
    f1s = ", ".join(f"{100 * max(run['f1']):.2f}" for run in runs[t])
    same = all(run["numbers"] == runs[t][0]["numbers"] for run in runs[t])
    same_weights = all(weights(f"t{t}-r{r}") == weights(f"t{t}-r1") for r in range(1, reps + 1))
    print(f"| {t} | {median[t]:.2f} | {min(all_s):.2f}–{max(all_s):.2f} | {tokens:,.0f} | {median[threads[0]] / median[t]:.2f}x | {f1s} | "
          f"{'logs and weights' if same and same_weights else ('logs only' if same else 'no')} |")
print()
for t in threads:
    print(f"- --threads {t}, per-run median train s/epoch: " +
          ", ".join(f"{statistics.median(run['train_s']):.2f}" for run in runs[t]))
if baseline:
    base = read(baseline)
    ours = runs[threads[0]][0]
    print(f"- baseline binary at --threads 1 against this one at --threads {threads[0]}: epoch losses and dev F1 "
          f"{'identical' if base['numbers'] == ours['numbers'] else 'DIFFERENT'}, weights "
          f"{'bit-identical' if weights(baseline) == weights(f't{threads[0]}-r1') else 'DIFFERENT'}; "
          f"its median train s/epoch {statistics.median(base['train_s']):.2f}")
PY
cat "$OUTDIR/report.md"
