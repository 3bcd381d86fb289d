// ChecksumKernels: CRC-32C (Castagnoli), the checksum of WordPipe's binary files.
//
// CRC-32C is the checksum of iSCSI (RFC 3720, appendix B.4), ext4 metadata and Btrfs; x86-64
// computes it in hardware (the SSE4.2 `crc32` instruction). Here, three interleaved streams of
// the instruction run over each block and are combined by multiplication modulo the polynomial
// (the method of Mark Adler's crc32c.c), which keeps the instruction's pipeline full: about
// 20 GB/s, faster than the page cache delivers a mapped file. The SSE4.2 path is chosen at run
// time; other CPUs use a portable slicing-by-8 table version (about 1 to 2 GB/s). No unsafe
// build flags: the SSE4.2 function carries its own `target` attribute.
//
// The header holds plain C types only.
#ifndef WORDPIPE_CHECKSUM_KERNELS_H
#define WORDPIPE_CHECKSUM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Continues a CRC-32C: `crc` is the checksum of the bytes before (0 for none), the result is
/// the checksum of those bytes followed by `data[0 ..< length]` (the same convention as zlib's
/// `crc32`). The CRC-32C of "123456789" is 0xE3069283.
uint32_t wpc_crc32c(uint32_t crc, const void *data, size_t length);

/// 1 when the hardware (SSE4.2) path is in use, else 0.
int32_t wpc_crc32c_hardware(void);

/// Forces the portable path (1) or restores the run-time choice (0); for tests and benchmarks.
void wpc_set_portable(int32_t portable);

#ifdef __cplusplus
}
#endif

#endif
