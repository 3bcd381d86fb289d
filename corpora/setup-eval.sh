#!/usr/bin/env bash
# corpora/setup-eval.sh - word-vector evaluation sets for the demo pipeline, in corpora/cache/eval/.
#
# The Google analogy questions (questions-words.txt, from word2vec, Apache-2.0) and WordSim-353
# (wordsim353.tsv) ship inside gensim's wheel as test data; we take those two files from the
# wheel (pip download, never installed). Idempotent: does nothing when both files are present.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${WORDPIPE_CORPUS_CACHE:-$HERE/cache}/eval
GENSIM_VERSION=4.4.0
if [[ -s "$OUT/questions-words.txt" && -s "$OUT/wordsim353.tsv" ]]; then
  echo "[eval] present: $OUT" >&2
  exit 0
fi
mkdir -p "$OUT"
DOWNLOADS=$(mktemp -d)
trap 'rm -rf "$DOWNLOADS"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 -d "$DOWNLOADS" "gensim==$GENSIM_VERSION" >&2
WHEEL=$(ls "$DOWNLOADS"/gensim-*.whl | head -n 1)
python3 - "$WHEEL" "$OUT" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    for name in ("questions-words.txt", "wordsim353.tsv"):
        data = archive.read("gensim/test/test_data/" + name)
        tmp = os.path.join(out, "." + name + ".partial")
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, os.path.join(out, name))
PY
echo "[eval] wrote $OUT/questions-words.txt and $OUT/wordsim353.tsv (from gensim $GENSIM_VERSION's wheel)" >&2
