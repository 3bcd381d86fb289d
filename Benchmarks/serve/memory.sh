#!/usr/bin/env bash
# Resident memory of `wordpipe serve` (issue 20, "Memory"): starts the server on VECTORS, sends
# warm-up requests (200 nearest, analogy 3CosAdd and 3CosMul, similarity, nearest with its map,
# then 2,000 more nearest) and prints VmRSS, VmHWM, RssAnon and RssFile from /proc/PID/status
# (KiB) after each step, and the ratio of VmRSS to the file's size at the end.
#
# Usage: Benchmarks/serve/memory.sh WORDPIPE VECTORS WORDS [PORT]
#   WORDS: query words, one a line (Benchmarks/serve/run.sh writes out/SET.words)
set -u
BIN=$1; VECTORS=$2; WORDS=$3; PORT=${4:-18191}
"$BIN" serve --vectors "$VECTORS" --port "$PORT" 2>/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
status() { grep -E "^(VmRSS|VmHWM|RssAnon|RssFile):" /proc/$PID/status | awk '{printf "%s %s  ", $1, $2}'; echo; }
post() { curl -s -o /dev/null -w '%{http_code} ' -X POST -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$PORT$1"; }
echo "after start:                                  $(status)"
for w in $(head -n 200 "$WORDS"); do post /v1/nearest "{\"word\": \"$w\", \"k\": 10}" >/dev/null; done
echo "after 200 nearest:                            $(status)"
set -- $(head -n 3 "$WORDS")
codes=$(post /v1/analogy "{\"a\": \"$1\", \"b\": \"$2\", \"c\": \"$3\"}"
        post /v1/analogy "{\"a\": \"$1\", \"b\": \"$2\", \"c\": \"$3\", \"method\": \"mul\"}"
        post /v1/similarity "{\"first\": \"$1\", \"second\": \"$2\"}"
        post /v1/nearest "{\"word\": \"$1\", \"k\": 10, \"map\": true}")
echo "after analogy add + mul, similarity, map ($codes): $(status)"
for w in $(head -n 2000 "$WORDS"); do post /v1/nearest "{\"word\": \"$w\", \"k\": 10}" >/dev/null; done
echo "after 2,000 more nearest:                     $(status)"
rss=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$PID/status)
hwm=$(awk '/^VmHWM/ {print $2 * 1024}' /proc/$PID/status)
size=$(stat -c %s "$VECTORS")
echo "VmRSS $rss bytes = $(awk -v r=$rss -v s=$size 'BEGIN {printf "%.2f", r / s}')x the file ($size bytes); VmHWM $(awk -v r=$hwm -v s=$size 'BEGIN {printf "%.2f", r / s}')x"
