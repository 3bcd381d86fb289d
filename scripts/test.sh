#!/usr/bin/env bash
# scripts/test.sh - set up and run the whole test suite (what .ci/run calls).
#
# Tests that need ../shared/data (Unicode conformance files, real corpora) are skipped with a
# message naming the file when it is absent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build --disable-xctest
# The Python reader (python/wordpipe_read.py, numpy only) against the binary on a small trained
# vector file: same words and values as `wordpipe convert --format word2vec-text`, headers as
# `wordpipe inspect` gives them. A few seconds; numpy goes into Benchmarks/.venv (pip) when
# missing, and the step is skipped with a message only when it cannot be installed.
bash scripts/check-python-reader.sh "$(swift build --show-bin-path)/wordpipe"
# `wordpipe serve` from outside: every endpoint against its OpenAPI document (Schemathesis), and
# the web page in headless Chromium (search, map, unknown word, tagged spans, phone width).
bash scripts/check-serve.sh "$(swift build --show-bin-path)/wordpipe"
# Fuzz smoke run: every reader's libFuzzer target for 20 s (FUZZ_SMOKE_SECONDS; 0 skips), in a
# separate release build with -sanitize=fuzzer,address (.build-fuzz). A crash, a hang over
# 10 s or an out-of-memory fails the run; reproducers land in Fuzz/work/artifacts/.
if [ "${FUZZ_SMOKE_SECONDS:-20}" != 0 ]; then
    bash Fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-20}"
fi
