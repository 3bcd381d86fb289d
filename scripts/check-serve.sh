#!/usr/bin/env bash
# scripts/check-serve.sh WORDPIPE - `wordpipe serve` from outside, as the test script runs it:
#   1. the contract (scripts/contract_check.py): Schemathesis sends generated valid and invalid
#      requests to every operation of /openapi.json; no 5xx, answers match their schemas;
#   2. the web page in headless Chromium (scripts/browser_check.py) driven by keyboard, with
#      screenshots in .build/serve-check/browser/screenshots.
# Debian's chromium and chromium-driver are installed here when missing (no browser download);
# Selenium and Schemathesis come from PyPI into a test venv (VENV, default .build/venv-serve).
# SERVE_CHECK_EXAMPLES: Schemathesis's cases per operation (default 100).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WORDPIPE=${1:?usage: check-serve.sh WORDPIPE}
VENV=${VENV:-.build/venv-serve}
bash scripts/setup.sh chromium chromium-driver
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import selenium, schemathesis' 2>/dev/null || "$VENV/bin/pip" install -q 'selenium>=4.10' 'schemathesis>=4,<5'
WORK=.build/serve-check
rm -rf "$WORK"
mkdir -p "$WORK/contract" "$WORK/browser"
"$VENV/bin/python" scripts/contract_check.py "$WORDPIPE" "$WORK/contract" "${SERVE_CHECK_EXAMPLES:-100}"
"$VENV/bin/python" scripts/browser_check.py "$WORDPIPE" "$WORK/browser"
