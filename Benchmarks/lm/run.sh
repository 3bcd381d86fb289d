#!/usr/bin/env bash
# Language-model benchmark, side by side: `wordpipe train-lm` vs the same model in PyTorch
# (lm_torch.py: torch.nn.LSTM + nn.Linear), on PTB (train -> valid), Zaremba et al.'s small
# configuration: 2 x 200 LSTM, dim 200, bptt 20, 20 streams, SGD lr 1 (kept EPOCHS <= 4, then
# halved each epoch), clip 5, no dropout, every weight uniform in +-0.1, untied. Same tokens
# (<eos> per line), same streams and segments, same loss (NLL summed over time, averaged over
# streams), same valid evaluation (batch 1, state carried through the file).
#
# Reports each run's training tokens/s (the training loop of the epoch alone, no evaluation) and
# the valid perplexity after the last epoch, and the median tokens/s ratio wordpipe / PyTorch.
# Runs are interleaved (wordpipe, torch, wordpipe, torch, ...) because the machine is shared.
#
# Usage: Benchmarks/lm/run.sh
# Environment (all optional):
#   EPOCHS=1           epochs per run
#   SLICE=N            the first N lines of ptb.train.txt only (a fraction of an epoch; default: all)
#   ROUNDS=1           interleaved rounds
#   THREADS=2          wordpipe --threads T (batch-parallel workers, OpenBLAS at 1 thread);
#                      torch.set_num_threads(T)
#   SKIP_TORCH=1       wordpipe only;  SKIP_WORDPIPE=1  PyTorch only
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-lm)
#   WORDPIPE=path      use this wordpipe binary instead of building one
#   VENV=dir           Python venv with torch (default: Benchmarks/.venv, created when missing)
#   OUTDIR=dir         logs and report (default: Benchmarks/lm/out)
#   DATA=dir           PTB directory with ptb.train.txt and ptb.valid.txt
#                      (default: ../shared/data/lm/ptb beside the repository)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EPOCHS=${EPOCHS:-1}
SLICE=${SLICE:-}
ROUNDS=${ROUNDS:-1}
THREADS=${THREADS:-2}
SKIP_TORCH=${SKIP_TORCH:-0}
SKIP_WORDPIPE=${SKIP_WORDPIPE:-0}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-lm}
WORDPIPE=${WORDPIPE:-}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
OUTDIR=${OUTDIR:-$HERE/out}
DATA=${DATA:-$ROOT/../shared/data/lm/ptb}
PYTHON=${PYTHON:-python3}

# The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (peer, peer_blas); wordpipe keeps
# the environment it is given.
. "$ROOT/Benchmarks/peer_env.sh"

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ -f "$DATA/ptb.train.txt" ] && [ -f "$DATA/ptb.valid.txt" ] || die "no PTB at $DATA (ptb.train.txt, ptb.valid.txt); set DATA"
mkdir -p "$OUTDIR"

if [ "$SKIP_WORDPIPE" != 1 ] && [ -z "$WORDPIPE" ]; then
    log "building wordpipe (release, $SCRATCH)"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product wordpipe >&2)
    WORDPIPE=$SCRATCH/release/wordpipe
fi
if [ "$SKIP_WORDPIPE" != 1 ]; then
    mkdir -p "$OUTDIR/bin"
    cp "$WORDPIPE" "$OUTDIR/bin/wordpipe"
    WORDPIPE=$OUTDIR/bin/wordpipe
fi
if [ "$SKIP_TORCH" != 1 ] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    log "creating $VENV with torch (benchmark only, never a dependency)"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch
fi

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} for wordpipe"
[ "$SKIP_TORCH" = 1 ] || log "peer: torch $("${PEER[@]}" "$VENV/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null), BLAS: $(peer_blas "$VENV/bin/python" torch)"

TRAIN=$DATA/ptb.train.txt
if [ -n "$SLICE" ]; then
    head -n "$SLICE" "$DATA/ptb.train.txt" > "$OUTDIR/train.slice.txt"
    TRAIN=$OUTDIR/train.slice.txt
fi
VALID=$DATA/ptb.valid.txt

for round in $(seq 1 "$ROUNDS"); do
    if [ "$SKIP_WORDPIPE" != 1 ]; then
        log "round $round: wordpipe train-lm"
        "$WORDPIPE" train-lm --train "$TRAIN" --dev "$VALID" -o "$OUTDIR/ptb-small.wpm" --epochs "$EPOCHS" \
            --threads "$THREADS" --progress never 2> "$OUTDIR/wordpipe.$round.log" >&2 || die "wordpipe failed: $OUTDIR/wordpipe.$round.log"
        grep "epoch " "$OUTDIR/wordpipe.$round.log" >&2
    fi
    if [ "$SKIP_TORCH" != 1 ]; then
        log "round $round: PyTorch"
        OMP_NUM_THREADS=$THREADS peer "$VENV/bin/python" "$HERE/lm_torch.py" --train "$TRAIN" --valid "$VALID" --epochs "$EPOCHS" \
            --threads "$THREADS" > "$OUTDIR/torch.$round.log" || die "PyTorch failed: $OUTDIR/torch.$round.log"
        cat "$OUTDIR/torch.$round.log" >&2
    fi
done

"$PYTHON" - "$OUTDIR" "$ROUNDS" "$EPOCHS" "${SLICE:-all}" "$THREADS" <<'EOF' | tee "$OUTDIR/report.md"
import re, statistics, sys
out, rounds, epochs, lines, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ours, theirs = [], []
for r in range(1, rounds + 1):
    try:
        last = [l for l in open(f"{out}/wordpipe.{r}.log") if "train-lm: epoch " in l][-1]
        ours.append((float(re.search(r"tokens/s (\d+)", last).group(1)), float(re.search(r"dev_perplexity ([0-9.]+)", last).group(1))))
    except (OSError, IndexError):
        pass
    try:
        last = [l for l in open(f"{out}/torch.{r}.log") if l.startswith("epoch ")][-1]
        theirs.append((float(re.search(r"tokens_per_s (\d+)", last).group(1)), float(re.search(r"valid_ppl ([0-9.]+)", last).group(1))))
    except (OSError, IndexError):
        pass
print(f"PTB small (2x200 LSTM, bptt 20, batch 20), {epochs} epoch(s), train lines: {lines}, {threads} threads")
print()
print("| run | wordpipe tokens/s | PyTorch tokens/s | wordpipe valid ppl | PyTorch valid ppl |")
print("|---|---|---|---|---|")
for r in range(max(len(ours), len(theirs))):
    o = ours[r] if r < len(ours) else (float("nan"),) * 2
    t = theirs[r] if r < len(theirs) else (float("nan"),) * 2
    print(f"| {r + 1} | {o[0]:.0f} | {t[0]:.0f} | {o[1]:.2f} | {t[1]:.2f} |")
if ours and theirs:
    mo, mt = statistics.median(x[0] for x in ours), statistics.median(x[0] for x in theirs)
    print()
    print(f"median tokens/s: wordpipe {mo:.0f}, PyTorch {mt:.0f}; ratio {mo / mt:.2f}x")
EOF
