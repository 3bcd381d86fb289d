#!/usr/bin/env bash
# Continued training (`wordpipe train --init`, issue 18 item 4): train on the first half of the
# text8-style lines corpus, then continue on the second half, against one run on the whole
# corpus with the same total epochs (EPOCHS on each half = EPOCHS over the whole: the same
# words trained). Skip-gram, dim 100, window 5, neg 5, sample 1e-3, min-count 5, alpha 0.025
# (restarted for the second step), seed 1; the subword variant adds minn 3, maxn 6 and 2M buckets.
#
# The first half is written as a fastText `.bin` (`--format fasttext-bin`, which keeps
# training's output rows) and converted to the native format (which does not keep them), and the
# second step is run from each: "init .bin" continues the output rows, "init .wpv" starts them at
# zero as word2vec does. Each result is scored by `wordpipe evaluate`: analogies restricted to the
# 30,000 most frequent words, WS353 Spearman (unseen pairs skipped).
#
# Usage: Benchmarks/subwords/continued.sh
# Environment (all optional):
#   SLICE=16941        lines of 1,000 words (default: the whole corpus, 16.9M words)
#   EPOCHS=5           epochs of each run
#   THREADS=2          training threads
#   VARIANTS="plain subwords"
#   SCRATCH=dir        SwiftPM scratch path of the release build (default: .build-bench-subwords)
#   WORDPIPE=path      use this wordpipe binary instead of building one
#   OUTDIR=dir         vectors, logs and report (default: Benchmarks/subwords/out-continued)
#   CORPUS=file.gz     the lines corpus (default: ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz)
#   EVAL=dir           questions-words.txt and wordsim353.tsv (default: ../shared/data/eval)
# Steps whose output exists are not run again (delete OUTDIR to start over).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SLICE=${SLICE:-16941}
EPOCHS=${EPOCHS:-5}
THREADS=${THREADS:-2}
VARIANTS=${VARIANTS:-plain subwords}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-subwords}
WORDPIPE=${WORDPIPE:-}
OUTDIR=${OUTDIR:-$HERE/out-continued}
CORPUS=${CORPUS:-$ROOT/../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz}
EVAL=${EVAL:-$ROOT/../shared/data/eval}

die() { echo "continued.sh: error: $*" >&2; exit 1; }
log() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

[ -f "$CORPUS" ] || die "no corpus at $CORPUS; set CORPUS"
[ -f "$EVAL/questions-words.txt" ] && [ -f "$EVAL/wordsim353.tsv" ] || die "no evaluation sets in $EVAL; set EVAL"
mkdir -p "$OUTDIR"
if [ -z "$WORDPIPE" ]; then
    log "building wordpipe (release, $SCRATCH)"
    (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product wordpipe >&2)
    WORDPIPE=$SCRATCH/release/wordpipe
fi

# The corpus: the first SLICE lines, cut into two halves by lines.
if [ ! -s "$OUTDIR/whole.txt" ]; then
    log "corpus: first $SLICE lines"
    gzip -dc "$CORPUS" | head -n "$SLICE" > "$OUTDIR/whole.txt.tmp" || true
    mv "$OUTDIR/whole.txt.tmp" "$OUTDIR/whole.txt"
fi
LINES=$(wc -l < "$OUTDIR/whole.txt")
HALF=$((LINES / 2))
[ -s "$OUTDIR/first.txt" ] || head -n "$HALF" "$OUTDIR/whole.txt" > "$OUTDIR/first.txt"
[ -s "$OUTDIR/second.txt" ] || tail -n +"$((HALF + 1))" "$OUTDIR/whole.txt" > "$OUTDIR/second.txt"
log "whole $(wc -w < "$OUTDIR/whole.txt") words, first half $(wc -w < "$OUTDIR/first.txt"), second half $(wc -w < "$OUTDIR/second.txt")"

COMMON=(--dim 100 --window 5 --negative 5 --sample 1e-3 --min-count 5 --alpha 0.025 --epochs "$EPOCHS" --seed 1
        --threads "$THREADS" --progress never)

# train NAME OUTPUT ARGS...: runs once, keeps the log (its last line is the summary) and the wall time.
train() {
    local name=$1 output=$2
    shift 2
    [ -s "$output" ] && { log "$name: kept ($output)"; return; }
    log "$name"
    local start end
    start=$(date +%s.%N)
    "$WORDPIPE" train "$@" -o "$output" "${COMMON[@]}" 2> "$OUTDIR/$name.log"
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.1f\n", $2 - $1 }' > "$OUTDIR/$name.wall"
}

score() {
    "$WORDPIPE" evaluate --vectors "$1" --analogies "$EVAL/questions-words.txt" --pairs "$EVAL/wordsim353.tsv" --restrict 30000 --json
}

REPORT=$OUTDIR/report.md
{
    echo "| variant | run | analogy % (30k) | questions | WS353 Spearman | pairs | train s | wall s |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
} > "$REPORT.tmp"
for variant in $VARIANTS; do
    case $variant in
        plain) EXTRA=() ;;
        subwords) EXTRA=(--subwords 3-6 --buckets 2000000) ;;
        *) die "unknown variant $variant (plain or subwords)" ;;
    esac
    dir=$OUTDIR/$variant
    mkdir -p "$dir"
    train "$variant-whole" "$dir/whole.wpv" "$OUTDIR/whole.txt" "${EXTRA[@]}"
    train "$variant-first" "$dir/first.bin" "$OUTDIR/first.txt" --format fasttext-bin "${EXTRA[@]}"
    [ -s "$dir/first.wpv" ] || "$WORDPIPE" convert "$dir/first.bin" -o "$dir/first.wpv" --format native
    # Dimension and n-grams come from the --init file.
    train "$variant-init-bin" "$dir/init-bin.wpv" --init "$dir/first.bin" "$OUTDIR/second.txt"
    train "$variant-init-wpv" "$dir/init-wpv.wpv" --init "$dir/first.wpv" "$OUTDIR/second.txt"
    for run in whole first init-bin init-wpv; do
        vectors=$dir/$run.wpv
        [ "$run" = first ] && vectors=$dir/first.wpv
        log "evaluate $variant $run"
        score "$vectors" > "$dir/$run.eval.json"
        seconds=$(grep -o 'words in [0-9.]* s' "$OUTDIR/$variant-$run.log" | tail -1 | awk '{ print $3 }')
        python3 - "$dir/$run.eval.json" "$variant" "$run" "$seconds" "$(cat "$OUTDIR/$variant-$run.wall")" >> "$REPORT.tmp" <<'EOF'
import json, sys
path, variant, run, seconds, wall = sys.argv[1:6]
data = json.load(open(path))
analogy = next(v for k, v in data.items() if k.startswith("analogies:"))["total"]
pairs = next(v for k, v in data.items() if k.startswith("pairs:"))
questions = analogy["correct"] + analogy["incorrect"]
names = {"whole": "whole corpus", "first": "first half only", "init-bin": "first half, then --init .bin (output rows kept)",
         "init-wpv": "first half, then --init .wpv (output rows from zero)"}
print(f"| {variant} | {names[run]} | {100 * analogy['accuracy']:.2f} | {questions:,} | {pairs['spearman']:.4f} | {pairs['pairs']} | {seconds} | {wall} |")
EOF
    done
done
mv "$REPORT.tmp" "$REPORT"
cat "$REPORT"
