#!/usr/bin/env bash
# scripts/setup.sh - install what WordPipe builds against, from Debian, idempotently.
#
# System libraries: ICU (libicu-dev), libxml2 (libxml2-dev), a CBLAS (libopenblas-dev, for the
# recurrent networks), zlib and libbz2 (compressed corpora), pkg-config. The Swift toolchain
# itself is expected on PATH (swift 6.x). Nothing is installed when everything is present.
set -euo pipefail

# Extra Debian packages named as arguments are installed the same way (the serve check's
# chromium and chromium-driver).
PACKAGES=(pkg-config libicu-dev libxml2-dev libopenblas-dev zlib1g-dev libbz2-dev "$@")

log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed$' || missing+=("$package")
done

if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  log "installing: ${missing[*]}"
  # apt-get update can fail on a lock while another apt runs: retry, then use the lists we have.
  for attempt in 1 2 3; do
    if $SUDO apt-get update -qq; then break; fi
    log "apt-get update failed (attempt $attempt); retrying"
    sleep 5
  done
  for attempt in 1 2 3; do
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      break
    fi
    if [ "$attempt" = 3 ]; then log "apt-get install failed: ${missing[*]}"; exit 1; fi
    log "apt-get install failed (attempt $attempt); retrying"
    sleep 5
  done
fi

command -v swift >/dev/null || { log "swift is not on PATH (Swift 6.x is needed)"; exit 1; }
log "system libraries present: ${PACKAGES[*]}"
