#!/usr/bin/env bash
# Encoder-decoder benchmark, side by side: `wordpipe train-seq2seq` vs the same model in PyTorch
# (seq2seq_torch.py: nn.GRU encoder and decoder, the same bridge, attention, loss, batching and
# optimizer), on Multi30k de->en (lower-cased tokenized release), 2 threads each.
#
# Reports each run's training tokens/s (source tokens over the epoch's training seconds, no
# evaluation) and the greedy dev BLEU after the last epoch, and the median tokens/s ratio
# wordpipe / PyTorch. Runs are interleaved (wordpipe, torch, wordpipe, torch, ...) because the
# machine is shared.
#
# Usage: Benchmarks/seq2seq/run.sh
# Environment (all optional):
#   EPOCHS=1           epochs per run
#   SLICE=5000         the first N training pairs only (0: all 29,000)
#   DEV=1014           the first N dev pairs for BLEU (0: no dev BLEU for torch; wordpipe always scores)
#   ROUNDS=2           interleaved rounds
#   THREADS=2          wordpipe --threads T (batch-parallel workers); torch.set_num_threads(T)
#   HIDDEN=128 DIM=128 ATTENTION=bahdanau BATCH=64 MIN_COUNT=2 DROPOUT=0.3
#   SKIP_TORCH=1       wordpipe only;  SKIP_WORDPIPE=1  PyTorch only
#   TORCH_INIT=pytorch the peer's initialization: pytorch (its modules' defaults) or wordpipe (the
#                      distributions wordpipe draws from: the same model at the start, in law)
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-seq2seq)
#   WORDPIPE=path      use this wordpipe binary instead of building one
#   VENV=dir           Python venv with torch and sacrebleu (default: Benchmarks/.venv, created when missing)
#   OUTDIR=dir         logs and report (default: Benchmarks/seq2seq/out)
#   DATA=dir           Multi30k (default: ../shared/data/translation/multi30k beside the repository)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EPOCHS=${EPOCHS:-1}
SLICE=${SLICE:-5000}
DEV=${DEV:-1014}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
HIDDEN=${HIDDEN:-128}
DIM=${DIM:-128}
ATTENTION=${ATTENTION:-bahdanau}
BATCH=${BATCH:-64}
MIN_COUNT=${MIN_COUNT:-2}
DROPOUT=${DROPOUT:-0.3}
SKIP_TORCH=${SKIP_TORCH:-0}
SKIP_WORDPIPE=${SKIP_WORDPIPE:-0}
TORCH_INIT=${TORCH_INIT:-pytorch}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-seq2seq}
WORDPIPE=${WORDPIPE:-}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
OUTDIR=${OUTDIR:-$HERE/out}
DATA=${DATA:-$ROOT/../shared/data/translation/multi30k}
PYTHON=${PYTHON:-python3}

. "$ROOT/Benchmarks/peer_env.sh"

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

TOK=$DATA/tok
[ -f "$TOK/train.lc.norm.tok.de" ] && [ -f "$TOK/val.lc.norm.tok.en" ] || die "no Multi30k tokenized release at $TOK; set DATA"
mkdir -p "$OUTDIR"

if [ "$SKIP_WORDPIPE" != 1 ] && [ -z "$WORDPIPE" ]; then
    log "building wordpipe (release, $SCRATCH)"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product wordpipe >&2)
    WORDPIPE=$SCRATCH/release/wordpipe
fi
if [ "$SKIP_TORCH" != 1 ] && ! "$VENV/bin/python" -c "import torch, sacrebleu" 2>/dev/null; then
    log "installing torch and sacrebleu into $VENV (benchmark only, never a dependency)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch sacrebleu
fi

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$SKIP_TORCH" = 1 ] || log "peer: torch $("${PEER[@]}" "$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null), BLAS: $(peer_blas "$VENV/bin/python" torch)"

SRC=$TOK/train.lc.norm.tok.de; TGT=$TOK/train.lc.norm.tok.en
if [ "$SLICE" != 0 ]; then
    head -n "$SLICE" "$SRC" > "$OUTDIR/train.de"; head -n "$SLICE" "$TGT" > "$OUTDIR/train.en"
    SRC=$OUTDIR/train.de; TGT=$OUTDIR/train.en
fi
DEVN=$DEV; [ "$DEVN" = 0 ] && DEVN=1014
head -n "$DEVN" "$TOK/val.lc.norm.tok.de" > "$OUTDIR/dev.de"; head -n "$DEVN" "$TOK/val.lc.norm.tok.en" > "$OUTDIR/dev.en"
COMMON=(--hidden "$HIDDEN" --dim "$DIM" --attention "$ATTENTION" --batch "$BATCH" --min-count "$MIN_COUNT" --dropout "$DROPOUT"
        --epochs "$EPOCHS" --clip 1 --lr 0.001)

REPORT=$OUTDIR/report.txt
: > "$REPORT"
for round in $(seq 1 "$ROUNDS"); do
    if [ "$SKIP_WORDPIPE" != 1 ]; then
        log "round $round: wordpipe"
        "$WORDPIPE" train-seq2seq --source "$SRC" --target "$TGT" --dev-source "$OUTDIR/dev.de" --dev-target "$OUTDIR/dev.en" \
            -o "$OUTDIR/wordpipe.wpm" "${COMMON[@]}" --cell gru --optimizer adam --threads "$THREADS" --progress never \
            2> "$OUTDIR/wordpipe.$round.log"
        line=$(grep "epoch $EPOCHS/$EPOCHS" "$OUTDIR/wordpipe.$round.log")
        echo "wordpipe round $round: tokens/s $(echo "$line" | sed -E 's/.*tokens\/s ([0-9]+).*/\1/') dev_bleu $(echo "$line" | sed -E 's/.*dev_bleu ([0-9.]+).*/\1/')" | tee -a "$REPORT"
    fi
    if [ "$SKIP_TORCH" != 1 ]; then
        log "round $round: torch"
        DEV_FLAG=(); [ "$DEV" = 0 ] && DEV_FLAG=(--no-dev)
        peer "$VENV/bin/python" "$HERE/seq2seq_torch.py" --source "$SRC" --target "$TGT" --dev-source "$OUTDIR/dev.de" \
            --dev-target "$OUTDIR/dev.en" "${COMMON[@]}" --threads "$THREADS" --init "$TORCH_INIT" "${DEV_FLAG[@]}" > "$OUTDIR/torch.$round.log"
        line=$(grep "^epoch $EPOCHS " "$OUTDIR/torch.$round.log")
        echo "torch round $round: tokens/s $(echo "$line" | sed -E 's/.*tokens\/s ([0-9]+).*/\1/') dev_bleu $(echo "$line" | sed -E 's/.*dev_bleu ([0-9.na]+).*/\1/')" | tee -a "$REPORT"
    fi
done
if [ "$SKIP_WORDPIPE" != 1 ] && [ "$SKIP_TORCH" != 1 ]; then
    python3 - "$REPORT" <<'PY' | tee -a "$REPORT"
import re, statistics, sys
rows = open(sys.argv[1]).read().splitlines()
ours = [float(re.search(r"tokens/s (\d+)", r).group(1)) for r in rows if r.startswith("wordpipe")]
theirs = [float(re.search(r"tokens/s (\d+)", r).group(1)) for r in rows if r.startswith("torch")]
print(f"median tokens/s: wordpipe {statistics.median(ours):.0f}, torch {statistics.median(theirs):.0f}, "
      f"ratio {statistics.median(ours) / statistics.median(theirs):.2f}")
PY
fi
