#!/usr/bin/env bash
# Tagger benchmark, side by side: the BiLSTM NER tagger of `wordpipe train-tagger` vs the same
# tagger in PyTorch (bilstm_torch.py), on CoNLL-2003 English (train -> dev), same data handling,
# vocabulary, initialization, network, optimizer, batches, epochs and thread counts.
#
#   model   word embedding (100-dim, trainable, initialized from the Wikipedia vectors of
#           `wordpipe run corpora/wikipedia.yaml`, or random) -> dropout 0.5 -> 1-layer BiLSTM,
#           hidden 100 per direction -> dropout 0.5 -> Linear -> softmax cross-entropy (no CRF,
#           no character features); Adam lr 0.001 (embedding: lazy/sparse Adam), batch 32,
#           clip 5, EPOCHS epochs, best dev epoch kept; entity micro-F1 (seqeval default mode /
#           conlleval) on the dev set.
#   timing  per epoch, the training loop alone (no dev evaluation): the median over epochs.
#
# Usage: Benchmarks/tagger/run.sh
# Environment (all optional):
#   EPOCHS=10            epochs (WordPipe: --epochs E --patience E, so no early stop)
#   THREADS="2"          thread counts: wordpipe --threads T with OPENBLAS_NUM_THREADS=T;
#                        torch.set_num_threads(T)
#   INIT="vectors random"  embedding initialization(s): vectors, random (wordpipe without --vectors)
#   SKIP_WORDPIPE=1      PyTorch only (wordpipe is still needed, and built, to convert the vectors
#                        unless OUTDIR/vectors.txt is already up to date or WORDPIPE is given)
#   SKIP_TORCH=1         WordPipe only
#   SLICE=N              first N training sentences only (quick runs); the dev set is always whole
#   SCRATCH=dir          SwiftPM scratch path of the release build (default: .build-bench-tagger)
#   WORDPIPE=path        use this wordpipe binary instead of building one
#   OUTDIR=dir           results, logs and report (default: Benchmarks/tagger/out)
#   DATA=dir             CoNLL-2003 directory with train.txt and valid.txt
#                        (default: ../shared/data/ner/conll2003 beside the repository)
#   CLIP_SCOPE=dense     PyTorch: gradient-norm clipping over the dense parameters only (the sparse
#                        embedding gradient is left unclipped); `all` includes the embedding rows
#   PYTHON=python3       interpreter used to create Benchmarks/.venv when it is missing, and to
#                        write the report
# The wordpipe binary is copied to OUTDIR/bin first so a rebuild during the run cannot mix binaries.
# PyTorch and seqeval come from PyPI into Benchmarks/.venv, for the benchmark only (never a
# dependency). The Linux wheel of torch pulls the CUDA libraries (about 5 GB); only the CPU is used.
# OPENBLAS_CORETYPE is never set here: whatever the environment says is used as it is, by wordpipe.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# The PyTorch peer runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (Benchmarks/peer_env.sh: a value set
# for our OpenBLAS must not slow a peer's own BLAS); wordpipe keeps the environment.
# shellcheck source=../peer_env.sh
source "$ROOT/Benchmarks/peer_env.sh"
EPOCHS=${EPOCHS:-10}
THREADS=${THREADS:-2}
INIT=${INIT:-vectors random}
SKIP_WORDPIPE=${SKIP_WORDPIPE:-0}
SKIP_TORCH=${SKIP_TORCH:-0}
SLICE=${SLICE:-}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-tagger}
WORDPIPE=${WORDPIPE:-}
OUTDIR=${OUTDIR:-$HERE/out}
DATA=${DATA:-$ROOT/../shared/data/ner/conll2003}
CLIP_SCOPE=${CLIP_SCOPE:-dense}
PYTHON=${PYTHON:-python3}
VENV=$ROOT/Benchmarks/.venv
WPV=$ROOT/corpora/build-wikipedia/vectors/vectors.wpv
VECTORS_TXT=$OUTDIR/vectors.txt

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }
# shellcheck source=common.sh
. "$HERE/common.sh"

for init in $INIT; do
    case $init in vectors|random) ;; *) die "unknown INIT '$init' (known: vectors, random)" ;; esac
done
[ -f "$DATA/train.txt" ] && [ -f "$DATA/valid.txt" ] || die "no train.txt / valid.txt in $DATA"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
RESULTS=$OUTDIR/results.jsonl
: > "$RESULTS"

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"

# ---------------------------------------------------------------- wordpipe (build, vectors)
need_wordpipe=1
if [ "$SKIP_WORDPIPE" = 1 ] && [ -f "$WPV" ] && [ "$VECTORS_TXT" -nt "$WPV" ]; then
    need_wordpipe=0
fi
WP=
if [ "$need_wordpipe" = 1 ]; then
    wordpipe_binary
    log "wordpipe: $("$WP" --version 2>/dev/null || echo '?') ($WORDPIPE)"
fi

if [ ! -f "$WPV" ]; then
    [ -n "$WP" ] || die "missing $WPV"
    log "no $WPV: wordpipe run corpora/wikipedia.yaml (about 10 minutes)"
    (cd "$ROOT" && "$WP" run corpora/wikipedia.yaml)
    [ -f "$WPV" ] || die "wordpipe run corpora/wikipedia.yaml did not write $WPV"
fi
if [ ! "$VECTORS_TXT" -nt "$WPV" ]; then
    log "converting $WPV to word2vec text"
    "$WP" convert "$WPV" -o "$VECTORS_TXT.tmp" --format word2vec-text
    mv "$VECTORS_TXT.tmp" "$VECTORS_TXT"
fi

# ---------------------------------------------------------------- data (optional slice)
TRAIN=$DATA/train.txt
DEV=$DATA/valid.txt
if [ -n "$SLICE" ]; then
    TRAIN=$OUTDIR/train-slice-$SLICE.txt
    # The first SLICE sentences (-DOCSTART- lines dropped), the same file for both systems.
    awk -v n="$SLICE" '
        $1 == "-DOCSTART-" { next }
        NF == 0 { if (open) { print ""; open = 0; if (++count >= n) exit } next }
        { print; open = 1 }
        END { if (open) print "" }' "$DATA/train.txt" > "$TRAIN"
    log "training slice: $(grep -c '^$' "$TRAIN") sentences in $TRAIN"
fi

# ---------------------------------------------------------------- PyTorch venv
HAVE_TORCH=0
if [ "$SKIP_TORCH" != 1 ]; then
    if ! "$VENV/bin/python" -c "import torch, seqeval" 2>/dev/null; then
        log "installing PyTorch and seqeval into $VENV (PyPI)"
        [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet torch seqeval || echo "PyTorch/seqeval could not be installed: WordPipe runs alone" >&2
    fi
    "$VENV/bin/python" -c "import torch, seqeval" 2>/dev/null && HAVE_TORCH=1
fi

# ---------------------------------------------------------------- runs
# One JSON line per WordPipe run, from its per-epoch stderr lines and evaluate-tagger's JSON.
wordpipe_record() {  # log eval.json init threads train_wall_s eval_wall_s
    "$PYTHON" - "$@" "$EPOCHS" "${SLICE:-}" <<'PY'
import json, re, statistics, sys
log, eval_json, init, threads, train_wall, eval_wall, epochs_wanted, slice_ = sys.argv[1:9]
line = re.compile(r"^(?:train-tagger: )?epoch (\d+)/(\d+) loss (\S+) (dev_f1|dev_accuracy) (\S+) train_s (\S+) "
                  r"tokens/s (\S+) elapsed_s (\S+)( best)?\s*$")
epochs = []
for text in open(log, encoding="utf-8", errors="replace"):
    m = line.match(text.strip())
    if m:
        epochs.append({"epoch": int(m[1]), "loss": float(m[3]), "dev_f1": float(m[5]), "train_s": float(m[6]),
                       "tokens_per_s": float(m[7]), "elapsed_s": float(m[8]), "best": bool(m[9])})
if not epochs:
    sys.exit(f"no 'epoch i/n loss ... dev_f1 ...' lines in {log}")
previous = 0.0
for e in epochs:  # what is not training in an epoch: dev evaluation (and bookkeeping)
    e["eval_s"] = max(0.0, e["elapsed_s"] - previous - e["train_s"])
    previous = e["elapsed_s"]
best = max(epochs, key=lambda e: (e["dev_f1"], -e["epoch"]))
evaluation = json.load(open(eval_json))
median_train = statistics.median(e["train_s"] for e in epochs)
later = [e["eval_s"] for e in epochs[1:]] or [epochs[0]["eval_s"]]
print(json.dumps({
    "system": "wordpipe", "init": init, "threads": int(threads), "epochs": int(epochs_wanted),
    "epochs_run": len(epochs), "slice": int(slice_) if slice_ else None,
    "best_dev_f1": best["dev_f1"], "best_epoch": best["epoch"], "median_train_s": median_train,
    "median_tokens_per_s": statistics.median(e["tokens_per_s"] for e in epochs),
    "median_eval_s": statistics.median(later), "eval_s_note": "elapsed_s difference minus train_s",
    "evaluate_f1": evaluation["micro"]["f1"], "evaluate_precision": evaluation["micro"]["precision"],
    "evaluate_recall": evaluation["micro"]["recall"], "evaluate_wall_s": float(eval_wall),
    "train_wall_s": float(train_wall), "per_epoch": epochs,
}))
PY
}

now() { date +%s.%N; }
for init in $INIT; do
    for threads in $THREADS; do
        if [ "$SKIP_WORDPIPE" != 1 ]; then
            log "WordPipe, init $init, $threads thread(s), $EPOCHS epoch(s)"
            model=$OUTDIR/model-$init-$threads.wpm
            wlog=$OUTDIR/wordpipe-$init-$threads.log
            flags=()
            # Random initialization: no --vectors (every embedding row is random).
            [ "$init" = vectors ] && flags+=(--vectors "$WPV")
            start=$(now)
            OPENBLAS_NUM_THREADS=$threads "$WP" train-tagger --train "$TRAIN" --dev "$DEV" --format conll \
                --cell lstm --layers 1 --hidden 100 --bidirectional --no-crf \
                --char-features none --dropout 0.5 --optimizer adam --lr 0.001 --epochs "$EPOCHS" \
                --patience "$EPOCHS" --batch 32 --clip 5 --seed 1 --threads "$threads" -o "$model" \
                "${flags[@]}" 2>&1 | tee "$wlog" >&2
            train_wall=$("$PYTHON" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(now)")
            start=$(now)
            OPENBLAS_NUM_THREADS=$threads "$WP" evaluate-tagger --model "$model" --test "$DEV" \
                --json > "$OUTDIR/wordpipe-eval-$init-$threads.json"
            eval_wall=$("$PYTHON" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$(now)")
            wordpipe_record "$wlog" "$OUTDIR/wordpipe-eval-$init-$threads.json" "$init" "$threads" \
                "$train_wall" "$eval_wall" >> "$RESULTS"
        fi
        if [ "$HAVE_TORCH" = 1 ]; then
            log "PyTorch, init $init, $threads thread(s), $EPOCHS epoch(s)"
            tlog=$OUTDIR/pytorch-$init-$threads.log
            peer "$VENV/bin/python" "$HERE/bilstm_torch.py" --train "$TRAIN" --dev "$DEV" --vectors "$VECTORS_TXT" \
                --init "$init" --epochs "$EPOCHS" --threads "$threads" --seed 1 --clip-scope "$CLIP_SCOPE" \
                ${SLICE:+--slice "$SLICE"} \
                2> "$tlog" > "$OUTDIR/pytorch-$init-$threads.json" &
            pid=$!
            tail -f --pid="$pid" "$tlog" >&2 &
            wait "$pid" || { tail -20 "$tlog" >&2; die "bilstm_torch.py failed (log: $tlog)"; }
            sleep 0.5
            cat "$OUTDIR/pytorch-$init-$threads.json" >> "$RESULTS"
        fi
    done
done

# ---------------------------------------------------------------- report
"$PYTHON" - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
if not rows:
    sys.exit("no results")
first = rows[0]
torch_rows = [r for r in rows if r["system"] == "pytorch"]
print(f"CoNLL-2003 English, train -> dev; {first['epochs']} epoch(s)"
      + (f", first {first['slice']} training sentences" if first.get("slice") else ", whole training set") + ".")
if torch_rows:
    t = torch_rows[0]
    o = t["oov"]
    print(f"Train {t['train_sentences']} sentences / {t['train_tokens']} tokens, dev {t['dev_sentences']} / "
          f"{t['dev_tokens']}; vocabulary {t['vocabulary']} ({t['training_types']} training types + vector words). "
          f"OOV (lookup key not a vector word): train {o['train']['oov_rate']:.2%}, dev {o['dev']['oov_rate']:.2%}, "
          f"both {o['both_rate']:.2%} of tokens; dev tokens mapped to <unk>: {o['dev_unk_rate']:.2%}.")
print()
print("| System | Init | Threads | Best dev F1 | Epoch of best | Median train s/epoch | Tokens/s | Dev eval s | PyTorch / WordPipe s/epoch |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for row in rows:
    ratio = ""
    if row["system"] == "wordpipe":
        peers = [p for p in torch_rows if p["init"] == row["init"] and p["threads"] == row["threads"]]
        if peers:
            ratio = f'{peers[0]["median_train_s"] / row["median_train_s"]:.2f}x'
    system = "WordPipe" if row["system"] == "wordpipe" else f'PyTorch ({row["version"].split()[1]})'
    print(f'| {system} | {row["init"]} | {row["threads"]} | {row["best_dev_f1"] * 100:.2f} | {row["best_epoch"]} | '
          f'{row["median_train_s"]:.2f} | {row["median_tokens_per_s"]:,.0f} | {row["median_eval_s"]:.2f} | {ratio} |')
notes = []
for row in rows:
    if row["system"] == "wordpipe":
        notes.append(f'WordPipe {row["init"]}, {row["threads"]} thread(s): evaluate-tagger on the saved model '
                     f'F1 {row["evaluate_f1"] * 100:.2f} (P {row["evaluate_precision"] * 100:.2f}, '
                     f'R {row["evaluate_recall"] * 100:.2f}) in {row["evaluate_wall_s"]:.2f} s wall clock; '
                     f'{row["epochs_run"]} epoch(s) run.')
if torch_rows:
    notes.append(f'PyTorch clipping: global norm 5 over {"the dense parameters only (the sparse embedding gradient is not clipped)" if torch_rows[0]["clip_scope"] == "dense" else "the dense parameters and the embedding rows of the batch"}; '
                 f'dev evaluation in batches of {torch_rows[0]["eval_batch"]}.')
notes.append("Dev eval s: PyTorch, timed around the evaluation; WordPipe, elapsed_s difference minus train_s "
             "(median over epochs 2..E). Ratio > 1: WordPipe trains an epoch faster.")
print()
for note in notes:
    print(f"- {note}")
PY
