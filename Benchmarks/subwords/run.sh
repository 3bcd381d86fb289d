#!/usr/bin/env bash
# Subword training speed, side by side: `wordpipe train --subwords 3-6` against fastText 0.9.2
# (the official `fasttext` module, ft_train.py) with the same settings, with and without
# subwords: skip-gram, dim 100, window 5, neg 5, sample 1e-3, min-count 5, minn 3, maxn 6,
# 2,000,000 buckets, the same learning rate, on the first SLICE lines of the text8-style lines
# corpus. Runs are interleaved (wordpipe plain, wordpipe subwords, fastText subwords, fastText
# plain, then again) because the machine is shared; the report gives per-thread words/s
# medians and ratios, and each run's peak RSS (/usr/bin/time).
#
# Words/s is training alone on both sides: wordpipe's summary line (vocabulary and encoding
# excluded) and fastText's own last `words/sec/thread` figure.
#
# Usage: Benchmarks/subwords/run.sh
# Environment (all optional):
#   SLICE=2000        lines of 1,000 words (default 2,000: 2M words)
#   EPOCHS=1          epochs per run
#   ROUNDS=3          interleaved rounds
#   THREADS="1 2"     thread counts
#   ALPHA=0.05        learning rate of both (fastText's default for skip-gram)
#   SCRATCH=dir       SwiftPM scratch path of the release build (default: .build-bench-subwords)
#   WORDPIPE=path     use this wordpipe binary instead of building one
#   VENV=dir          Python venv with fasttext (default: Benchmarks/.venv, created when missing)
#   OUTDIR=dir        logs and report (default: Benchmarks/subwords/out)
#   CORPUS=file.gz    the lines corpus (default: ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SLICE=${SLICE:-2000}
EPOCHS=${EPOCHS:-1}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1 2}
ALPHA=${ALPHA:-0.05}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-subwords}
WORDPIPE=${WORDPIPE:-}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
OUTDIR=${OUTDIR:-$HERE/out}
CORPUS=${CORPUS:-$ROOT/../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz}
PYTHON=${PYTHON:-python3}

. "$ROOT/Benchmarks/peer_env.sh"

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ -f "$CORPUS" ] || die "no corpus at $CORPUS; set CORPUS"
mkdir -p "$OUTDIR"
if [ -z "$WORDPIPE" ]; then
    log "building wordpipe (release, $SCRATCH)"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product wordpipe >&2)
    WORDPIPE=$SCRATCH/release/wordpipe
fi
mkdir -p "$OUTDIR/bin"
cp "$WORDPIPE" "$OUTDIR/bin/wordpipe"
WORDPIPE=$OUTDIR/bin/wordpipe
if ! "$VENV/bin/python" -c "import fasttext" 2>/dev/null; then
    log "creating $VENV with fasttext (benchmark only, never a dependency)"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet fasttext-wheel || "$VENV/bin/pip" install --quiet fasttext
fi

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} for wordpipe"
log "peer: fasttext $("$VENV/bin/pip" show fasttext-wheel fasttext 2>/dev/null | awk '/^Version/ {print $2; exit}')"
TEXT=$OUTDIR/slice.txt
# head closes the pipe early: gzip's SIGPIPE is not a failure here.
(set +o pipefail; gzip -dc "$CORPUS" | head -n "$SLICE" > "$TEXT")

run_wordpipe() {  # name threads [extra options]
    local name=$1 threads=$2; shift 2
    /usr/bin/time -v "$WORDPIPE" train "$TEXT" -o "$OUTDIR/$name.t$threads.wpv" --dim 100 --window 5 --negative 5 --sample 1e-3 \
        --min-count 5 --epochs "$EPOCHS" --alpha "$ALPHA" --threads "$threads" --progress never "$@" \
        2> "$OUTDIR/$name.t$threads.$round.log" || die "wordpipe failed: $OUTDIR/$name.t$threads.$round.log"
    grep "words/s" "$OUTDIR/$name.t$threads.$round.log" | tail -1 >&2
}
run_fasttext() {  # name threads maxn
    local name=$1 threads=$2 maxn=$3
    /usr/bin/time -v "${PEER[@]}" "$VENV/bin/python" "$HERE/ft_train.py" "$TEXT" "$OUTDIR/$name.vec" --threads "$threads" \
        --epochs "$EPOCHS" --dim 100 --minn 3 --maxn "$maxn" --bucket 2000000 --lr "$ALPHA" \
        > "$OUTDIR/$name.t$threads.$round.log" 2> "$OUTDIR/$name.t$threads.$round.time" || die "fastText failed: $OUTDIR/$name.t$threads.$round.log"
    cat "$OUTDIR/$name.t$threads.$round.log" >&2
}

for round in $(seq 1 "$ROUNDS"); do
    for threads in $THREADS; do
        log "round $round, $threads thread(s)"
        run_wordpipe wordpipe-plain "$threads"
        run_wordpipe wordpipe-subwords "$threads" --subwords 3-6 --buckets 2000000
        run_fasttext fasttext-subwords "$threads" 6
        run_fasttext fasttext-plain "$threads" 0
    done
done

"$PYTHON" - "$OUTDIR" "$ROUNDS" "$THREADS" "$SLICE" "$EPOCHS" <<'PYEOF' | tee "$OUTDIR/report.md"
import re, statistics, sys
out, rounds, threads, lines, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4], sys.argv[5]
def rss(path):
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
        return int(m.group(1)) / 1024 if m else float("nan")
    except OSError:
        return float("nan")
def ours(name, t, r):
    path = f"{out}/{name}.t{t}.{r}.log"
    try:
        m = re.search(r"words/s \(([0-9.]+)([kM]?) per thread\)", open(path).read())
    except OSError:
        return None
    if not m: return None
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6}[m.group(2)], rss(path)
def theirs(name, t, r):
    try:
        m = re.search(r"words/sec/thread (\d+)", open(f"{out}/{name}.t{t}.{r}.log").read())
    except OSError:
        return None
    return (float(m.group(1)), rss(f"{out}/{name}.t{t}.{r}.time")) if m else None
print(f"Skip-gram, dim 100, window 5, neg 5, sample 1e-3, min-count 5, {epochs} epoch(s), minn 3, maxn 6, 2M buckets; first {lines} lines of the text8-style lines corpus")
print()
print("| threads | run | words/s per thread (median of rounds) | peak RSS MB (median) |")
print("|---|---|---|---|")
medians = {}
for t in threads:
    for name, get in [("wordpipe-plain", ours), ("wordpipe-subwords", ours), ("fasttext-subwords", theirs), ("fasttext-plain", theirs)]:
        runs = [x for x in (get(name, t, r) for r in range(1, rounds + 1)) if x]
        if not runs: continue
        medians[(t, name)] = statistics.median(x[0] for x in runs)
        print(f"| {t} | {name} | {medians[(t, name)]:,.0f} ({', '.join(f'{x[0]:,.0f}' for x in runs)}) | {statistics.median(x[1] for x in runs):,.0f} |")
print()
for t in threads:
    for a, b in [("wordpipe-subwords", "fasttext-subwords"), ("wordpipe-plain", "fasttext-plain")]:
        if (t, a) in medians and (t, b) in medians:
            print(f"{t} thread(s): {a} / {b} = {medians[(t, a)] / medians[(t, b)]:.2f}x")
PYEOF
