#!/bin/bash
# Checksums on load (issue 13): CRC throughput, then load + one nearest query on 100k x 300
# with (format version 2) and without (version 1) the rows' checksum, same binary.
# Usage: WORDPIPE=.build/release/wordpipe Benchmarks/integrity/run.sh [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wordpipe=${WORDPIPE:-$root/.build/release/wordpipe}
# numpy only writes the input here (not timed); it runs as a peer anyway (Benchmarks/peer_env.sh).
# shellcheck source=../peer_env.sh
source "$root/Benchmarks/peer_env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
clang -O2 -I"$root/Sources/ChecksumKernels/include" "$here/crcbench.c" "$root/Sources/ChecksumKernels/checksum_kernels.c" -lz -lpthread -o "$work/crcbench"
"$work/crcbench"
peer python3 "$here/make_vectors.py" "$work/v.bin"
"$wordpipe" convert "$work/v.bin" -o "$work/v2.wpv" --format native
python3 "$here/tov1.py" "$work/v2.wpv" "$work/v1.wpv"
grep -m1 "model name" /proc/cpuinfo; uptime
ROUNDS=${1:-51} python3 "$here/loadbench.py" "$wordpipe" "$work/v1.wpv" "$work/v2.wpv"
uptime
