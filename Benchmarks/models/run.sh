#!/usr/bin/env bash
# Taggers and classifiers on real data: each row trains on train, selects the epoch on dev, and
# reports the dev score (there is no test split in ../shared/data for these sets) with the
# training time on this machine.
#
#   NER   CoNLL-2003: BiLSTM (100 per direction, NCRF++'s size) with the Wikipedia vectors,
#         with and without CRF, with and without character features, and random initialization
#   ner-crf, ner-crf-bioes, ner-crf-wdrop   (not in the default ROWS) the "vectors, CRF" row
#         alone, then with --tag-scheme bioes and with --word-dropout 0.05, one row per group so
#         that each can be run under its own lock
#   POS   UD English-EWT and French-Sequoia (UPOS): BiLSTM + softmax
#   CLS   SST-2 (binary sentiment) and TREC (6 coarse classes; train.txt is ISO-8859-1, converted
#         to UTF-8 here; the last 500 questions are the dev set): BiLSTM, max pooling
#
# Usage: Benchmarks/models/run.sh
# Environment (all optional):
#   ROWS="ner pos sst trec"   which groups to run (also ner-crf, ner-crf-bioes, ner-crf-wdrop)
#   APPEND=1             add to OUTDIR/results.jsonl instead of starting it afresh (the report covers all rows)
#   NER_EPOCHS=20 POS_EPOCHS=20 SST_EPOCHS=5 TREC_EPOCHS=20   maximum epochs (patience 5 everywhere)
#   SEED=1               --seed of the NER rows (initialization, dropout, batch order)
#   THREADS=2            --threads of each training run (workers over each batch; 1 = the serial trainer)
#   WORDPIPE=path        use this binary instead of building one
#   SCRATCH=dir          SwiftPM scratch path of the release build (default: .build-bench-models)
#   OUTDIR=dir           models, logs, results (default: Benchmarks/models/out)
#   VECTORS=file         the vectors of every row that uses vectors (default below)
# The vectors are corpora/build-wikipedia/vectors/vectors.wpv, made by
# `wordpipe run corpora/wikipedia.yaml` (run here when missing; about 10 minutes).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
ROWS=${ROWS:-ner pos sst trec}
NER_EPOCHS=${NER_EPOCHS:-20}
POS_EPOCHS=${POS_EPOCHS:-20}
SST_EPOCHS=${SST_EPOCHS:-5}
TREC_EPOCHS=${TREC_EPOCHS:-20}
THREADS=${THREADS:-2}
OUTDIR=${OUTDIR:-$HERE/out}
SCRATCH=${SCRATCH:-$ROOT/.build-bench-models}
mkdir -p "$OUTDIR"
RESULTS=$OUTDIR/results.jsonl
[[ "${APPEND:-0}" == 1 ]] || : > "$RESULTS"

if [[ -z "${WORDPIPE:-}" ]]; then
  (cd "$ROOT" && swift build -c release --product wordpipe --scratch-path "$SCRATCH" >&2)
  WORDPIPE=$SCRATCH/release/wordpipe
fi
if [[ -z "${VECTORS:-}" ]]; then
  VECTORS=$ROOT/corpora/build-wikipedia/vectors/vectors.wpv
  if [[ ! -f $VECTORS ]]; then
    (cd "$ROOT/corpora" && "$WORDPIPE" run wikipedia.yaml --progress never)
  fi
fi
[[ -f $VECTORS ]] || { echo "run.sh: no vectors file $VECTORS (VECTORS)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=$THREADS

# run NAME TASK DATASET CONFIG EPOCHS -- train-command arguments...
run() {
  local name=$1 task=$2 dataset=$3 config=$4; shift 4
  local log=$OUTDIR/$name.log model=$OUTDIR/$name.wpm
  echo "== $name: $task on $dataset ($config)" >&2
  local start end
  start=$(date +%s.%N)
  "$WORDPIPE" "$@" --threads "$THREADS" -o "$model" 2> "$log"
  end=$(date +%s.%N)
  python3 - "$log" "$name" "$task" "$dataset" "$config" "$start" "$end" >> "$RESULTS" <<'PY'
import json, re, statistics, sys
log, name, task, dataset, config, start, end = sys.argv[1:]
# The epoch lines (not the progress lines, which have no dev score).
epochs = [l for l in open(log) if re.match(r"train-\w+: epoch ", l) and " dev_" in l]
train_s = [float(re.search(r"train_s ([\d.]+)", l).group(1)) for l in epochs]
scores = [float(re.search(r"dev_\w+ ([\d.]+)", l).group(1)) for l in epochs]
metric = re.search(r"dev_(\w+) ", epochs[0]).group(1)
best = max(range(len(scores)), key=lambda i: (scores[i], -i))
oov = re.search(r"OOV tokens: train ([\d.]+)%, dev ([\d.]+)%", open(log).read())
print(json.dumps({"name": name, "task": task, "dataset": dataset, "config": config, "metric": metric,
                  "dev": scores[best], "best_epoch": best + 1, "epochs": len(epochs),
                  "median_epoch_s": statistics.median(train_s), "train_s": sum(train_s),
                  "wall_s": float(end) - float(start), "oov_dev": float(oov.group(2)) if oov else None}))
PY
  tail -1 "$RESULTS" >&2
}

NER=$DATA/ner/conll2003
common=(train-tagger --train "$NER/train.txt" --dev "$NER/valid.txt" --hidden 100 --epochs "$NER_EPOCHS" --patience 5 --seed "${SEED:-1}")
for row in $ROWS; do
  case $row in
  ner-crf)       run ner-vec-crf        NER CoNLL-2003 "vectors, CRF"                      "${common[@]}" --vectors "$VECTORS" --crf ;;
  ner-crf-bioes) run ner-vec-crf-bioes  NER CoNLL-2003 "vectors, CRF, BIOES"               "${common[@]}" --vectors "$VECTORS" --crf --tag-scheme bioes ;;
  ner-crf-wdrop) run ner-vec-crf-wdrop  NER CoNLL-2003 "vectors, CRF, word dropout 0.05"   "${common[@]}" --vectors "$VECTORS" --crf --word-dropout 0.05 ;;
  ner)
    run ner-vec-crf        NER CoNLL-2003 "vectors, CRF"                "${common[@]}" --vectors "$VECTORS" --crf
    run ner-vec-softmax    NER CoNLL-2003 "vectors, softmax"            "${common[@]}" --vectors "$VECTORS" --no-crf
    run ner-vec-crf-char   NER CoNLL-2003 "vectors, CRF, char BiLSTM"   "${common[@]}" --vectors "$VECTORS" --crf --char-features lstm
    run ner-vec-soft-char  NER CoNLL-2003 "vectors, softmax, char BiLSTM" "${common[@]}" --vectors "$VECTORS" --no-crf --char-features lstm
    run ner-random-crf     NER CoNLL-2003 "random init (dim 100), CRF"  "${common[@]}" --crf
    ;;
  pos)
    for set in UD_English-EWT:en_ewt UD_French-Sequoia:fr_sequoia; do
      dir=${set%%:*} stem=${set##*:}
      run "pos-$stem" POS "$dir" "vectors, softmax" train-tagger --format conllu --train "$DATA/pos/$dir/$stem-ud-train.conllu" \
        --dev "$DATA/pos/$dir/$stem-ud-dev.conllu" --vectors "$VECTORS" --hidden 100 --no-crf --epochs "$POS_EPOCHS" --patience 5
    done
    ;;
  sst)
    run sst2 classification SST-2 "vectors, max pooling" train-classifier --train "$DATA/classification/sst2/train.tsv" \
      --dev "$DATA/classification/sst2/dev.tsv" --vectors "$VECTORS" --hidden 100 --pooling max --epochs "$SST_EPOCHS" --patience 5
    ;;
  trec)
    # TREC: ISO-8859-1 "COARSE:fine question" -> UTF-8 "COARSE<TAB>question"; the last 500 questions are the dev set.
    iconv -f ISO-8859-1 -t UTF-8 "$DATA/classification/trec/train.txt" \
      | awk '{ split($1, a, ":"); $1 = ""; sub(/^ /, ""); print a[1] "\t" $0 }' > "$OUTDIR/trec-all.tsv"
    head -n -500 "$OUTDIR/trec-all.tsv" > "$OUTDIR/trec-train.tsv"
    tail -n 500 "$OUTDIR/trec-all.tsv" > "$OUTDIR/trec-dev.tsv"
    run trec classification TREC "vectors, max pooling" train-classifier --train "$OUTDIR/trec-train.tsv" --dev "$OUTDIR/trec-dev.tsv" \
      --vectors "$VECTORS" --hidden 100 --pooling max --epochs "$TREC_EPOCHS" --patience 5
    ;;
  esac
done

python3 - "$RESULTS" <<'PY' | tee "$OUTDIR/report.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| task | data | configuration | dev score | best epoch / run | median s/epoch | training s | dev OOV |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    name = "entity F1" if r["metric"] == "f1" else "accuracy"
    oov = f'{r["oov_dev"]:.1f}%' if r["oov_dev"] is not None else "n/a"
    print(f'| {r["task"]} | {r["dataset"]} | {r["config"]} | {100 * r["dev"]:.2f} ({name}) | {r["best_epoch"]} / {r["epochs"]} '
          f'| {r["median_epoch_s"]:.1f} | {r["train_s"]:.0f} | {oov} |')
PY
