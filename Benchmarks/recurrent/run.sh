#!/usr/bin/env bash
# Recurrent benchmark, side by side in one run:
#   1. sgemm at the shapes of one LSTM forward + backward, OpenBLAS vs BLIS (sgemm_bench.c, one
#      thread each, separate binaries so the two libraries never share a process);
#   2. forward + backward of one LSTM batch: WordPipe's Recurrent module (Swift, OpenBLAS) vs
#      PyTorch on the CPU, same sizes, same sequence lengths, same thread counts;
#   3. the issue's threads question on its shape (1-layer BiLSTM, hidden 128, input 100, batch 32,
#      lengths 20..40 seeded), in one process: (a) the whole batch with 1 OpenBLAS thread, (b) with
#      2, (c) two batch-parallel workers (each with its own copy of the layer, half of the batch,
#      its own thread) with 1 OpenBLAS thread, gradients summed at the end; first a check that
#      concurrent cblas calls from two threads give the serial results (blas_concurrency.c);
#   4. the padded-steps gain: the same batch sorted longest first, the path that computes only the
#      running rows at each step vs the general, masked path, for each of (a), (b), (c).
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
#   PARTS="sgemm torch threads padding"
#                      which parts to run (sgemm: 1; torch: 2; threads: 3; padding: 4)
#   ROUNDS=2           parts 3 and 4: rounds over the variants (R timed runs of each per round)
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-recurrent)
#   OUTDIR=dir         results and report (default: Benchmarks/recurrent/out)
#   PYTHON=python3     interpreter used to create Benchmarks/.venv when it is missing
# PyTorch comes from PyPI into Benchmarks/.venv, for the benchmark only (never a dependency).
# The Linux wheel on PyPI pulls the CUDA libraries (about 5 GB); only the CPU is used.
# OPENBLAS_CORETYPE is never set here: whatever the environment says is used as it is, by wordpipe.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# The PyTorch peer runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (Benchmarks/peer_env.sh: a value set
# for our OpenBLAS must not slow a peer's own BLAS); wordpipe keeps the environment.
# shellcheck source=../peer_env.sh
source "$ROOT/Benchmarks/peer_env.sh"
R=${R:-20}
WARMUP=${WARMUP:-3}
THREADS=${THREADS:-1 2}
CONFIGS=${CONFIGS:-issue brief}
PARTS=${PARTS:-sgemm torch threads padding}
ROUNDS=${ROUNDS:-2}
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
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
echo "== $(date -u +%Y-%m-%dT%H:%MZ), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
OPENBLAS_INCLUDE=$(pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
if has_part sgemm; then

echo "== 1. sgemm at the LSTM's shapes, OpenBLAS vs BLIS (one thread)"
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
fi

echo "== release build of the tests (the Swift benchmark is a test enabled by WORDPIPE_RECURRENT_BENCH)"
# Other test targets use @testable imports, hence -enable-testing for the release build.
(cd "$ROOT" && swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path "$SCRATCH" 2>&1 | tail -1)

HAVE_TORCH=0
if has_part torch; then
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    echo "== installing PyTorch into $VENV (PyPI)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    if ! "$VENV/bin/pip" install --quiet torch; then
        echo "PyTorch could not be installed: the comparison runs WordPipe alone" >&2
    fi
fi

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
        echo "== 2. $config, $threads thread(s): WordPipe"
        (cd "$ROOT" && WORDPIPE_RECURRENT_BENCH=$RESULTS OPENBLAS_NUM_THREADS=$threads BATCH=32 INPUT=100 \
            HIDDEN=$HIDDEN BIDIRECTIONAL=$BIDIRECTIONAL LENGTHS=$LENGTHS REPS=$R WARMUP=$WARMUP \
            swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path "$SCRATCH" --disable-xctest --filter "RecurrentBenchmark/lstmStep" \
            >"$OUTDIR/swift-$config-$threads.log" 2>&1) || { tail -20 "$OUTDIR/swift-$config-$threads.log"; exit 1; }
        if [ "$HAVE_TORCH" = 1 ]; then
            echo "== 2. $config, $threads thread(s): PyTorch"
            peer "$VENV/bin/python" "$HERE/lstm_torch.py" --threads "$threads" --batch 32 --input 100 --hidden "$HIDDEN" \
                --bidirectional "$BIDIRECTIONAL" --lengths "$LENGTHS" --reps "$R" --warmup "$WARMUP" >> "$RESULTS"
        fi
    done
done
fi

ISSUE_LENGTHS=$("$PYTHON" -c "import random; random.seed(1); print(','.join(str(random.randint(20, 40)) for _ in range(32)))")
run_variants() {  # $1: label, $2: SORT, $3: VARIANTS
    echo "== $1"
    (cd "$ROOT" && WORDPIPE_RECURRENT_BENCH=$RESULTS BATCH=32 INPUT=100 HIDDEN=128 BIDIRECTIONAL=1 LENGTHS=$ISSUE_LENGTHS \
        SORT=$2 VARIANTS=$3 REPS=$R WARMUP=$WARMUP ROUNDS=$ROUNDS \
        swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path "$SCRATCH" --disable-xctest \
        --filter "RecurrentBenchmark/threadsAndPadding" >"$OUTDIR/swift-variants-$2.log" 2>&1) \
        || { tail -20 "$OUTDIR/swift-variants-$2.log"; exit 1; }
}
if has_part threads; then
    echo "== 3. concurrent cblas calls from two threads, one OpenBLAS thread (blas_concurrency.c)"
    gcc -O2 $OPENBLAS_INCLUDE "$HERE/blas_concurrency.c" -o "$OUTDIR/blas_concurrency" -lopenblas -lpthread
    "$OUTDIR/blas_concurrency" 1000 | tee "$OUTDIR/blas_concurrency.txt"
    run_variants "3. threads: issue lengths as drawn; 1 BLAS thread, 2 BLAS threads, 2 workers x 1 BLAS thread" 0 \
        blas1:skip,blas2:skip,split2:skip
fi
if has_part padding; then
    run_variants "4. padded steps: issue lengths sorted longest first; skipping vs general path, each threads mode" 1 \
        blas1:skip,blas1:general,blas2:skip,blas2:general,split2:skip,split2:general
fi
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def model(row):
    kind = "BiLSTM" if row["bidirectional"] else "LSTM"
    return f'{kind} H{row["hidden"]} I{row["input"]} B{row["batch"]} T≤{row["steps"]}'
variants = [row for row in rows if "variant" in row]
rows = [row for row in rows if "variant" not in row]
if rows:
    print("| Model | System | Threads | Median ms | Min ms | Tokens | Tokens/s | WordPipe / PyTorch |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
for row in rows:
    ratio = ""
    if row["system"] == "wordpipe":
        peers = [p for p in rows if p["system"] == "pytorch" and model(p) == model(row) and p["threads"] == row["threads"]]
        if peers:
            ratio = f'{row["tokens_per_s"] / peers[0]["tokens_per_s"]:.2f}x'
    print(f'| {model(row)} | {row["system"]} ({row["blas"]}) | {row["threads"]} | {row["median_s"] * 1e3:.1f} | '
          f'{row["min_s"] * 1e3:.1f} | {row["tokens"]} | {row["tokens_per_s"]:,.0f} | {ratio} |')

names = {"blas1": "(a) whole batch, 1 BLAS thread", "blas2": "(b) whole batch, 2 BLAS threads",
         "split2": "(c) 2 workers x half batch, 1 BLAS thread each"}
for sorted_lengths in (False, True):
    group = [row for row in variants if row["sorted"] == sorted_lengths]
    if not group:
        continue
    first = group[0]
    print()
    print(f'BiLSTM H{first["hidden"]} I{first["input"]} B{first["batch"]} T<={first["steps"]}, {first["tokens"]} tokens, '
          f'lengths {"sorted longest first" if sorted_lengths else "as drawn"}; halves of (c): {first["half_tokens"]} tokens')
    print()
    print("| Mode | Path | Median ms | Min ms | Tokens/s | vs (a) | skip vs general |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in group:
        base = [p for p in group if p["mode"] == "blas1" and p["path"] == row["path"]]
        other = [p for p in group if p["mode"] == row["mode"] and p["path"] != row["path"]]
        versus = f'{row["tokens_per_s"] / base[0]["tokens_per_s"]:.2f}x' if base else ""
        gain = f'{row["tokens_per_s"] / other[0]["tokens_per_s"]:.2f}x' if other and row["path"] == "skip" else ""
        path = row["path"] if sorted_lengths else "(unsorted: general)"
        print(f'| {names[row["mode"]]} | {path} | {row["median_s"] * 1e3:.1f} | {row["min_s"] * 1e3:.1f} | '
              f'{row["tokens_per_s"]:,.0f} | {versus} | {gain} |')
PY
