#!/usr/bin/env bash
# Vectors for taggers, cased against case-folded (issue 21, item 2): the same Wikipedia sample,
# tokenizer and training settings (corpora/taggers.yaml: punctuation and numbers kept, skip-gram
# dim 100, 5 epochs), once as the file says (`normalize: nfkc-casefold`) and once with `nfc`;
# then the NER (CoNLL-2003, BiLSTM-CRF, word features only) and POS (UD EWT and French-Sequoia,
# BiLSTM softmax) rows of run.sh on each, and the demo's own vectors (corpora/wikipedia.yaml:
# case-folded, punctuation and numbers dropped, phrases) as the baseline the recorded rows used.
#
# Usage: Benchmarks/models/vectors_case.sh
# Environment (all optional): WORDPIPE=path (default: a release build), OUTDIR=dir (default
# Benchmarks/models/out-case), ROWS="ner-crf pos", SEEDS="1", THREADS=2, NICE=0 (run everything
# under nice -n NICE, for a machine shared with builds), VARIANTS="cased casefold wikipedia".
# Each row is appended as it finishes; rows already in OUTDIR/VARIANT/results.jsonl are kept
# (delete the file to run them again), so an interrupted run resumes where it stopped.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$(cd "${DATA:-$ROOT/../shared/data}" && pwd)
OUTDIR=${OUTDIR:-$HERE/out-case}
ROWS=${ROWS:-ner-crf pos}
SEEDS=${SEEDS:-1}
VARIANTS=${VARIANTS:-cased casefold wikipedia}
NICE=${NICE:-0}
mkdir -p "$OUTDIR"
if [[ -z "${WORDPIPE:-}" ]]; then
  (cd "$ROOT" && nice -n "$NICE" swift build -c release --product wordpipe --scratch-path "$ROOT/.build-bench-models" >&2)
  WORDPIPE=$ROOT/.build-bench-models/release/wordpipe
fi
echo "vectors_case: $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $("$WORDPIPE" --version)" >&2

vectors_of() {  # VARIANT -> builds (if needed) and prints its vectors file
  case $1 in
    casefold)
      (cd "$ROOT/corpora" && nice -n "$NICE" "$WORDPIPE" run taggers.yaml --until vectors --progress never >&2)
      echo "$ROOT/corpora/build-taggers/vectors/vectors.wpv" ;;
    cased)
      # The same file with case kept (NFC); its own work directory and lock under OUTDIR.
      mkdir -p "$OUTDIR/cased"
      sed -e 's/normalize: nfkc-casefold,/normalize: nfc,/' -e "s#\.\./\.\./shared/data#$DATA#g" \
          -e "s#^workdir: .*#workdir: build#" "$ROOT/corpora/taggers.yaml" > "$OUTDIR/cased/taggers-cased.yaml"
      grep -q 'normalize: nfc,' "$OUTDIR/cased/taggers-cased.yaml" || { echo "vectors_case: the cased edit did not apply" >&2; exit 1; }
      (cd "$OUTDIR/cased" && nice -n "$NICE" "$WORDPIPE" run taggers-cased.yaml --until vectors --progress never >&2)
      echo "$OUTDIR/cased/build/vectors/vectors.wpv" ;;
    wikipedia)
      (cd "$ROOT/corpora" && nice -n "$NICE" "$WORDPIPE" run wikipedia.yaml --until vectors --progress never >&2)
      echo "$ROOT/corpora/build-wikipedia/vectors/vectors.wpv" ;;
    *) echo "vectors_case: unknown variant '$1' (cased, casefold, wikipedia)" >&2; exit 1 ;;
  esac
}

for variant in $VARIANTS; do
  vectors=$(vectors_of "$variant")
  "$WORDPIPE" inspect "$vectors" | head -3 >&2
  for seed in $SEEDS; do
    for row in $ROWS; do
      out=$OUTDIR/$variant/seed-$seed/$row
      mkdir -p "$out"
      if [[ -s $out/results.jsonl ]]; then echo "== $variant seed $seed $row: done before, kept" >&2; continue; fi
      echo "== $variant seed $seed $row" >&2
      rm -rf "$out.partial"
      APPEND=1 SEED=$seed ROWS=$row VECTORS=$vectors WORDPIPE=$WORDPIPE OUTDIR=$out.partial \
        nice -n "$NICE" bash "$HERE/run.sh" > /dev/null
      rm -rf "$out" && mv "$out.partial" "$out"
    done
  done
done

python3 - "$OUTDIR" $VARIANTS <<'PY' | tee "$OUTDIR/report.md"
import glob, json, os, statistics, sys
outdir, variants = sys.argv[1], sys.argv[2:]
rows = {}
for variant in variants:
    for path in glob.glob(f"{outdir}/{variant}/seed-*/*/results.jsonl"):
        for line in open(path):
            r = json.loads(line)
            rows.setdefault((r["task"], r["dataset"], r["config"]), {}).setdefault(variant, []).append(r)
print("| task | data | configuration | " + " | ".join(f"{v}: dev (seeds) / dev OOV" for v in variants) + " |")
print("|---|---|---|" + "---|" * len(variants))
for key, by in sorted(rows.items()):
    cells = []
    for v in variants:
        rs = by.get(v, [])
        if not rs:
            cells.append("")
            continue
        devs = [100 * r["dev"] for r in rs]
        oov = rs[0]["oov_dev"]
        cells.append(f"{statistics.mean(devs):.2f} ({', '.join(f'{d:.2f}' for d in devs)}) / " + (f"{oov:.1f}%" if oov is not None else "n/a"))
    print(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
PY
