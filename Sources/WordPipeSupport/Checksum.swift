import ChecksumKernels
import Foundation

/// CRC-32C (Castagnoli), the checksum every WordPipe binary file carries over its header and
/// its payload (RFC 3720, appendix B.4; the checksum of iSCSI, ext4 metadata and Btrfs).
///
/// Computed with the SSE4.2 `crc32` instruction where the CPU has it (chosen at run time, three
/// interleaved streams: about 20 GB/s), else with a portable table (slicing-by-8).
///
/// ```swift
/// var crc = CRC32C.checksum(header)
/// crc = CRC32C.checksum(rows, continuing: crc)
/// ```
public enum CRC32C {
    /// The checksum of `bytes` appended to bytes whose checksum is `crc` (0: none before).
    ///
    /// - Complexity: O(`bytes.count`).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return wpc_crc32c(crc, base, bytes.count)
    }

    /// The checksum of a byte collection stored contiguously (`[UInt8]`, `Data`, slices).
    public static func checksum<Bytes: ContiguousBytes>(of bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, continuing: crc) }
    }

    /// Whether the hardware instruction is used.
    public static var isHardware: Bool { wpc_crc32c_hardware() != 0 }

    /// `crc` as eight hexadecimal digits, as errors and `wordpipe inspect` show it.
    public static func hex(_ crc: UInt32) -> String {
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
