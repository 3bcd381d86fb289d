# Sourced by the benchmark scripts: run a peer (Python with numpy's or scipy's own OpenBLAS,
# gensim, hnswlib, torch) at its full speed, and name the BLAS kernel it runs.
#
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set in the environment for OUR binary (Debian's
# OpenBLAS 0.3.21 misdetects some CPUs, and some machines set the variable for correctness: see
# PLATFORM.md, "BLAS"). The same variable also reaches a peer's own, newer OpenBLAS, which detects
# the CPU by itself: with OPENBLAS_CORETYPE=Prescott gensim's most_similar on 100k×300 took 16.2 ms
# per query instead of 7.3 ms. So the two are unset for the peer's command alone; our binary keeps
# the environment it is given (never set or override them for it).

# peer CMD...: runs CMD with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset. PEER is the same prefix
# as an array, for commands run under another program (/usr/bin/time "${PEER[@]}" CMD...).
PEER=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
peer() { "${PEER[@]}" "$@"; }

# peer_blas PYTHON [MODULE...]: one line naming the BLAS libraries PYTHON loads after importing
# MODULE... (default numpy), in the peer's environment, from threadpoolctl.threadpool_info():
# "openblas 0.3.27 SkylakeX (libscipy_openblas64_...so), 1 thread".
peer_blas() {
  local py=$1; shift
  peer "$py" "$(dirname "${BASH_SOURCE[0]}")/peer_blas.py" "$@" 2>/dev/null || echo "unknown (threadpoolctl not importable)"
}
