#!/usr/bin/env bash
# WordPipe training benchmark: skip-gram with negative sampling, `wordpipe train` (batched
# pWord2Vec kernel and --no-batched word2vec-style reference) vs gensim 4.4 Word2Vec and
# fastText 0.9.2, at 1 and 2 threads, same plain corpus file and settings; vector quality
# scored with gensim for every system; interop checks (gensim reads wordpipe's word2vec files).
#
# Usage: Benchmarks/train/run.sh
# Environment (all optional):
#   R=1                 repetitions per system (median is reported; R=3 for a steadier table)
#   INPUT=file.gz       gzip corpus, one sentence per line (default:
#                       ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz);
#                       decompressed once (untimed) to OUTDIR/, and every system reads that plain file
#   WORDPIPE=path       wordpipe binary (default: .build/release/wordpipe, built with
#                       `swift build -c release --product wordpipe` only when missing).
#                       It is copied to OUTDIR/bin first so a rebuild during the run cannot mix binaries.
#   SYSTEMS="..."       which systems to run, in this order within each repetition (default: all):
#                         wp1 wp2        wordpipe train --threads 1/2 (batched kernel, the default)
#                         wpnb1 wpnb2    wordpipe train --no-batched --threads 1/2
#                         gs1 gs2        gensim Word2Vec(corpus_file=..., workers=1/2)
#                         ft1 ft2        fasttext skipgram -thread 1/2
#   INTEROP=1           after the repetitions, one more `wordpipe train --threads 1 --format
#                       word2vec-text` run, and the nearest-neighbour checks (0 = skip)
#   WORDS="king france computer music two"   words for the nearest-neighbour interop check
#   EPOCHS=5            epochs (for smoke tests only; the table's settings use 5)
#   QUESTIONS=file PAIRS=file   analogy questions / word pairs (default: ../shared/data/eval/
#                       questions-words.txt and wordsim353.tsv)
#   RESCORE=1           skip training: score the vectors of the last run in OUTDIR again and rewrite
#                       its report (timings, load and command are those saved in OUTDIR/run.env)
#   OUTDIR=dir          outputs, logs and report (default: Benchmarks/train/out)
#   PYTHON=python3      interpreter used to create the venv and write the report
#   VENV=dir            the venv with gensim and threadpoolctl (default Benchmarks/.venv)
# Every system is timed wall-clock around the whole command, peak RSS via /usr/bin/time %M.
# Training seconds: wordpipe's own summary line; gensim's train() alone (perf_counter);
# fastText: its own final words/sec/thread printout, turned back into seconds
# (tokens it counts = words + one </s> per line, x epochs). words/s for every system =
# corpus words (`wc -w` of the plain file) x epochs / training seconds.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Peers at full speed: gensim's commands run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset
# (`peer`); wordpipe keeps this script's environment. The report names gensim's BLAS kernel.
# shellcheck source=../peer_env.sh
source "$ROOT/Benchmarks/peer_env.sh"
R=${R:-1}
INPUT=${INPUT:-}
USER_INPUT=$INPUT
USER_WORDPIPE=${WORDPIPE:-}
ALL_SYSTEMS="wp1 gs1 ft1 wpnb1 wp2 gs2 ft2 wpnb2"
SYSTEMS=${SYSTEMS:-$ALL_SYSTEMS}
USER_SYSTEMS=$SYSTEMS
INTEROP=${INTEROP:-1}
WORDS=${WORDS:-king france computer music two}
EPOCHS=${EPOCHS:-5}
QUESTIONS=${QUESTIONS:-}
PAIRS=${PAIRS:-}
OUTDIR=${OUTDIR:-$HERE/out}
RESCORE=${RESCORE:-0}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
GENSIM_VERSION=4.4.0
FASTTEXT_VERSION=0.9.2

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
has() { [[ " $SYSTEMS " == *" $1 "* ]]; }
has_any() { local s; for s in "$@"; do has "$s" && return 0; done; return 1; }
find_shared() { # relative path under shared/ -> absolute path, or empty
  local f
  for f in "$ROOT/../shared/$1" "/work/shared/$1"; do
    if [[ -e "$f" ]]; then echo "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"; return; fi
  done
}

[[ "$R" =~ ^[1-9][0-9]*$ ]] || die "R must be a positive integer (got '$R')"
[[ "$EPOCHS" =~ ^[1-9][0-9]*$ ]] || die "EPOCHS must be a positive integer (got '$EPOCHS')"
[[ "$INTEROP" == 0 || "$INTEROP" == 1 ]] || die "INTEROP must be 0 or 1 (got '$INTEROP')"
[[ "$RESCORE" == 0 || "$RESCORE" == 1 ]] || die "RESCORE must be 0 or 1 (got '$RESCORE')"
if [[ "$RESCORE" == 1 ]]; then
  [[ -s "$OUTDIR/run.env" && -s "$OUTDIR/results.tsv" ]] || die "RESCORE=1 needs a finished run in $OUTDIR (run.env, results.tsv)"
  # The settings of the run being scored again (R, SYSTEMS, INPUT, EPOCHS, INTEROP, WORDS, load, ...).
  # shellcheck disable=SC1091
  source "$OUTDIR/run.env"
fi
for s in $SYSTEMS; do
  [[ " $ALL_SYSTEMS " == *" $s "* ]] || die "unknown system '$s' in SYSTEMS (known: $ALL_SYSTEMS)"
done
[[ -n "${SYSTEMS// /}" ]] || die "SYSTEMS is empty"

[[ -n "$INPUT" ]] || INPUT=$(find_shared data/corpora/enwiki-2015-text8style-100M.lines.txt.gz)
[[ -n "$INPUT" ]] || die "no INPUT given and enwiki-2015-text8style-100M.lines.txt.gz was not found"
[[ -f "$INPUT" ]] || die "INPUT '$INPUT' is not a file"
[[ "$INPUT" == *.gz ]] || die "INPUT must be a .gz file (got '$INPUT')"
INPUT=$(cd "$(dirname "$INPUT")" && pwd)/$(basename "$INPUT")
[[ -n "$QUESTIONS" ]] || QUESTIONS=$(find_shared data/eval/questions-words.txt)
[[ -n "$PAIRS" ]] || PAIRS=$(find_shared data/eval/wordsim353.tsv)
[[ -f "$QUESTIONS" ]] || die "analogy questions not found (set QUESTIONS=file)"
[[ -f "$PAIRS" ]] || die "word pairs not found (set PAIRS=file)"

# ---------------------------------------------------------------- tools
need_pkgs=()
[[ -x /usr/bin/time ]] || need_pkgs+=(time)
if has_any ft1 ft2 && ! command -v fasttext >/dev/null; then need_pkgs+=(fasttext); fi
if ((${#need_pkgs[@]})); then
  log "installing with apt: ${need_pkgs[*]}"
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
FT_VER=""
if has_any ft1 ft2; then
  FASTTEXT=$(command -v fasttext) || die "fasttext not found after apt-get install fasttext"
  FT_VER=$(dpkg-query -W -f '${Version}' fasttext 2>/dev/null || echo '?')
  [[ "$FT_VER" == "$FASTTEXT_VERSION"* ]] || log "warning: fastText package version is $FT_VER, not $FASTTEXT_VERSION"
fi

mkdir -p "$OUTDIR/logs" "$OUTDIR/bin" "$OUTDIR/vectors" "$OUTDIR/eval"

# ---------------------------------------------------------------- gensim (shared venv, idempotent)
# Always needed: gensim scores every system's vectors.
if ! "$VENV/bin/python" -c "import gensim, threadpoolctl, sys; sys.exit(gensim.__version__ != '$GENSIM_VERSION')" 2>/dev/null; then
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      [[ $(id -u) == 0 ]] || die "'$PYTHON -m venv' failed; install python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    fi
  fi
  log "installing gensim==$GENSIM_VERSION into $VENV"
  "$VENV/bin/pip" install -q "gensim==$GENSIM_VERSION" threadpoolctl || die "pip install gensim==$GENSIM_VERSION threadpoolctl failed"
  "$VENV/bin/python" -c 'import gensim' || die "gensim installed but does not import"
fi
VPY=$VENV/bin/python

# ---------------------------------------------------------------- wordpipe
WP_ORIGIN=${WP_ORIGIN:-}
if [[ "$RESCORE" == 1 ]]; then
  WP=$OUTDIR/bin/wordpipe
  [[ -x "$WP" ]] || die "RESCORE=1: $WP is missing"
  log "RESCORE=1: scoring the vectors of the run of $RUN_DATE again with $WP ($WP_ORIGIN)"
elif has_any wp1 wp2 wpnb1 wpnb2 || [[ "$INTEROP" == 1 ]]; then
  WORDPIPE=${WORDPIPE:-$ROOT/.build/release/wordpipe}
  if [[ ! -x "$WORDPIPE" && -z "$USER_WORDPIPE" ]]; then
    command -v swift >/dev/null || die "no $WORDPIPE and swift not found: set WORDPIPE=path/to/wordpipe"
    log "building wordpipe (swift build -c release --product wordpipe)"
    (cd "$ROOT" && swift build -c release --product wordpipe) >&2 \
      || die "swift build -c release --product wordpipe failed in $ROOT"
  fi
  [[ -x "$WORDPIPE" ]] || die "WORDPIPE='$WORDPIPE' is not an executable file"
  WORDPIPE=$(cd "$(dirname "$WORDPIPE")" && pwd)/$(basename "$WORDPIPE")
  WP_ORIGIN="${WORDPIPE#"$ROOT/"} ($(date -u -r "$WORDPIPE" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$WORDPIPE" | cut -c1-12))"
  cp "$WORDPIPE" "$OUTDIR/bin/wordpipe"
  WP=$OUTDIR/bin/wordpipe
  log "wordpipe: $WP_ORIGIN, copied to $WP"
fi

# ---------------------------------------------------------------- input
PLAIN=$OUTDIR/$(basename "${INPUT%.gz}")
if [[ "$RESCORE" == 1 ]]; then
  [[ -s "$PLAIN" ]] || die "RESCORE=1: $PLAIN is missing"
elif [[ ! -s "$PLAIN" || "$INPUT" -nt "$PLAIN" ]]; then
  log "decompressing $INPUT to $PLAIN (not timed)"
  gzip -dc "$INPUT" > "$PLAIN.tmp" && mv "$PLAIN.tmp" "$PLAIN"
fi
read -r CORPUS_LINES CORPUS_WORDS PLAIN_BYTES < <(wc -lwc < "$PLAIN")   # also warms the page cache
log "input: $PLAIN ($PLAIN_BYTES bytes, $CORPUS_WORDS words, $CORPUS_LINES lines)"

# ---------------------------------------------------------------- run
COMMON="--epochs $EPOCHS --dim 100 --window 5 --negative 5 --sample 1e-3 --min-count 5 --seed 1"
FT_COMMON="-dim 100 -ws 5 -neg 5 -t 1e-3 -minCount 5 -epoch $EPOCHS -minn 0 -maxn 0 -lr 0.025"
threads_of() { echo "${1: -1}"; }
out_for() { # system rep -> output file (prefix for fastText)
  case $1 in
    wp*) echo "$OUTDIR/vectors/$1.rep$2.bin" ;;
    gs*) echo "$OUTDIR/vectors/$1.rep$2.bin" ;;
    ft*) echo "$OUTDIR/vectors/$1.rep$2" ;;
  esac
}
vec_for() { # system rep -> the vectors file to score
  case $1 in ft*) echo "$(out_for "$1" "$2").vec" ;; *) out_for "$1" "$2" ;; esac
}
cmd_for() { # system output -> command array in CMD
  local t; t=$(threads_of "$1")
  # shellcheck disable=SC2206
  case $1 in
    wp1|wp2)     CMD=("$WP" train "$PLAIN" -o "$2" --format word2vec-bin --threads "$t" $COMMON) ;;
    wpnb1|wpnb2) CMD=("$WP" train "$PLAIN" -o "$2" --format word2vec-bin --threads "$t" $COMMON --no-batched) ;;
    gs1|gs2)     CMD=("${PEER[@]}" "$VPY" "$HERE/gensim_train.py" "$PLAIN" "$2" --threads "$t" --epochs "$EPOCHS") ;;
    ft1|ft2)     CMD=("$FASTTEXT" skipgram -input "$PLAIN" -output "$2" $FT_COMMON -thread "$t") ;;
  esac
}
short_cmd() { # human-readable command for the report
  local t; t=$(threads_of "$1")
  case $1 in
    wp1|wp2)     echo "wordpipe train \$PLAIN -o OUT.bin --format word2vec-bin --threads $t $COMMON" ;;
    wpnb1|wpnb2) echo "wordpipe train \$PLAIN -o OUT.bin --format word2vec-bin --threads $t $COMMON --no-batched" ;;
    gs1|gs2)     echo "python gensim_train.py \$PLAIN OUT.bin --threads $t  # Word2Vec(sg=1, vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=$EPOCHS, workers=$t, seed=1); build_vocab(corpus_file=\$PLAIN); train(corpus_file=\$PLAIN, total_words=model.corpus_total_words, epochs=$EPOCHS); wv.save_word2vec_format(OUT.bin, binary=True)" ;;
    ft1|ft2)     echo "fasttext skipgram -input \$PLAIN -output PREFIX $FT_COMMON -thread $t" ;;
  esac
}

run_timed() { # name rep output -> appends to RESULTS; CMD must be set
  local s=$1 rep=$2 out=$3 errf=$OUTDIR/logs/$1.rep$2.stderr timef=$OUTDIR/logs/$1.rep$2.time t0 t1 secs rss load0 load1
  load0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s%N)
  if ! /usr/bin/time -f '%M' -o "$timef" "${CMD[@]}" >"$OUTDIR/logs/$s.rep$rep.stdout" 2>"$errf"; then
    tail -n 20 "$errf" >&2
    die "$s failed (rep $rep): ${CMD[*]}"
  fi
  t1=$(date +%s%N)
  [[ -s "$out" ]] || die "$s wrote no vectors to $out"
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  rss=$(tail -n 1 "$timef")
  load1=$(cut -d' ' -f1 /proc/loadavg)
  printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$rep" "$secs" "$rss" "$errf" "$out" "$load0" "$load1" >> "$RESULTS"
  log "rep $rep/$R $s: ${secs}s, peak RSS ${rss} KiB | $(tr '\r' '\n' < "$errf" | grep -v '^ *$' | tail -n 1)"
}

RESULTS=$OUTDIR/results.tsv
TXT=""
[[ "$INTEROP" == 1 ]] && TXT=$OUTDIR/vectors/wptxt.txt
if [[ "$RESCORE" == 0 ]]; then
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_START=$(uptime)
RUN_DATE=$(date +%F)
log "uptime: $UPTIME_START"
rm -f "$OUTDIR/run.env"
printf 'system\trep\tseconds\tmaxrss_kib\tstderr\tvectors\tload1_start\tload1_end\n' > "$RESULTS"
# Round-robin over systems in each repetition, so machine noise spreads evenly.
for ((rep = 1; rep <= R; rep++)); do
  for s in $SYSTEMS; do
    out=$(out_for "$s" "$rep")
    vec=$(vec_for "$s" "$rep")
    rm -f "$out" "$vec" "$out.bin"
    cmd_for "$s" "$out"
    run_timed "$s" "$rep" "$vec"
    if [[ $s == ft* ]]; then rm -f "$out.bin"; fi   # fastText's model file is not scored; the .vec is
  done
done

# ---------------------------------------------------------------- interop: a word2vec-text run
if [[ "$INTEROP" == 1 ]]; then
  rm -f "$TXT"
  CMD=("$WP" train "$PLAIN" -o "$TXT" --format word2vec-text --threads 1 $COMMON)
  run_timed wptxt 1 "$TXT"
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
UPTIME_END=$(uptime)
log "uptime: $UPTIME_END"
CMDLINE="R=$R${USER_INPUT:+ INPUT=$USER_INPUT}${USER_WORDPIPE:+ WORDPIPE=$USER_WORDPIPE}"
[[ "$USER_SYSTEMS" != "$ALL_SYSTEMS" ]] && CMDLINE+=" SYSTEMS=\"$SYSTEMS\""
[[ "$INTEROP" != 1 ]] && CMDLINE+=" INTEROP=$INTEROP"
[[ "$EPOCHS" != 5 ]] && CMDLINE+=" EPOCHS=$EPOCHS"
CMDLINE+=" Benchmarks/train/run.sh"
# What RESCORE=1 needs to score this run again and rewrite the same report.
for v in R SYSTEMS INPUT EPOCHS INTEROP WORDS LOAD_START LOAD_END UPTIME_START UPTIME_END RUN_DATE WP_ORIGIN FT_VER CMDLINE; do
  printf '%s=%q\n' "$v" "${!v}"
done > "$OUTDIR/run.env"
fi  # RESCORE == 0

# ---------------------------------------------------------------- quality (gensim for every file)
mapfile -t VEC_FILES < <(tail -n +2 "$RESULTS" | cut -f6)
log "scoring ${#VEC_FILES[@]} vector files with gensim (analogies restrict_vocab=30000, WS353)"
peer "$VPY" "$HERE/quality.py" eval "$QUESTIONS" "$PAIRS" "${VEC_FILES[@]}" > "$OUTDIR/eval/gensim.jsonl" 2>"$OUTDIR/logs/quality.stderr" \
  || { tail -n 20 "$OUTDIR/logs/quality.stderr" >&2; die "gensim scoring failed"; }
for f in "${VEC_FILES[@]}"; do
  b=$(basename "$f")
  [[ $b == wp* ]] || continue
  "$WP" evaluate --vectors "$f" --analogies "$QUESTIONS" --pairs "$PAIRS" --restrict 30000 --json \
    > "$OUTDIR/eval/$b.wordpipe.json" 2>"$OUTDIR/logs/$b.evaluate.stderr" \
    || { cat "$OUTDIR/logs/$b.evaluate.stderr" >&2; die "wordpipe evaluate failed on $f"; }
  # --restrict applies to the pairs as well; gensim's evaluate_word_pairs default is 300000.
  "$WP" evaluate --vectors "$f" --pairs "$PAIRS" --restrict 300000 --json \
    > "$OUTDIR/eval/$b.wordpipe-pairs300k.json" 2>>"$OUTDIR/logs/$b.evaluate.stderr" \
    || { cat "$OUTDIR/logs/$b.evaluate.stderr" >&2; die "wordpipe evaluate --restrict 300000 failed on $f"; }
done

# ---------------------------------------------------------------- interop: nearest neighbours
NN_FILES=()
if [[ "$INTEROP" == 1 ]]; then
  for s in wp1 wp2 wpnb1 wpnb2; do   # the first wordpipe binary file of the last repetition
    if has "$s"; then NN_FILES+=("$(out_for "$s" "$R")"); break; fi
  done
  NN_FILES+=("$TXT")
  # shellcheck disable=SC2086
  peer "$VPY" "$HERE/quality.py" nearest "$(echo $WORDS | tr ' ' ',')" "${NN_FILES[@]}" > "$OUTDIR/eval/nearest.gensim.jsonl" \
    2>"$OUTDIR/logs/nearest.stderr" || { tail -n 20 "$OUTDIR/logs/nearest.stderr" >&2; die "gensim most_similar failed"; }
  : > "$OUTDIR/eval/nearest.wordpipe.jsonl"
  for f in "${NN_FILES[@]}"; do
    for w in $WORDS; do
      "$WP" nearest --vectors "$f" -k 5 "$w" > "$OUTDIR/eval/nearest.$(basename "$f").$w.txt" 2>>"$OUTDIR/logs/nearest.stderr" || true
      if j=$("$WP" nearest --vectors "$f" -k 5 --json "$w" 2>>"$OUTDIR/logs/nearest.stderr"); then
        printf '{"file": "%s", "word": "%s", "answer": %s}\n' "$f" "$w" "$j" >> "$OUTDIR/eval/nearest.wordpipe.jsonl"
      else
        printf '{"file": "%s", "word": "%s", "answer": null}\n' "$f" "$w" >> "$OUTDIR/eval/nearest.wordpipe.jsonl"
      fi
    done
  done
  # Same seed, one thread: the text run should hold the same vectors as the binary run.
  if [[ "${NN_FILES[0]}" == */wp1.rep*.bin ]]; then
    "$VPY" - "${NN_FILES[0]}" "$TXT" > "$OUTDIR/eval/txt_vs_bin.json" <<'EOF'
import json, sys
import numpy as np
from gensim.models import KeyedVectors
a = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)
b = KeyedVectors.load_word2vec_format(sys.argv[2], binary=False)
same = a.index_to_key == b.index_to_key
print(json.dumps({"same_words": same, "words": len(b),
                  "max_abs_diff": float(np.abs(a.vectors - b.vectors).max()) if same else None}))
EOF
  fi
fi

# ---------------------------------------------------------------- report
export RESULTS OUTDIR CMDLINE RUN_DATE RESCORE R LOAD_START LOAD_END UPTIME_START UPTIME_END EPOCHS INTEROP WORDS TXT
export CORPUS_WORDS CORPUS_LINES PLAIN_BYTES WP_ORIGIN FT_VER
export INPUT_NAME=$(basename "$INPUT") PLAIN_NAME=$(basename "$PLAIN")
export NN_LIST="${NN_FILES[*]:-}"
export CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export NCPU=$(nproc)
export GENSIM_VER=$("$VPY" -c 'import gensim; print(gensim.__version__)' 2>/dev/null || echo '?')
export PEER_BLAS=$(peer_blas "$VPY" numpy scipy.linalg gensim.models.word2vec_inner)
export CORETYPE=${OPENBLAS_CORETYPE-<unset>}
export PY_VER=$("$VPY" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')
for s in $ALL_SYSTEMS; do export "CMD_$s=$(short_cmd "$s")"; done
set +e
"$PYTHON" "$HERE/report.py" | tee "$OUTDIR/report.md"
status=${PIPESTATUS[0]}
exit "$status"
