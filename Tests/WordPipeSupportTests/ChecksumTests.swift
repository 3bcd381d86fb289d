import ChecksumKernels
import Foundation
import Testing
import TestSupport
import WordPipeSupport

/// CRC-32C against the published check values, and the hardware path against the portable one.
@Suite(.serialized) struct ChecksumTests {
    /// RFC 3720 appendix B.4 and the catalogue check value ("123456789").
    @Test(arguments: [
        (Array("123456789".utf8), UInt32(0xE306_9283)),
        ([UInt8](repeating: 0, count: 32), UInt32(0x8A91_36AA)),
        ([UInt8](repeating: 0xFF, count: 32), UInt32(0x62A8_AB43)),
        ((0 ..< 32).map { UInt8($0) }, UInt32(0x46DD_794E)),
        ((0 ..< 32).map { UInt8(31 - $0) }, UInt32(0x113F_DB5C)),
        ([], UInt32(0)),
    ])
    func publishedValues(bytes: [UInt8], expected: UInt32) {
        for portable in [false, true] {
            wpc_set_portable(portable ? 1 : 0)
            defer { wpc_set_portable(0) }
            #expect(CRC32C.checksum(of: bytes) == expected, "portable: \(portable)")
        }
    }

    /// Every length and alignment around the three-stream block size gives the same value on
    /// both paths, and a checksum continued over pieces equals the one over the whole.
    @Test func hardwareEqualsPortable() {
        var random = SplitMix64(seed: 13)
        let bytes = (0 ..< 200_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let cases = [(0, 1), (1, 7), (3, 64), (5, 3 * 16384 - 1), (0, 3 * 16384), (7, 3 * 16384 + 9), (2, 2 * 3 * 16384 + 100), (0, 199_999)]
        bytes.withUnsafeBytes { raw in
            for (start, length) in cases {
                let slice = UnsafeRawBufferPointer(rebasing: raw[start ..< start + length])
                wpc_set_portable(1)
                let portable = CRC32C.checksum(slice)
                wpc_set_portable(0)
                let fast = CRC32C.checksum(slice)
                #expect(fast == portable, "start \(start), length \(length)")
                let cut = length / 3
                let pieces = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[cut...]),
                                             continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: slice[..<cut])))
                #expect(pieces == portable, "start \(start), length \(length), cut \(cut)")
            }
        }
    }

    /// A flip of any single bit changes the checksum (CRC-32C detects every 1- and 2-bit error).
    @Test func everySingleBitFlipIsSeen() {
        var bytes = (0 ..< 256).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let original = CRC32C.checksum(of: bytes)
        for bit in 0 ..< bytes.count * 8 {
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(CRC32C.checksum(of: bytes) != original, "bit \(bit)")
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
        }
    }
}
