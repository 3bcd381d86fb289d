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
#   PEERS="1x2 2x1"      the peer's configurations, WORKERSxTHREADS: uvicorn worker processes
#                        (the vectors are memory-mapped, so they share one copy) times numpy's
#                        OpenBLAS threads in each; every one is measured and the table quotes the
#                        best at each connection count (its name beside it). wordpipe serve is
#                        one process on both cores.
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
PEERS=${PEERS:-1x2 2x1}
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

drain() {  # PORT WORD: wait until the server has worked off what the last run queued (a request
           # answered within 0.5 s; a server keeps answering requests whose client left)
    for _ in $(seq 1 120); do
        local took
        took=$(curl -s -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/json' -d "{\"word\": \"$2\", \"k\": 10}" "http://127.0.0.1:$1/v1/nearest")
        awk -v t="$took" 'BEGIN {exit !(t < 0.5)}' && return 0
        sleep 1
    done
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
    PEER_PIDS=()
    PEER_PORTS=()
    index=0
    for peer in $PEERS; do
        port=$((18182 + index))
        "${PEER_ENV[@]}" OPENBLAS_NUM_THREADS=${peer#*x} KV_PATH="$OUT/$set.kv" "$VENV/bin/uvicorn" fastapi_app:app \
            --app-dir "$HERE" --port $port --workers ${peer%x*} --log-level warning &
        PEER_PIDS+=($!)
        PEER_PORTS+=($port)
        index=$((index + 1))
    done
    trap 'kill $OURS ${PEER_PIDS[*]} 2>/dev/null || true' EXIT
    wait_ready http://127.0.0.1:18181 $OURS "$first"
    for i in "${!PEER_PIDS[@]}"; do wait_ready http://127.0.0.1:${PEER_PORTS[$i]} ${PEER_PIDS[$i]} "$first"; done
    # The two agree on the answers (same words in the same order for a few queries).
    for word in $(head -n 5 "$OUT/$set.words"); do
        a=$(curl -s -X POST -d "{\"word\": \"$word\", \"k\": 10}" http://127.0.0.1:18181/v1/nearest | "$VENV/bin/python" -c 'import json,sys; print([n["word"] for n in json.load(sys.stdin)["neighbours"]])')
        b=$(curl -s -X POST -H 'Content-Type: application/json' -d "{\"word\": \"$word\", \"k\": 10}" http://127.0.0.1:${PEER_PORTS[0]}/v1/nearest | "$VENV/bin/python" -c 'import json,sys; print([n["word"] for n in json.load(sys.stdin)["neighbours"]])')
        [ "$a" = "$b" ] || echo "   answers differ for $word: $a vs $b"
    done
    for c in $CONNECTIONS; do
        t=$(( c < 2 ? 1 : 2 ))
        for round in $(seq 1 "$ROUNDS"); do
            systems="wordpipe:18181"
            for i in "${!PEER_PIDS[@]}"; do systems="$systems fastapi-$(echo $PEERS | cut -d' ' -f$((i + 1))):${PEER_PORTS[$i]}"; done
            for entry in $systems; do
                system=${entry%:*}
                port=${entry#*:}
                # Every server, not only the next one: a peer still working off the last run's
                # queue would take the cores from whoever is measured next.
                for other in $systems; do drain ${other#*:} "$first"; done
                WORDS_FILE="$OUT/$set.words" wrk -t$t -c$c -d${DURATION}s --latency -s "$HERE/nearest.lua" "http://127.0.0.1:$port" > "$OUT/wrk.txt"
                "$VENV/bin/python" - "$set" "$c" "$system" "$round" "$OUT/wrk.txt" >> "$OUT/results.tsv" <<'PY'
import re, sys
set_, c, system, round_, path = sys.argv[1:]
text = open(path).read()
def ms(value, unit): return float(value) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p = {m.group(1): ms(m.group(2), m.group(3)) for m in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
timeouts = re.search(r"timeout (\d+)", text)
bad = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
print(f"{set_}\t{c}\t{system}\t{round_}\t{rps:.1f}\t{p.get('50', float('nan')):.3f}\t{p.get('99', float('nan')):.3f}\t{bad}")
PY
                tail -n 1 "$OUT/results.tsv"
            done
        done
    done
    rss=$(awk '/VmRSS/ {print $2 * 1024}' /proc/$OURS/status)
    echo "== $set: wordpipe serve resident memory $rss bytes after the runs = $(awk -v r=$rss -v s=$size 'BEGIN {printf "%.2f", r / s}')x the .wpv file"
    printf "%s\tmemory\t%s\t%s\n" "$set" "$rss" "$size" >> "$OUT/memory.tsv"
    kill $OURS ${PEER_PIDS[*]} 2>/dev/null || true
    wait $OURS ${PEER_PIDS[*]} 2>/dev/null || true
    trap - EXIT
done

"$VENV/bin/python" - "$OUT/results.tsv" <<'PY'
import collections, statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
groups = collections.defaultdict(list)
for set_, c, system, _, rps, p50, p99, errors in rows:
    groups[(set_, int(c), system)].append((float(rps), float(p50), float(p99), int(errors)))
print("\n| vectors | connections | wordpipe req/s | best FastAPI+gensim req/s (workers x threads) | ratio | wordpipe p50 / p99 ms | FastAPI p50 / p99 ms | timeouts and errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
med = lambda xs, i: statistics.median(x[i] for x in xs)
for set_, c in sorted({(s, c) for s, c, _ in groups}):
    ours = groups[(set_, c, "wordpipe")]
    peers = {system: xs for (s, cc, system), xs in groups.items() if s == set_ and cc == c and system != "wordpipe"}
    best = max(peers, key=lambda name: med(peers[name], 0))
    peer = peers[best]
    print(f"| {set_} | {c} | {med(ours, 0):,.0f} | {med(peer, 0):,.0f} ({best.removeprefix('fastapi-')}) | {med(ours, 0) / med(peer, 0):.1f}x | "
          f"{med(ours, 1):.2f} / {med(ours, 2):.2f} | {med(peer, 1):.2f} / {med(peer, 2):.2f} | "
          f"{sum(x[3] for x in ours)} / {sum(x[3] for x in peer)} |")
for (set_, c, system), xs in sorted(groups.items()):
    print(f"   {set_} c={c} {system}: req/s {[x[0] for x in xs]}")
PY
