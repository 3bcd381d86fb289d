import Foundation
import WordPipeSupport

/// The lines of a small labeled-data file, read whole (these files are a few MB at most).
enum LabeledDataLines {
    /// Reads every line of `path` (plain, gzip or bzip2; `-` is standard input).
    static func read(path: String) throws -> [String] {
        if path != "-", let what = FileKinds.notText(path: path) { throw LabeledDataError.notLabelledData(path: path, what: what) }
        return try readBytes(path: path)
    }

    /// Reads every line of `path` without the check that it is not a binary format.
    static func readBytes(path: String) throws -> [String] {
        let source = try ByteSource(path: path)
        defer { source.close() }
        var bytes: [UInt8] = []
        // 16 KiB first, doubling after each full read up to 1 MiB: small files stay cheap.
        var chunk = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
            if got == chunk.count && chunk.count < 1 << 20 { chunk = [UInt8](repeating: 0, count: chunk.count * 2) }
        }
        return try split(bytes, name: path)
    }

    /// Splits UTF-8 bytes into lines: `\n` or `\r\n` ends a line, a final line needs no
    /// terminator, and a leading UTF-8 BOM is dropped. Ill-formed UTF-8 is an error.
    static func split(_ bytes: [UInt8], name: String) throws -> [String] {
        var lines: [String] = []
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let count = buffer.count
            var start = count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
            while start < count {
                let found = memchr(base + start, 0x0A, count - start)
                let newline = found.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? count
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                guard let line = String(validating: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self) else {
                    throw LabeledDataError.invalidEncoding(location: SourceLocation(path: name, line: lines.count + 1))
                }
                lines.append(line)
                start = newline + 1
            }
        }
        return lines
    }

    /// Whether a line holds only spaces and tabs (or nothing).
    static func isBlank(_ line: String) -> Bool {
        line.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// The fields of a line separated by runs of spaces and tabs.
    static func whitespaceFields(_ line: String) -> [String] {
        line.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { String(Substring($0)) }
    }

    /// The fields of a line separated by single tabs (empty fields kept).
    static func tabFields(_ line: String) -> [String] {
        line.utf8.split(separator: 0x09, omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// The line without trailing spaces and tabs.
    static func trimmingTrailingWhitespace(_ line: String) -> String {
        var utf8 = line.utf8[...]
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        return String(Substring(utf8))
    }

    /// The line without leading and trailing spaces and tabs.
    static func trimmingWhitespace(_ line: Substring) -> Substring {
        var utf8 = line.utf8[...]
        while let first = utf8.first, first == 0x20 || first == 0x09 { utf8 = utf8.dropFirst() }
        while let last = utf8.last, last == 0x20 || last == 0x09 { utf8 = utf8.dropLast() }
        return Substring(utf8)
    }
}
