#!/usr/bin/env bash
# scripts/check-browser.sh WORDPIPE - the web page of `wordpipe serve` in headless Chromium
# (scripts/browser_check.py): Debian's chromium and chromium-driver (installed here when
# missing; no browser is downloaded) and Selenium from PyPI in a test venv (VENV, default
# .build/venv-browser). Screenshots land in .build/browser-check/screenshots.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WORDPIPE=${1:?usage: check-browser.sh WORDPIPE}
VENV=${VENV:-.build/venv-browser}
log() { printf '[browser] %s\n' "$*" >&2; }

missing=()
for package in chromium chromium-driver; do
  dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed$' || missing+=("$package")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  log "installing: ${missing[*]}"
  $SUDO apt-get update -qq || log "apt-get update failed; using the lists present"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import selenium' 2>/dev/null || "$VENV/bin/pip" install -q 'selenium>=4.10'
WORK=.build/browser-check
rm -rf "$WORK"
mkdir -p "$WORK"
"$VENV/bin/python" scripts/browser_check.py "$WORDPIPE" "$WORK"
