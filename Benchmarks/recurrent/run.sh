#!/usr/bin/env bash
# Recurrent benchmark, side by side in one run:
#   1. sgemm at the shapes of one LSTM forward + backward, OpenBLAS vs BLIS (sgemm_bench.c, one
#      thread each, separate binaries so the two libraries never share a process);
#   2. forward + backward of one LSTM batch: WordPipe's Recurrent module (Swift, OpenBLAS) vs
#      PyTorch on the CPU, same sizes, same sequence lengths, same thread counts.
#
# Usage: Benchmarks/recurrent/run.sh
# Environment (all optional):
#   R=20  WARMUP=3     timed repetitions per system (the median is reported) and untimed warm-ups
#   THREADS="1 2"      thread counts: OPENBLAS_NUM_THREADS for WordPipe (BLAS brings the threads;
#                      the layer itself does not parallelize over the batch), torch.set_num_threads
#   CONFIGS="issue brief"
#                      issue: 1-layer bidirectional LSTM, hidden 128, input 100, batch 32,
#                             lengths drawn from 20..40 (seeded; steps = the longest)
#                      brief: 1-layer LSTM, hidden 256, input 100, batch 32, every length 50
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-recurrent)
#   OUTDIR=dir         results and report (default: Benchmarks/recurrent/out)
#   PYTHON=python3     interpreter used to create Benchmarks/.venv when it is missing
# PyTorch comes from PyPI into Benchmarks/.venv, for the benchmark only (never a dependency).
# The Linux wheel on PyPI pulls the CUDA libraries (about 5 GB); only the CPU is used.
# OPENBLAS_CORETYPE is never set here: whatever the environment says is used as it is.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
R=${R:-20}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-1 2}
CONFIGS=${CONFIGS:-issue brief}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-recurrent}
OUTDIR=${OUTDIR:-$HERE/out}
PYTHON=${PYTHON:-python3}
VENV=$ROOT/Benchmarks/.venv
mkdir -p "$OUTDIR"
RESULTS=$OUTDIR/results.jsonl
SGEMM=$OUTDIR/sgemm.txt
: > "$RESULTS"
: > "$SGEMM"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"

echo "== 1. sgemm at the LSTM's shapes, OpenBLAS vs BLIS (one thread)"
OPENBLAS_INCLUDE=$(pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLIS_DIR=/usr/lib/x86_64-linux-gnu/blis-openmp
gcc -O2 -DUSE_OPENBLAS $OPENBLAS_INCLUDE "$HERE/sgemm_bench.c" -o "$OUTDIR/sgemm_openblas" -lopenblas
gcc -O2 -DUSE_BLIS -I/usr/include/x86_64-linux-gnu/blis-openmp "$HERE/sgemm_bench.c" -o "$OUTDIR/sgemm_blis" \
    -L"$BLIS_DIR" -Wl,-rpath,"$BLIS_DIR" -lblis -lm
for h in 128 256; do
    for library in openblas blis; do
        echo "# H=$h B=32 T=50 I=100, $library" | tee -a "$SGEMM"
        "$OUTDIR/sgemm_$library" "$h" 32 50 100 21 | tee -a "$SGEMM"
    done
done

# Other test targets use @testable imports, hence -enable-testing for the release build.
"$PYTHON" - "$SGEMM" <<'PY'
# All sgemm of one forward + backward (50 steps): the per-step shapes count 50 times.
import re, sys
current, totals = None, {}
for line in open(sys.argv[1]):
    m = re.match(r"# H=(\d+) .*, (\w+)$", line.strip())
    if m:
        current = (int(m.group(1)), m.group(2))
        totals[current] = 0.0
        continue
    parts = line.split()
    if current and len(parts) == 8 and parts[0] in ("x_proj", "h_step", "dh_step", "dW_hh", "dW_ih", "dX"):
        totals[current] += float(parts[6]) * (50 if parts[0] in ("h_step", "dh_step") else 1)
for (hidden, library), micros in sorted(totals.items()):
    print(f"sgemm total for one LSTM step, hidden {hidden}, {library}: {micros / 1000:.1f} ms")
PY

echo "== 2. release build of the tests (the Swift benchmark is a test enabled by WORDPIPE_RECURRENT_BENCH)"
(cd "$ROOT" && swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path "$SCRATCH" 2>&1 | tail -1)

if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    echo "== installing PyTorch into $VENV (PyPI)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    if ! "$VENV/bin/pip" install --quiet torch; then
        echo "PyTorch could not be installed: the comparison runs WordPipe alone" >&2
    fi
fi
HAVE_TORCH=0
"$VENV/bin/python" -c "import torch" 2>/dev/null && HAVE_TORCH=1

for config in $CONFIGS; do
    case $config in
        issue) BIDIRECTIONAL=1 HIDDEN=128
               LENGTHS=$("$PYTHON" -c "import random; random.seed(1); print(','.join(str(random.randint(20, 40)) for _ in range(32)))") ;;
        brief) BIDIRECTIONAL=0 HIDDEN=256
               LENGTHS=$("$PYTHON" -c "print(','.join(['50'] * 32))") ;;
        *) echo "unknown configuration '$config' (known: issue, brief)" >&2; exit 2 ;;
    esac
    for threads in $THREADS; do
        echo "== 3. $config, $threads thread(s): WordPipe"
        (cd "$ROOT" && WORDPIPE_RECURRENT_BENCH=$RESULTS OPENBLAS_NUM_THREADS=$threads BATCH=32 INPUT=100 \
            HIDDEN=$HIDDEN BIDIRECTIONAL=$BIDIRECTIONAL LENGTHS=$LENGTHS REPS=$R WARMUP=$WARMUP \
            swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path "$SCRATCH" --disable-xctest --filter RecurrentBenchmark \
            >"$OUTDIR/swift-$config-$threads.log" 2>&1) || { tail -20 "$OUTDIR/swift-$config-$threads.log"; exit 1; }
        if [ "$HAVE_TORCH" = 1 ]; then
            echo "== 3. $config, $threads thread(s): PyTorch"
            "$VENV/bin/python" "$HERE/lstm_torch.py" --threads "$threads" --batch 32 --input 100 --hidden "$HIDDEN" \
                --bidirectional "$BIDIRECTIONAL" --lengths "$LENGTHS" --reps "$R" --warmup "$WARMUP" >> "$RESULTS"
        fi
    done
done

"$PYTHON" - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| Model | System | Threads | Median ms | Min ms | Tokens | Tokens/s | WordPipe / PyTorch |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
def model(row):
    kind = "BiLSTM" if row["bidirectional"] else "LSTM"
    return f'{kind} H{row["hidden"]} I{row["input"]} B{row["batch"]} T≤{row["steps"]}'
for row in rows:
    ratio = ""
    if row["system"] == "wordpipe":
        peers = [p for p in rows if p["system"] == "pytorch" and model(p) == model(row) and p["threads"] == row["threads"]]
        if peers:
            ratio = f'{row["tokens_per_s"] / peers[0]["tokens_per_s"]:.2f}x'
    print(f'| {model(row)} | {row["system"]} ({row["blas"]}) | {row["threads"]} | {row["median_s"] * 1e3:.1f} | '
          f'{row["min_s"] * 1e3:.1f} | {row["tokens"]} | {row["tokens_per_s"]:,.0f} | {ratio} |')
PY
