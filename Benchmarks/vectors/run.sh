#!/usr/bin/env bash
# WordPipe vector-query benchmark: `wordpipe nearest` top-10 latency (p50/p99, single queries and a
# batch) against gensim 4.4's KeyedVectors.most_similar, side by side on the same files, and the
# agreement of `wordpipe evaluate --json` with gensim's evaluate_word_analogies / evaluate_word_pairs.
#
# Usage: Benchmarks/vectors/run.sh
# Environment (all optional):
#   VECTORS=file        trained vectors for part (b) (any format both read: word2vec binary/text, GloVe).
#                       Default: train them with `wordpipe train` on the first TRAIN_MB MB of
#                       ../shared/data/corpora/enwiki-2015-text8style-100M.lines.txt.gz, 1 epoch
#                       (kept in OUTDIR and reused by later runs; RETRAIN=1 trains again).
#   TRAIN_MB=20         corpus size for the default training
#   ROWS=100000 DIM=300 SEED=42   the random matrix of part (a), written once as word2vec binary
#   REPS=1000           single queries per system (split into ROUNDS rounds, systems take turns)
#   ROUNDS=5  BATCH=1000  BATCH_REPS=3  K=10
#   BLAS_THREADS="1 2"  OPENBLAS_NUM_THREADS for every process of a latency run (harness, wordpipe,
#                       gensim server); each value is a separate run. Both sides use OpenBLAS (pthreads).
#   ANALOGIES=file      questions file (default: ../shared/data/eval/questions-words.txt, else gensim's copy)
#   PAIRS="f1 f2"       word-pair files (default: wordsim353.tsv and simlex999.txt from the same place)
#   RESTRICT=30000      vocabulary restriction of the evaluation (wordpipe --restrict, gensim restrict_vocab)
#   PARTS="random trained"   which parts to run; add "hnsw" for the approximate index against hnswlib
#                       (on the trained vectors and the random matrix) and "bandwidth" for the scan
#                       kernels against a memory read loop (Benchmarks/vectors/scanbench.c)
#   HNSW_M=16 HNSW_EFC=200 HNSW_EF="10 20 40 80 160" HNSW_QUERIES=1000   settings of the hnsw part
#   WORDPIPE=path       wordpipe binary (default: `swift build -c release --product wordpipe`, with
#                       --scratch-path $SCRATCH_PATH when that is set); copied to OUTDIR/bin first
#   OUTDIR=dir          outputs, logs and report (default: Benchmarks/vectors/out)
#   VENV=dir            the Python venv (default Benchmarks/.venv) with gensim 4.4.0 and threadpoolctl
#                       (created and installed when missing)
# Peers at full speed (Benchmarks/peer_env.sh): the harness, which runs gensim in-process and as a
# server, runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; wordpipe, its child, gets them
# back exactly as this script was given them. The report names the peer's BLAS kernel.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../peer_env.sh
source "$ROOT/Benchmarks/peer_env.sh"
# What wordpipe must get back (the harness runs as a peer, without them).
[[ -n "${OPENBLAS_CORETYPE+x}" ]] && export WORDPIPE_KEEP_OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE
[[ -n "${OPENBLAS_L2_SIZE+x}" ]] && export WORDPIPE_KEEP_OPENBLAS_L2_SIZE=$OPENBLAS_L2_SIZE
VECTORS=${VECTORS:-}
USER_VECTORS=$VECTORS
TRAIN_MB=${TRAIN_MB:-20}
ROWS=${ROWS:-100000}
DIM=${DIM:-300}
SEED=${SEED:-42}
REPS=${REPS:-1000}
ROUNDS=${ROUNDS:-5}
BATCH=${BATCH:-1000}
BATCH_REPS=${BATCH_REPS:-3}
K=${K:-10}
RESTRICT=${RESTRICT:-30000}
PARTS=${PARTS:-random trained}
BLAS_THREADS=${BLAS_THREADS:-1 2}
OUTDIR=${OUTDIR:-$HERE/out}
USER_WORDPIPE=${WORDPIPE:-}
VENV=${VENV:-$ROOT/Benchmarks/.venv}
PY=$VENV/bin/python
GENSIM_VERSION=4.4.0

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
has() { [[ " $PARTS " == *" $1 "* ]]; }

for v in TRAIN_MB ROWS DIM REPS ROUNDS BATCH BATCH_REPS K RESTRICT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer (got '$SEED')"
for p in $PARTS; do case $p in random|trained|hnsw|bandwidth) ;; *) die "unknown part '$p' in PARTS (random, trained, hnsw, bandwidth)" ;; esac; done
HNSW_M=${HNSW_M:-16}
HNSW_EFC=${HNSW_EFC:-200}
HNSW_EF=${HNSW_EF:-10 20 40 80 160}
HNSW_QUERIES=${HNSW_QUERIES:-1000}
for t in $BLAS_THREADS; do [[ "$t" =~ ^[1-9][0-9]*$ ]] || die "BLAS_THREADS must list positive integers (got '$BLAS_THREADS')"; done
[[ -z "$VECTORS" || -f "$VECTORS" ]] || die "VECTORS='$VECTORS' is not a file"

find_shared() { # relative path under shared/data -> absolute path, or nothing
  local f
  for f in "$ROOT/../shared/data/$1" "/work/shared/data/$1"; do
    if [[ -e "$f" ]]; then echo "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"; return; fi
  done
}

# ---------------------------------------------------------------- tools
if ! "$PY" -c "import gensim, threadpoolctl, hnswlib, sys; sys.exit(gensim.__version__ != '$GENSIM_VERSION')" 2>/dev/null; then
  log "creating $VENV with gensim==$GENSIM_VERSION"
  if [[ ! -x "$PY" ]]; then
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      [[ $(id -u) == 0 ]] || die "'python3 -m venv' failed; install python3-venv"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    fi
  fi
  "$VENV/bin/pip" install -q "gensim==$GENSIM_VERSION" threadpoolctl hnswlib || die "pip install gensim==$GENSIM_VERSION threadpoolctl failed"
fi
GENSIM_DATA=$("$PY" -c 'import gensim.test.utils as u; print(u.module_path + "/test_data")' 2>/dev/null || true)

ANALOGIES=${ANALOGIES:-$(find_shared eval/questions-words.txt)}
ANALOGIES=${ANALOGIES:-$GENSIM_DATA/questions-words.txt}
if [[ -z "${PAIRS:-}" ]]; then
  PAIRS=""
  for f in wordsim353.tsv simlex999.txt; do
    p=$(find_shared "eval/$f"); p=${p:-$GENSIM_DATA/$f}
    PAIRS="$PAIRS $p"
  done
fi
for f in $ANALOGIES $PAIRS; do [[ -f "$f" ]] || die "evaluation file '$f' not found"; done

mkdir -p "$OUTDIR/logs" "$OUTDIR/bin"

# ---------------------------------------------------------------- wordpipe
if [[ -n "$USER_WORDPIPE" ]]; then
  [[ -x "$USER_WORDPIPE" ]] || die "WORDPIPE='$USER_WORDPIPE' is not an executable file"
  SRC_WORDPIPE=$USER_WORDPIPE
else
  command -v swift >/dev/null || die "swift not found: install the toolchain or set WORDPIPE=path/to/wordpipe"
  SCRATCH=()
  [[ -n "${SCRATCH_PATH:-}" ]] && SCRATCH=(--scratch-path "$SCRATCH_PATH")
  log "building wordpipe (swift build -c release --product wordpipe ${SCRATCH[*]})"
  (cd "$ROOT" && swift build -c release --product wordpipe "${SCRATCH[@]}") >&2 || die "swift build -c release failed in $ROOT"
  SRC_WORDPIPE=$(cd "$ROOT" && swift build -c release --show-bin-path "${SCRATCH[@]}")/wordpipe
fi
# A copy, so that a rebuild during the run cannot change the binary under test.
cp "$SRC_WORDPIPE" "$OUTDIR/bin/wordpipe"
WORDPIPE=$OUTDIR/bin/wordpipe
log "wordpipe: $SRC_WORDPIPE (copied to $WORDPIPE)"

# ---------------------------------------------------------------- (a) random matrix
LATENCY=()
if has random; then
  RANDOM_VECS=$OUTDIR/random-${ROWS}x${DIM}-seed${SEED}.bin
  if [[ ! -f "$RANDOM_VECS" ]]; then
    log "writing $RANDOM_VECS (numpy default_rng($SEED).standard_normal, float32)"
    "$PY" "$HERE/nearest_bench.py" random "$RANDOM_VECS" --rows "$ROWS" --dim "$DIM" --seed "$SEED"
  fi
  for t in $BLAS_THREADS; do
    log "latency: random ${ROWS} x ${DIM}, OPENBLAS_NUM_THREADS=$t"
    OPENBLAS_NUM_THREADS=$t peer "$PY" "$HERE/nearest_bench.py" latency --label "(a) random" --vectors "$RANDOM_VECS" \
      --wordpipe "$WORDPIPE" --wordpipe-arg=--threads --wordpipe-arg="$t" \
      --out "$OUTDIR/latency-random-t$t.json" -k "$K" --reps "$REPS" --rounds "$ROUNDS" \
      --batch "$BATCH" --batch-reps "$BATCH_REPS" 2> >(tee "$OUTDIR/logs/latency-random-t$t.log" >&2)
    LATENCY+=("$OUTDIR/latency-random-t$t.json")
  done
fi

# ---------------------------------------------------------------- (b) trained vectors
EVALUATION=()
if has trained; then
  if [[ -z "$VECTORS" ]]; then
    CORPUS_GZ=$(find_shared corpora/enwiki-2015-text8style-100M.lines.txt.gz)
    [[ -n "$CORPUS_GZ" ]] || die "no VECTORS given and enwiki-2015-text8style-100M.lines.txt.gz was not found"
    VECTORS=$OUTDIR/trained-${TRAIN_MB}MB-1epoch.bin
    if [[ ! -f "$VECTORS" || -n "${RETRAIN:-}" ]]; then
      CORPUS=$OUTDIR/train-${TRAIN_MB}MB.txt
      # Whole lines only: the first TRAIN_MB MB, less the line cut at the end.
      { zcat "$CORPUS_GZ" || true; } | head -c $((TRAIN_MB * 1000000)) | sed '$d' > "$CORPUS"
      log "training $VECTORS: wordpipe train (skip-gram, NS, dim 100, window 5, min-count 5, 1 epoch) on $(wc -c < "$CORPUS") bytes"
      "$WORDPIPE" train "$CORPUS" -o "$VECTORS" --format word2vec-bin --epochs 1 --progress never \
        2> >(tee "$OUTDIR/logs/train.log" >&2)
    else
      log "reusing $VECTORS (RETRAIN=1 to train again)"
    fi
  fi
  for t in $BLAS_THREADS; do
    log "latency: trained vectors $VECTORS, OPENBLAS_NUM_THREADS=$t"
    OPENBLAS_NUM_THREADS=$t peer "$PY" "$HERE/nearest_bench.py" latency --label "(b) trained" --vectors "$VECTORS" \
      --wordpipe "$WORDPIPE" --wordpipe-arg=--threads --wordpipe-arg="$t" \
      --out "$OUTDIR/latency-trained-t$t.json" -k "$K" --reps "$REPS" --rounds "$ROUNDS" \
      --batch "$BATCH" --batch-reps "$BATCH_REPS" 2> >(tee "$OUTDIR/logs/latency-trained-t$t.log" >&2)
    LATENCY+=("$OUTDIR/latency-trained-t$t.json")
  done
  PAIR_ARGS=()
  for p in $PAIRS; do PAIR_ARGS+=(--pairs "$p"); done
  peer "$PY" "$HERE/nearest_bench.py" evaluate --vectors "$VECTORS" --wordpipe "$WORDPIPE" --analogies "$ANALOGIES" \
    "${PAIR_ARGS[@]}" --restrict "$RESTRICT" --out "$OUTDIR/evaluation.json" 2> >(tee "$OUTDIR/logs/evaluation.log" >&2)
  EVALUATION=(--evaluation "$OUTDIR/evaluation.json")
fi

# ---------------------------------------------------------------- (c) HNSW against hnswlib
HNSW_RESULTS=()
if has hnsw; then
  HNSW_FILES=()
  [[ -n "$VECTORS" ]] && HNSW_FILES+=("trained:$VECTORS")
  [[ -n "${RANDOM_VECS:-}" ]] && HNSW_FILES+=("random:$RANDOM_VECS")
  ((${#HNSW_FILES[@]})) || die "PARTS has hnsw but neither trained nor random vectors (add them to PARTS)"
  for entry in "${HNSW_FILES[@]}"; do
    name=${entry%%:*} file=${entry#*:}
    log "hnsw: $name vectors $file, M $HNSW_M, ef_construction $HNSW_EFC"
    # shellcheck disable=SC2086
    peer "$PY" "$HERE/hnsw_bench.py" --label "($name)" --vectors "$file" --wordpipe "$WORDPIPE" \
      --m "$HNSW_M" --ef-construction "$HNSW_EFC" --ef $HNSW_EF --queries "$HNSW_QUERIES" --threads $BLAS_THREADS \
      --workdir "$OUTDIR/hnsw" --out "$OUTDIR/hnsw-$name.json" 2> >(tee "$OUTDIR/logs/hnsw-$name.log" >&2)
    HNSW_RESULTS+=("$OUTDIR/hnsw-$name.json")
  done
fi

# ---------------------------------------------------------------- (d) memory bandwidth
if has bandwidth; then
  log "bandwidth: scanbench ($ROWS x $DIM): scan kernels against a read loop of the same bytes"
  cc -O2 -I"$ROOT/Sources/QueryKernels/include" "$HERE/scanbench.c" "$ROOT/Sources/QueryKernels/query_kernels.c" \
    "$ROOT/Sources/QueryKernels/hnsw_kernels.c" -lm -lpthread -o "$OUTDIR/bin/scanbench"
  "$OUTDIR/bin/scanbench" "$ROWS" "$DIM" 200 | tee "$OUTDIR/scanbench.txt" >&2
fi

# ---------------------------------------------------------------- report
CMDLINE=""
if [[ "$REPS" != 1000 ]]; then CMDLINE+="REPS=$REPS "; fi
if [[ "$ROUNDS" != 5 ]]; then CMDLINE+="ROUNDS=$ROUNDS "; fi
if [[ "$BATCH" != 1000 ]]; then CMDLINE+="BATCH=$BATCH "; fi
if [[ "$BATCH_REPS" != 3 ]]; then CMDLINE+="BATCH_REPS=$BATCH_REPS "; fi
if [[ "$ROWS" != 100000 || "$DIM" != 300 || "$SEED" != 42 ]]; then CMDLINE+="ROWS=$ROWS DIM=$DIM SEED=$SEED "; fi
if [[ "$TRAIN_MB" != 20 ]]; then CMDLINE+="TRAIN_MB=$TRAIN_MB "; fi
if [[ -n "$USER_VECTORS" ]]; then CMDLINE+="VECTORS=$USER_VECTORS "; fi
if [[ "$BLAS_THREADS" != "1 2" ]]; then CMDLINE+="BLAS_THREADS=\"$BLAS_THREADS\" "; fi
if [[ "$PARTS" != "random trained" ]]; then CMDLINE+="PARTS=\"$PARTS\" "; fi
if [[ -n "$USER_WORDPIPE" ]]; then CMDLINE+="WORDPIPE=$USER_WORDPIPE "; fi
CMDLINE+="Benchmarks/vectors/run.sh"
NUMPY_VERSION=$("$PY" -c 'import numpy; print(numpy.__version__)')
NUMPY_BLAS=$("$PY" -c 'import numpy; c = numpy.show_config(mode="dicts"); print(c["Build Dependencies"]["blas"].get("version", "?"))' 2>/dev/null || echo '?')
PEER_BLAS=$(peer_blas "$PY" numpy gensim)
DEBIAN_BLAS=$(dpkg-query -W -f '${Version}' libopenblas0-pthread 2>/dev/null || echo '?')
set +e
"$PY" "$HERE/nearest_bench.py" report "${LATENCY[@]}" "${EVALUATION[@]}" --command "$CMDLINE" \
  --gensim-version "$GENSIM_VERSION" --numpy-version "$NUMPY_VERSION" \
  --numpy-blas "$NUMPY_BLAS" --debian-blas "$DEBIAN_BLAS" --peer-blas "$PEER_BLAS" \
  --coretype "${OPENBLAS_CORETYPE-<unset>}" | tee "$OUTDIR/report.md"
status=${PIPESTATUS[0]}
if ((${#HNSW_RESULTS[@]})); then "$PY" "$HERE/hnsw_bench.py" report "${HNSW_RESULTS[@]}" | tee -a "$OUTDIR/report.md"; fi
if [[ -f "$OUTDIR/scanbench.txt" ]] && has bandwidth; then
  { echo; echo '```'; cat "$OUTDIR/scanbench.txt"; echo '```'; } | tee -a "$OUTDIR/report.md"
fi
set -e
[[ $status == 0 ]] || die "the evaluation agreement check failed (report: $OUTDIR/report.md)"
