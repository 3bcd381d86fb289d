#!/usr/bin/env bash
# scripts/demo.sh - the main job: set up, build in release, fetch the real demo corpus and the
# evaluation sets, run the demo pipeline (tokenize, phrases, vocab, train, evaluate) and show
# nearest words. Idempotent: a second run rebuilds nothing that is up to date.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash corpora/setup.sh
bash corpora/setup-eval.sh
swift build -c release --product wordpipe
WORDPIPE="$(swift build -c release --show-bin-path)/wordpipe"
"$WORDPIPE" run corpora/demo.yaml --progress never
echo "== evaluation (corpora/build/eval/evaluation.json)"
"$WORDPIPE" evaluate --vectors corpora/build/vectors/vectors.wpv \
  --analogies corpora/cache/eval/questions-words.txt --pairs corpora/cache/eval/wordsim353.tsv --restrict 30000 | tail -n 4
echo "== nearest words"
"$WORDPIPE" nearest --vectors corpora/build/vectors/vectors.wpv -k 8 <<'QUERIES'
king
kernel
python
music
dog
france
memory
QUERIES
echo "== to explore these vectors in a browser (http://127.0.0.1:8080/):"
echo "$WORDPIPE serve --vectors corpora/build/vectors/vectors.wpv"
