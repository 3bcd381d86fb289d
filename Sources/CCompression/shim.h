// zlib and libbz2, for reading .gz and .bz2 corpora as streams.
#ifndef WORDPIPE_CCOMPRESSION_SHIM_H
#define WORDPIPE_CCOMPRESSION_SHIM_H
#include <zlib.h>
#include <bzlib.h>
#include <stdio.h>
#endif
