#!/usr/bin/env bash
# scripts/demo.sh - the main job: set up, build in release, fetch the real demo corpus and
# tokenize it with wordpipe. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash corpora/setup.sh
swift build -c release --product wordpipe
WORDPIPE="$(swift build -c release --show-bin-path)/wordpipe"
mkdir -p build/demo
echo "== wordpipe tokenize corpora/cache/demo -> build/demo/tokens.txt"
"$WORDPIPE" tokenize corpora/cache/demo -o build/demo/tokens.txt --normalize nfkc-casefold --numbers token --progress always
echo "== first lines of build/demo/tokens.txt"
head -n 5 build/demo/tokens.txt | cut -c1-160
echo "== most frequent tokens"
tr ' ' '\n' < build/demo/tokens.txt | sort | uniq -c | sort -rn | head -n 15 | awk '{printf "%s %s  ", $2, $1} END {print ""}'
