#!/usr/bin/env bash
# Input feeding on and off: `wordpipe train-seq2seq` on the first SLICE Multi30k de->en pairs
# (lower-cased tokenized release), luong-general GRU, 1 thread, dev BLEU on the whole val set
# each epoch. Runs alternate (off, on, on, off, ...) because the machine is shared; each run's
# per-epoch lines (dev_bleu, tokens/s) are in OUTDIR/ROUND-VARIANT.log and the load average
# every 30 s in OUTDIR/load.log.
#
# Usage: Benchmarks/seq2seq/input_feeding.sh
# Environment (all optional):
#   SLICE=10000 EPOCHS=4 ROUNDS=1
#   SCRATCH=dir    SwiftPM scratch path of the release build (default: .build-bench-inputfeed)
#   WORDPIPE=path  use this wordpipe binary instead of building one
#   OUTDIR=dir     logs (default: Benchmarks/seq2seq/out-input-feeding)
#   DATA=dir       Multi30k (default: ../shared/data/translation/multi30k beside the repository)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SLICE=${SLICE:-10000}
EPOCHS=${EPOCHS:-4}
ROUNDS=${ROUNDS:-1}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-inputfeed}
WORDPIPE=${WORDPIPE:-}
OUTDIR=${OUTDIR:-$HERE/out-input-feeding}
DATA=${DATA:-$ROOT/../shared/data/translation/multi30k}
TOK=$DATA/tok
[ -f "$TOK/train.lc.norm.tok.de" ] && [ -f "$TOK/val.lc.norm.tok.en" ] || { echo "no Multi30k tokenized release at $TOK; set DATA" >&2; exit 1; }
if [ -z "$WORDPIPE" ]; then
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product wordpipe >&2)
    WORDPIPE=$SCRATCH/release/wordpipe
fi
mkdir -p "$OUTDIR"
head -n "$SLICE" "$TOK/train.lc.norm.tok.de" > "$OUTDIR/train.de"
head -n "$SLICE" "$TOK/train.lc.norm.tok.en" > "$OUTDIR/train.en"
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 30; done ) > "$OUTDIR/load.log" &
LOADPID=$!
trap 'kill $LOADPID' EXIT
for round in $(seq 1 "$ROUNDS"); do
    order="off on"; [ $((round % 2)) = 0 ] && order="on off"
    for variant in $order; do
        extra=(); [ "$variant" = on ] && extra=(--input-feeding)
        "$WORDPIPE" train-seq2seq --source "$OUTDIR/train.de" --target "$OUTDIR/train.en" \
            --dev-source "$TOK/val.lc.norm.tok.de" --dev-target "$TOK/val.lc.norm.tok.en" -o "$OUTDIR/$variant.wpm" \
            --attention luong-general --cell gru --hidden 128 --dim 128 --dropout 0.3 --min-count 2 --batch 64 --clip 1 \
            --epochs "$EPOCHS" --threads 1 --progress never "${extra[@]}" 2> "$OUTDIR/$round-$variant.log"
        echo "round $round, input feeding $variant:"
        grep -o 'epoch [0-9]*/[0-9]* loss [0-9.]* dev_bleu [0-9.]* train_s [0-9.]* tokens/s [0-9]*' "$OUTDIR/$round-$variant.log"
    done
done
