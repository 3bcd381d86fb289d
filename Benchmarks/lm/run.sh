#!/usr/bin/env bash
# Language-model benchmark, side by side: `wordpipe train-lm` vs the same model in PyTorch
# (lm_torch.py: torch.nn.LSTM + nn.Linear), with the same tokens, streams and segments, the same
# loss (NLL summed over time, averaged over streams) and the same valid evaluation (batch 1,
# state carried through the file). CONFIG picks the model and data:
#   small   PTB (train -> valid), Zaremba et al.'s small configuration: 2 x 200 LSTM, dim 200,
#           bptt 20, 20 streams, SGD lr 1 (kept 4 epochs, then halved each epoch), clip 5, no
#           dropout, every weight uniform in +-0.1, untied.
#   medium  PTB, Zaremba's medium configuration: 2 x 650 LSTM, dim 650, bptt 35, 20 streams,
#           dropout 0.5, SGD lr 1 (kept 6 epochs, then divided by 1.2 each epoch), clip 5,
#           weights uniform in +-0.05.
#   char    Tiny Shakespeare (first 90% of the characters train, last 10% valid), a 2 x 256 LSTM
#           over characters, dim 64, bptt 64, 32 streams, Adam lr 0.002, clip 5, weights in
#           +-0.1; each run trains for BUDGET seconds (evaluations not counted) and reports the
#           valid loss in nats per character then.
#
# Reports each run's training tokens/s (the training loops alone, no evaluation) and the valid
# perplexity (nats per character) after the last epoch, and the median tokens/s ratio wordpipe /
# PyTorch. Runs are interleaved (wordpipe, torch, wordpipe, torch, ...) because the machine is
# shared.
#
# Usage: Benchmarks/lm/run.sh
# Environment (all optional):
#   CONFIG=small       small, medium or char (above)
#   EPOCHS=1           epochs per run (char: as many as BUDGET allows)
#   BUDGET=300         char: seconds of training per run
#   SLICE=N            the first N lines of ptb.train.txt only (a fraction of an epoch; default: all)
#   ROUNDS=1           interleaved rounds
#   FIRST_ROUND=1      number of the first round (its logs are wordpipe.N.log, torch.N.log)
#   SEED=1             seed of both tools' runs; SEED=round seeds each round with its number, so
#                      the rounds show how much the valid figures move with the initialization
#   THREADS=2          wordpipe --threads T (batch-parallel workers, OpenBLAS at 1 thread);
#                      torch.set_num_threads(T)
#   SKIP_TORCH=1       wordpipe only;  SKIP_WORDPIPE=1  PyTorch only
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-lm)
#   WORDPIPE=path      use this wordpipe binary instead of building one
#   VENV=dir           Python venv with torch (default: Benchmarks/.venv, created when missing)
#   OUTDIR=dir         logs and report (default: Benchmarks/lm/out)
#   DATA=dir           PTB directory with ptb.train.txt and ptb.valid.txt
#                      (default: ../shared/data/lm/ptb beside the repository)
#   SHAKESPEARE=file   char: Tiny Shakespeare's input.txt
#                      (default: ../shared/data/lm/tinyshakespeare/input.txt beside the repository)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CONFIG=${CONFIG:-small}
EPOCHS=${EPOCHS:-1}
BUDGET=${BUDGET:-300}
SLICE=${SLICE:-}
ROUNDS=${ROUNDS:-1}
FIRST_ROUND=${FIRST_ROUND:-1}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
SKIP_TORCH=${SKIP_TORCH:-0}
SKIP_WORDPIPE=${SKIP_WORDPIPE:-0}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-lm}
WORDPIPE=${WORDPIPE:-}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
OUTDIR=${OUTDIR:-$HERE/out}
DATA=${DATA:-$ROOT/../shared/data/lm/ptb}
SHAKESPEARE=${SHAKESPEARE:-$ROOT/../shared/data/lm/tinyshakespeare/input.txt}
PYTHON=${PYTHON:-python3}

# The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (peer, peer_blas); wordpipe keeps
# the environment it is given.
. "$ROOT/Benchmarks/peer_env.sh"

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

mkdir -p "$OUTDIR"
# The two tools' options for the configuration.
case "$CONFIG" in
    small)
        OURS=(--epochs "$EPOCHS"); THEIRS=(--epochs "$EPOCHS") ;;
    medium)
        OURS=(--epochs "$EPOCHS" --hidden 650 --dim 650 --bptt 35 --dropout 0.5 --lr-decay 1.2 --decay-after 6 --init-scale 0.05)
        THEIRS=(--epochs "$EPOCHS" --hidden 650 --dim 650 --bptt 35 --dropout 0.5 --lr-decay 1.2 --decay-after 6 --init 0.05) ;;
    char)
        COMMON=(--unit char --hidden 256 --dim 64 --bptt 64 --batch 32 --optimizer adam --lr 0.002 --lr-decay 1 --epochs 1000 --time-budget "$BUDGET")
        OURS=("${COMMON[@]}" --patience 1000); THEIRS=("${COMMON[@]}") ;;
    *) die "CONFIG is small, medium or char, not '$CONFIG'" ;;
esac
if [ "$CONFIG" = char ]; then
    [ -s "$SHAKESPEARE" ] || die "no Tiny Shakespeare at $SHAKESPEARE; set SHAKESPEARE"
    "$PYTHON" - "$SHAKESPEARE" "$OUTDIR" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
cut = int(0.9 * len(text))
open(sys.argv[2] + "/char.train.txt", "w", encoding="utf-8").write(text[:cut])
open(sys.argv[2] + "/char.valid.txt", "w", encoding="utf-8").write(text[cut:])
EOF
else
    [ -f "$DATA/ptb.train.txt" ] && [ -f "$DATA/ptb.valid.txt" ] || die "no PTB at $DATA (ptb.train.txt, ptb.valid.txt); set DATA"
fi

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
VALID=$DATA/ptb.valid.txt
[ "$CONFIG" != char ] || { TRAIN=$OUTDIR/char.train.txt; VALID=$OUTDIR/char.valid.txt; }
if [ -n "$SLICE" ]; then
    head -n "$SLICE" "$TRAIN" > "$OUTDIR/train.slice.txt"
    TRAIN=$OUTDIR/train.slice.txt
fi

for round in $(seq "$FIRST_ROUND" "$ROUNDS"); do
    seed=$SEED
    [ "$SEED" != round ] || seed=$round
    if [ "$SKIP_WORDPIPE" != 1 ]; then
        log "round $round: wordpipe train-lm"
        "$WORDPIPE" train-lm --train "$TRAIN" --dev "$VALID" -o "$OUTDIR/$CONFIG.wpm" "${OURS[@]}" \
            --seed "$seed" --threads "$THREADS" --progress never 2> "$OUTDIR/wordpipe.$round.log" >&2 || die "wordpipe failed: $OUTDIR/wordpipe.$round.log"
        grep "epoch " "$OUTDIR/wordpipe.$round.log" >&2
    fi
    if [ "$SKIP_TORCH" != 1 ]; then
        log "round $round: PyTorch"
        OMP_NUM_THREADS=$THREADS peer "$VENV/bin/python" "$HERE/lm_torch.py" --train "$TRAIN" --valid "$VALID" "${THEIRS[@]}" \
            --seed "$seed" --threads "$THREADS" > "$OUTDIR/torch.$round.log" || die "PyTorch failed: $OUTDIR/torch.$round.log"
        cat "$OUTDIR/torch.$round.log" >&2
    fi
done

"$PYTHON" - "$OUTDIR" "$FIRST_ROUND" "$ROUNDS" "$EPOCHS" "${SLICE:-all}" "$THREADS" "$CONFIG" "$BUDGET" <<'EOF' | tee "$OUTDIR/report.md"
import math, re, statistics, sys
out, first, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
epochs, lines, threads, config, budget = sys.argv[4:9]
char = config == "char"


def summary(lines, speed, seconds, valid):
    """(tokens/s over all epochs' training, the last epoch's valid figure, epochs, tokens) of one run's epoch lines."""
    if not lines:
        return None
    tokens = sum(float(re.search(speed, l).group(1)) * float(re.search(seconds, l).group(1)) for l in lines)
    total = sum(float(re.search(seconds, l).group(1)) for l in lines)
    return tokens / total, float(re.search(valid, lines[-1]).group(1)), len(lines), tokens


ours, theirs = [], []
for r in range(first, rounds + 1):
    try:
        mine = [l for l in open(f"{out}/wordpipe.{r}.log") if "train-lm: epoch " in l]
        row = summary(mine, r"tokens/s (\d+)", r"train_s ([0-9.]+)", r"dev_bits_per_char ([0-9.]+)" if char else r"dev_perplexity ([0-9.]+)")
        if row and char:
            row = (row[0], row[1] * math.log(2)) + row[2:]
        if row:
            ours.append(row)
    except OSError:
        pass
    try:
        peer = [l for l in open(f"{out}/torch.{r}.log") if l.startswith("epoch ")]
        row = summary(peer, r"tokens_per_s (\d+)", r"train_s ([0-9.]+)", r"valid_nats ([0-9.]+)" if char else r"valid_ppl ([0-9.]+)")
        if row:
            theirs.append(row)
    except OSError:
        pass
what = "valid nats/char" if char else "valid ppl"
places = 4 if char else 2
if char:
    print(f"Tiny Shakespeare characters (2x256 LSTM, bptt 64, batch 32, Adam), {budget} s of training per run, {threads} threads")
else:
    network = "2x200 LSTM, bptt 20" if config == "small" else "2x650 LSTM, bptt 35, dropout 0.5"
    print(f"PTB {config} ({network}, batch 20), {epochs} epoch(s), train lines: {lines}, {threads} threads")
print()
print(f"| run | wordpipe tokens/s | PyTorch tokens/s | wordpipe {what} | PyTorch {what} | wordpipe tokens trained | PyTorch tokens trained |")
print("|---|---|---|---|---|---|---|")
nan = (float("nan"),) * 4
for r in range(max(len(ours), len(theirs))):
    o = ours[r] if r < len(ours) else nan
    t = theirs[r] if r < len(theirs) else nan
    print(f"| {first + r} | {o[0]:.0f} | {t[0]:.0f} | {o[1]:.{places}f} | {t[1]:.{places}f} | {o[3]:.0f} | {t[3]:.0f} |")
if ours and theirs:
    mo, mt = statistics.median(x[0] for x in ours), statistics.median(x[0] for x in theirs)
    pairs = ", ".join(f"{o[0] / t[0]:.2f}" for o, t in zip(ours, theirs))
    vo, vt = statistics.median(x[1] for x in ours), statistics.median(x[1] for x in theirs)
    print()
    print(f"median tokens/s: wordpipe {mo:.0f}, PyTorch {mt:.0f}; ratio {mo / mt:.2f}x (paired: {pairs})")
    print(f"median {what}: wordpipe {vo:.{places}f}, PyTorch {vt:.{places}f} ({100 * (vo - vt) / vt:+.1f}%)")
EOF
