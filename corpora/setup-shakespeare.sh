#!/usr/bin/env bash
# corpora/setup-shakespeare.sh - the split the Shakespeare pipeline (corpora/shakespeare.yaml) trains on.
#
# Tiny Shakespeare (Karpathy's char-rnn input.txt, one file) lives in ../shared/data/lm/tinyshakespeare
# beside the repository (or TINYSHAKESPEARE=path). As char-rnn and nanoGPT do, the first 90% of its
# characters become cache/shakespeare/train.txt and the last 10% cache/shakespeare/valid.txt (corpora/cache/
# is git-ignored: nothing is copied into the repository). Each file is written under a temporary name
# and renamed. Idempotent: does nothing when both files are newer than the input.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INPUT=${TINYSHAKESPEARE:-$HERE/../../shared/data/lm/tinyshakespeare/input.txt}
OUT=${WORDPIPE_CORPUS_CACHE:-$HERE/cache}/shakespeare
[[ -s "$INPUT" ]] || { echo "setup-shakespeare.sh: error: no Tiny Shakespeare at $INPUT; set TINYSHAKESPEARE=path/to/input.txt" >&2; exit 1; }
if [[ "$OUT/train.txt" -nt "$INPUT" && "$OUT/valid.txt" -nt "$INPUT" ]]; then
  echo "[shakespeare] present: $OUT" >&2
  exit 0
fi
mkdir -p "$OUT"
python3 - "$INPUT" "$OUT" <<'PY'
import os, sys
source, out = sys.argv[1], sys.argv[2]
text = open(source, encoding="utf-8").read()
cut = int(0.9 * len(text))
for name, part in (("train.txt", text[:cut]), ("valid.txt", text[cut:])):
    tmp = os.path.join(out, "." + name + ".partial")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(part)
    os.replace(tmp, os.path.join(out, name))
print(f"[shakespeare] {len(text)} characters: train {cut}, valid {len(text) - cut} -> {out}", file=sys.stderr)
PY
