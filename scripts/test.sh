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
# Fuzz smoke run: every reader's libFuzzer target for 20 s (FUZZ_SMOKE_SECONDS; 0 skips), in a
# separate release build with -sanitize=fuzzer,address (.build-fuzz). A crash, a hang over
# 10 s or an out-of-memory fails the run; reproducers land in Fuzz/work/artifacts/.
if [ "${FUZZ_SMOKE_SECONDS:-20}" != 0 ]; then
    bash Fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-20}"
fi
