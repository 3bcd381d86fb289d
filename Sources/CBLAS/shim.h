// CBLAS from Debian's libopenblas-dev (pkg-config name `openblas`, which also supplies the
// include directory holding cblas.h).
//
// OpenBLAS 0.3.21 does not recognise the virtual CPUs of our CI machines and falls back to its
// SSE3 kernels; an OPENBLAS_CORETYPE set in the environment is honoured (never overridden here).
// The vector store uses level-2/3 calls on memory-bound shapes, where the kernel choice
// matters little; see BENCHMARKS.md for measured figures.
#ifndef WORDPIPE_CBLAS_SHIM_H
#define WORDPIPE_CBLAS_SHIM_H
#include <cblas.h>
#endif
