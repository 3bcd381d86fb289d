import CCompression
import Foundation
import WordPipeSupport

/// A stream of the bytes of one input, decompressed on the fly.
///
/// gzip (`1F 8B`) and bzip2 (`BZh`) are recognised by their magic bytes, whatever the file
/// name, and read through zlib and libbz2 in 1 MiB steps; concatenated members (`pigz`,
/// `pbzip2`, Wikipedia's multistream dumps) are read to the end. `-` is standard input (plain
/// or gzip).
public final class ByteSource {
    /// Compression of an input.
    public enum Compression: String, Sendable { case none, gzip, bzip2 }

    /// The path as given (for messages).
    public let path: String
    /// The detected compression.
    public let compression: Compression
    /// The size of the file on disk, or 0 when unknown (standard input).
    public let size: Int64

    private var descriptor: Int32
    private var gzip: gzFile?
    private var file: UnsafeMutablePointer<FILE>?
    private var bzip: UnsafeMutableRawPointer?
    private var bzipEnded = false
    private var plainOffset: Int64 = 0
    private var closed = false

    /// Opens `path` (or standard input for `-`).
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            descriptor = dup(0)
            size = 0
            guard let handle = gzdopen(descriptor, "rb") else {
                throw CorpusError.cannotOpen(path: path, reason: "cannot read standard input")
            }
            gzip = handle
            gzbuffer(handle, 1 << 17)
            compression = .gzip  // zlib reads plain input transparently
            return
        }
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            throw CorpusError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        fstat(descriptor, &info)
        if (info.st_mode & S_IFMT) == S_IFDIR {
            Foundation.close(descriptor)
            throw CorpusError.cannotOpen(path: path, reason: "is a directory")
        }
        size = Int64(info.st_size)
        var magic = [UInt8](repeating: 0, count: 3)
        let got = pread(descriptor, &magic, 3, 0)
        if got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B {
            compression = .gzip
            guard let handle = gzdopen(descriptor, "rb") else {
                Foundation.close(descriptor)
                throw CorpusError.cannotOpen(path: path, reason: "cannot start gzip decoding")
            }
            gzip = handle
            gzbuffer(handle, 1 << 17)
        } else if got == 3 && magic[0] == 0x42 && magic[1] == 0x5A && magic[2] == 0x68 {
            compression = .bzip2
            guard let stream = fdopen(descriptor, "rb") else {
                Foundation.close(descriptor)
                throw CorpusError.cannotOpen(path: path, reason: "cannot open stream")
            }
            file = stream
            try openBzip(unused: nil, count: 0)
        } else {
            compression = .none
        }
    }

    deinit { close() }

    /// Closes the input; further reads return 0.
    public func close() {
        if closed { return }
        closed = true
        if let gzip {
            gzclose(gzip)  // also closes the descriptor
        } else if let file {
            if let bzip {
                var error: Int32 = 0
                BZ2_bzReadClose(&error, bzip)
            }
            fclose(file)
        } else {
            Foundation.close(descriptor)
        }
    }

    /// How many bytes of the file (compressed, if it is) have been consumed so far.
    public var consumedBytes: Int64 {
        if closed { return size }
        if let gzip { return Int64(gzoffset(gzip)) }
        if let file { return Int64(ftell(file)) }
        return plainOffset
    }

    /// Reads up to `buffer.count` decompressed bytes; returns 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !closed, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let request = Int32(min(buffer.count, 1 << 30))
        if let gzip {
            let got = gzread(gzip, base, UInt32(request))
            if got < 0 {
                var code: Int32 = 0
                let message = gzerror(gzip, &code).map { String(cString: $0) } ?? "gzip error"
                throw CorpusError.readFailed(location: SourceLocation(path: path), reason: "gzip: \(message)")
            }
            if got == 0 {
                // zlib ends a file cut inside a gzip member like a complete one (gzread returns 0);
                // only gzerror tells the difference (Z_BUF_ERROR). Report it, or a truncated
                // download would be read as a silently shorter corpus.
                var code: Int32 = 0
                _ = gzerror(gzip, &code)
                if code == Z_BUF_ERROR {
                    throw CorpusError.readFailed(location: SourceLocation(path: path), reason: "gzip: unexpected end of file (truncated?)")
                }
            }
            return Int(got)
        }
        if file != nil { return try readBzip(base, request) }
        while true {
            let got = Foundation.read(descriptor, base, Int(request))
            if got < 0 {
                if errno == EINTR { continue }
                throw CorpusError.readFailed(location: SourceLocation(path: path), reason: String(cString: strerror(errno)))
            }
            plainOffset += Int64(got)
            return got
        }
    }

    private func openBzip(unused: UnsafeMutableRawPointer?, count: Int32) throws {
        var error: Int32 = 0
        bzip = BZ2_bzReadOpen(&error, file, 0, 0, unused, count)
        if error != BZ_OK || bzip == nil {
            throw CorpusError.readFailed(location: SourceLocation(path: path), reason: "bzip2: cannot start decoding (code \(error))")
        }
    }

    private func readBzip(_ base: UnsafeMutableRawPointer, _ request: Int32) throws -> Int {
        while true {
            guard let stream = bzip, !bzipEnded else { return 0 }
            var error: Int32 = 0
            let got = BZ2_bzRead(&error, stream, base, request)
            if error == BZ_OK { return Int(got) }
            if error == BZ_STREAM_END {
                // Another bzip2 stream may follow (multistream files): carry the unused bytes over.
                var unusedPointer: UnsafeMutableRawPointer?
                var unusedCount: Int32 = 0
                BZ2_bzReadGetUnused(&error, stream, &unusedPointer, &unusedCount)
                let leftover = unusedCount > 0 && unusedPointer != nil
                    ? Array(UnsafeRawBufferPointer(start: unusedPointer, count: Int(unusedCount))) : []
                BZ2_bzReadClose(&error, stream)
                bzip = nil
                var next = [UInt8](repeating: 0, count: 1)
                if leftover.isEmpty {
                    let peek = fread(&next, 1, 1, file)
                    if peek == 0 { bzipEnded = true; return Int(got) }
                    ungetc(Int32(next[0]), file)
                }
                var copy = leftover
                try copy.withUnsafeMutableBytes { raw in
                    try openBzip(unused: raw.baseAddress, count: Int32(raw.count))
                }
                if got > 0 { return Int(got) }
                continue
            }
            throw CorpusError.readFailed(location: SourceLocation(path: path), reason: "bzip2: corrupt or truncated data (code \(error))")
        }
    }
}
