// ChecksumKernels implementation. See checksum_kernels.h.
#include "checksum_kernels.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define WPC_SSE42 __attribute__((target("sse4.2")))
#endif

/// The CRC-32C polynomial 0x1EDC6F41, bit-reversed (the "reflected" form every CRC-32C uses).
#define WPC_POLY 0x82F63B78u

// MARK: - Arithmetic modulo the polynomial (reflected: bit 31 is x^0)

/// a · b modulo the polynomial (zlib's `multmodp`, for CRC-32C's polynomial).
static uint32_t multmodp(uint32_t a, uint32_t b) {
    uint32_t m = 1u << 31, product = 0;
    for (;;) {
        if (a & m) {
            product ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = b & 1 ? (b >> 1) ^ WPC_POLY : b >> 1;
    }
    return product;
}

/// x^(8·bytes) modulo the polynomial: the operator that appends `bytes` zero bytes to a raw CRC.
static uint32_t x8nmodp(size_t bytes) {
    uint32_t result = 1u << 31;  // x^0
    uint32_t square = 1u << 23;  // x^8
    while (bytes) {
        if (bytes & 1) result = multmodp(square, result);
        square = multmodp(square, square);
        bytes >>= 1;
    }
    return result;
}

// MARK: - Portable: slicing-by-8

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = crc & 1 ? (crc >> 1) ^ WPC_POLY : crc >> 1;
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
}

/// The raw (not inverted) CRC register after `data`, starting from `crc`.
static uint32_t crc32c_portable(uint32_t crc, const unsigned char *data, size_t length) {
    pthread_once(&table_once, build_table);
    while (length && ((uintptr_t)data & 7)) {
        crc = table[0][(crc ^ *data++) & 0xFF] ^ (crc >> 8);
        length--;
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, data, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        word ^= crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF] ^
              table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        data += 8;
        length -= 8;
    }
    while (length--) crc = table[0][(crc ^ *data++) & 0xFF] ^ (crc >> 8);
    return crc;
}

// MARK: - SSE4.2: three interleaved streams

#if defined(__x86_64__)
/// Bytes per stream in one block: three streams of this length, then one combination (two
/// multiplications, about 1% of the block's time).
#define WPC_STREAM 16384

static uint32_t shift_stream, shift_two_streams;
static pthread_once_t shifts_once = PTHREAD_ONCE_INIT;

static void build_shifts(void) {
    shift_stream = x8nmodp(WPC_STREAM);
    shift_two_streams = x8nmodp(2 * WPC_STREAM);
}

WPC_SSE42 static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *data, size_t length) {
    uint64_t crc0 = crc;
    while (length && ((uintptr_t)data & 7)) {
        crc0 = _mm_crc32_u8((uint32_t)crc0, *data++);
        length--;
    }
    if (length >= 3 * WPC_STREAM) {
        pthread_once(&shifts_once, build_shifts);
        do {
            // The raw CRC is linear: crc(A‖B‖C) = crc(A)·x^(8·2S) ⊕ crc₀(B)·x^(8·S) ⊕ crc₀(C).
            uint64_t crc1 = 0, crc2 = 0;
            const unsigned char *end = data + WPC_STREAM;
            while (data < end) {
                uint64_t a, b, c;
                memcpy(&a, data, 8);
                memcpy(&b, data + WPC_STREAM, 8);
                memcpy(&c, data + 2 * WPC_STREAM, 8);
                crc0 = _mm_crc32_u64(crc0, a);
                crc1 = _mm_crc32_u64(crc1, b);
                crc2 = _mm_crc32_u64(crc2, c);
                data += 8;
            }
            crc0 = multmodp(shift_two_streams, (uint32_t)crc0) ^ multmodp(shift_stream, (uint32_t)crc1) ^ (uint32_t)crc2;
            data += 2 * WPC_STREAM;
            length -= 3 * WPC_STREAM;
        } while (length >= 3 * WPC_STREAM);
    }
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, data, 8);
        crc0 = _mm_crc32_u64(crc0, word);
        data += 8;
        length -= 8;
    }
    while (length--) crc0 = _mm_crc32_u8((uint32_t)crc0, *data++);
    return (uint32_t)crc0;
}
#endif

// MARK: - Run-time choice

// Read and written with relaxed atomics: several threads may checksum at once (both paths give
// the same value, so a test switching paths never changes a result).
static int portable_override = 0;

static int hardware(void) {
    if (__atomic_load_n(&portable_override, __ATOMIC_RELAXED)) return 0;
#if defined(__x86_64__)
    static int answer = -1;
    int known = __atomic_load_n(&answer, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&answer, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

int32_t wpc_crc32c_hardware(void) { return hardware(); }

void wpc_set_portable(int32_t portable) { __atomic_store_n(&portable_override, portable ? 1 : 0, __ATOMIC_RELAXED); }

uint32_t wpc_crc32c(uint32_t crc, const void *data, size_t length) {
    const unsigned char *bytes = (const unsigned char *)data;
    uint32_t raw = ~crc;
    if (length == 0 || bytes == NULL) return crc;
#if defined(__x86_64__)
    if (hardware()) return ~crc32c_sse42(raw, bytes, length);
#endif
    return ~crc32c_portable(raw, bytes, length);
}
