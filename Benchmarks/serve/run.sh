#!/usr/bin/env bash
# Serving benchmark (issue 20), on loopback only, bounded in count and time: POST /v1/nearest
# {"word": W, "k": 10} with wrk against `wordpipe serve` and against what a user would write
# instead, a FastAPI app on uvicorn calling gensim's most_similar on the same vectors
# (fastapi_app.py), side by side in one run, interleaved (ours, peer, ours, peer, ...).
#
# Usage: Benchmarks/serve/run.sh
# Environment (all optional):
#   SETS="random demo"   random: 100,000 x 300 seeded random vectors; demo: the demo pipeline's
#                        vectors (corpora/build/vectors/vectors.wpv; skipped when absent)
#   CONNECTIONS="1 8 64" wrk connections (wrk threads: 1 for one connection, else 2)
#   DURATION=10          seconds per wrk run
#   ROUNDS=2             interleaved rounds per system and connection count (medians reported)
#   WORKERS=2            uvicorn worker processes for the peer (one per core; the vectors are
#                        memory-mapped, so they share one copy); wordpipe serve is one process
#   VENV=dir             Python venv for the peer (default Benchmarks/.venv; created if missing)
#   SCRATCH=dir          SwiftPM scratch path of the release build (default .build-bench-serve)
# The peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (numpy's OpenBLAS at its own
# kernel, named in the output); wordpipe keeps the environment it is given. wrk runs on the same
# two cores as both servers, which costs each side alike.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SETS=${SETS:-random demo}
CONNECTIONS=${CONNECTIONS:-1 8 64}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
WORKERS=${WORKERS:-2}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-serve}
OUT=$HERE/out
mkdir -p "$OUT"
: > "$OUT/results.tsv"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"
echo "== $(date -u +%Y-%m-%dT%H:%MZ), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import fastapi, uvicorn, gensim, threadpoolctl' 2>/dev/null ||
    "$VENV/bin/pip" install -q fastapi uvicorn gensim threadpoolctl
PEER_ENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

(cd "$ROOT" && swift build -c release --product wordpipe --scratch-path "$SCRATCH" 2>&1 | tail -1)
WORDPIPE=$SCRATCH/release/wordpipe

wait_ready() {  # URL PID
    for _ in $(seq 1 600); do
        curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"word\": \"$3\", \"k\": 10}" "$1/v1/nearest" && return 0
        kill -0 "$2" 2>/dev/null || { echo "server $2 ended" >&2; return 1; }
        sleep 0.2
    done
    return 1
}

for set in $SETS; do
    case $set in
        random)
            [ -f "$OUT/random.wpv" ] || {
                "${PEER_ENV[@]}" "$VENV/bin/python" "$HERE/prepare.py" --random 100000 300 "$OUT/random"
                "$WORDPIPE" convert "$OUT/random.bin" -o "$OUT/random.wpv" >/dev/null
            } ;;
        demo)
            DEMO=$ROOT/corpora/build/vectors/vectors.wpv
            [ -f "$DEMO" ] || { echo "== demo: $DEMO absent (run scripts/demo.sh); skipped"; continue; }
            "$WORDPIPE" convert "$DEMO" -o "$OUT/demo.bin" >/dev/null
            "${PEER_ENV[@]}" "$VENV/bin/python" "$HERE/prepare.py" "$OUT/demo.bin" "$OUT/demo"
            cp "$DEMO" "$OUT/demo.wpv" ;;
    esac
    [ -f "$OUT/$set.words" ] || "${PEER_ENV[@]}" "$VENV/bin/python" "$HERE/prepare.py" "$OUT/$set.bin" "$OUT/$set"
    first=$(head -n 1 "$OUT/$set.words")
    size=$(stat -c %s "$OUT/$set.wpv")
    echo "== $set: $(head -c 0 /dev/null)$(wc -l < "$OUT/$set.words") query words, .wpv $size bytes"

    "$WORDPIPE" serve --vectors "$OUT/$set.wpv" --port 18181 2>/dev/null &
    OURS=$!
    "${PEER_ENV[@]}" KV_PATH="$OUT/$set.kv" "$VENV/bin/uvicorn" fastapi_app:app --app-dir "$HERE" --port 18182 \
        --workers "$WORKERS" --log-level warning &
    PEER=$!
    trap 'kill $OURS $PEER 2>/dev/null || true' EXIT
    wait_ready http://127.0.0.1:18181 $OURS "$first"
    wait_ready http://127.0.0.1:18182 $PEER "$first"
    # The two agree on the answers (same words in the same order for a few queries).
    for word in $(head -n 5 "$OUT/$set.words"); do
        a=$(curl -s -X POST -d "{\"word\": \"$word\", \"k\": 10}" http://127.0.0.1:18181/v1/nearest | "$VENV/bin/python" -c 'import json,sys; print([n["word"] for n in json.load(sys.stdin)["neighbours"]])')
        b=$(curl -s -X POST -H 'Content-Type: application/json' -d "{\"word\": \"$word\", \"k\": 10}" http://127.0.0.1:18182/v1/nearest | "$VENV/bin/python" -c 'import json,sys; print([n["word"] for n in json.load(sys.stdin)["neighbours"]])')
        [ "$a" = "$b" ] || echo "   answers differ for $word: $a vs $b"
    done
    for c in $CONNECTIONS; do
        t=$(( c < 2 ? 1 : 2 ))
        for round in $(seq 1 "$ROUNDS"); do
            for system in wordpipe fastapi; do
                port=$([ $system = wordpipe ] && echo 18181 || echo 18182)
                WORDS_FILE="$OUT/$set.words" wrk -t$t -c$c -d${DURATION}s --latency -s "$HERE/nearest.lua" "http://127.0.0.1:$port" > "$OUT/wrk.txt"
                "$VENV/bin/python" - "$set" "$c" "$system" "$round" "$OUT/wrk.txt" >> "$OUT/results.tsv" <<'PY'
import re, sys
set_, c, system, round_, path = sys.argv[1:]
text = open(path).read()
def ms(value, unit): return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p = {m.group(1): ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{set_}\t{c}\t{system}\t{round_}\t{rps:.1f}\t{p.get('50', float('nan')):.3f}\t{p.get('99', float('nan')):.3f}\t{errors.group(1) if errors else 0}")
PY
                tail -n 1 "$OUT/results.tsv"
            done
        done
    done
    rss=$(awk '/VmRSS/ {print $2 * 1024}' /proc/$OURS/status)
    echo "== $set: wordpipe serve resident memory $rss bytes after the runs = $(awk -v r=$rss -v s=$size 'BEGIN {printf "%.2f", r / s}')x the .wpv file"
    printf "%s\tmemory\t%s\t%s\n" "$set" "$rss" "$size" >> "$OUT/memory.tsv"
    kill $OURS $PEER 2>/dev/null || true
    wait $OURS $PEER 2>/dev/null || true
    trap - EXIT
done

"$VENV/bin/python" - "$OUT/results.tsv" <<'PY'
import collections, statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
groups = collections.defaultdict(list)
for set_, c, system, _, rps, p50, p99, errors in rows:
    groups[(set_, int(c), system)].append((float(rps), float(p50), float(p99), int(errors)))
print("\n| vectors | connections | wordpipe req/s | FastAPI+gensim req/s | ratio | wordpipe p50 / p99 ms | FastAPI p50 / p99 ms | non-2xx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for set_, c in sorted({(s, c) for s, c, _ in groups}):
    ours, peer = groups[(set_, c, "wordpipe")], groups[(set_, c, "fastapi")]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"| {set_} | {c} | {med(ours, 0):,.0f} | {med(peer, 0):,.0f} | {med(ours, 0) / med(peer, 0):.2f}x | "
          f"{med(ours, 1):.2f} / {med(ours, 2):.2f} | {med(peer, 1):.2f} / {med(peer, 2):.2f} | "
          f"{sum(x[3] for x in ours)} / {sum(x[3] for x in peer)} |")
PY
