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
