import Foundation
import WordPipeSupport

/// Saves and loads a model's parameters in a small versioned binary file.
///
/// Layout (little-endian): the magic `WPRNNPAR`, a version (UInt32), the bytes per value (UInt32:
/// 4 or 8), the parameter count (UInt32); then per parameter its name (UInt32 length + UTF-8), rows
/// and columns (UInt64 each) and the values, row-major; then (version 2) the CRC-32C of all the
/// bytes before it. A reader checks the checksum first, then every field against the model it
/// loads into, and rejects a damaged, truncated, foreign or mismatched file with a clear error.
/// Version 1 files (without the checksum) are still read.
public enum ParameterFile {
    /// The magic number at the start of every file.
    public static let magic = Array("WPRNNPAR".utf8)
    /// The format version written; versions 1 and 2 are read.
    public static let version: UInt32 = 2

    /// Writes `parameters` to `path` atomically.
    public static func write<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>], to path: String) throws {
        do {
            try Data(encode(parameters)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RecurrentError.malformedFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// The bytes of a parameter file holding `parameters` (to embed in a larger file).
    public static func encode<Scalar: RecurrentScalar>(_ parameters: [Parameter<Scalar>]) -> [UInt8] {
        var bytes = magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put(version)
        put(UInt32(MemoryLayout<Scalar>.size))
        put(UInt32(parameters.count))
        for parameter in parameters {
            let name = Array(parameter.name.utf8)
            put(UInt32(name.count))
            bytes.append(contentsOf: name)
            put(UInt64(parameter.value.rows))
            put(UInt64(parameter.value.columns))
            for value in parameter.value.storage {
                if MemoryLayout<Scalar>.size == 4 { put(Float(value).bitPattern) } else { put(Double(value).bitPattern) }
            }
        }
        put(CRC32C.checksum(of: bytes))
        return bytes
    }

    /// One parameter's entry in a file.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var columns: Int
    }

    /// The layout of parameter-file bytes, checked for consistency (every entry inside the bytes,
    /// nothing after the last, the checksum when `verify`) without a model to load into.
    public static func structure(_ bytes: [UInt8], path: String, verify: Bool = true)
        throws -> (version: UInt32, valueSize: Int, entries: [Entry], checksum: UInt32?) {
        var reader = try Reader(checking: bytes, path: path, verify: verify)
        let width = try reader.header()
        var entries: [Entry] = []
        let count = try reader.integer(UInt32.self, "parameter count")
        for _ in 0 ..< count {
            let length = Int(try reader.integer(UInt32.self, "name length"))
            let name = String(decoding: try reader.take(length, "name"), as: UTF8.self)
            let rows = try reader.integer(UInt64.self, "rows"), columns = try reader.integer(UInt64.self, "columns")
            let (values, overflow) = rows.multipliedReportingOverflow(by: columns)
            let (size, sizeOverflow) = values.multipliedReportingOverflow(by: UInt64(width))
            guard !overflow, !sizeOverflow, size <= UInt64(reader.end - reader.offset) else {
                throw RecurrentError.malformedFile(path: path, reason: "truncated or damaged: '\(name)' of \(rows) × \(columns) needs more than the \(reader.end - reader.offset) bytes left")
            }
            _ = try reader.take(Int(size), "values of '\(name)'")
            entries.append(Entry(name: name, rows: Int(rows), columns: Int(columns)))
        }
        try reader.finish()
        return (reader.version, width, entries, reader.checksum)
    }

    /// Loads the values in `path` into `parameters`, which must match the file's names and shapes
    /// in order. Values stored in the other precision are converted.
    public static func read<Scalar: RecurrentScalar>(into parameters: [Parameter<Scalar>], from path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RecurrentError.malformedFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        try decode([UInt8](data), path: path, into: parameters)
    }

    /// Loads parameter-file bytes (`encode`'s output; `path` names them in errors) into
    /// `parameters`, as `read` does.
    public static func decode<Scalar: RecurrentScalar>(_ bytes: [UInt8], path: String, into parameters: [Parameter<Scalar>]) throws {
        var reader = try Reader(checking: bytes, path: path, verify: true)
        let width = try reader.header()
        let count = try reader.integer(UInt32.self, "parameter count")
        guard count == parameters.count else {
            throw RecurrentError.mismatchedFile(path: path, reason: "the file has \(count) parameters, the model \(parameters.count)")
        }
        var values: [[Scalar]] = []
        for parameter in parameters {
            let length = Int(try reader.integer(UInt32.self, "name length"))
            let name = String(decoding: try reader.take(length, "name"), as: UTF8.self)
            let rows = try reader.integer(UInt64.self, "rows"), columns = try reader.integer(UInt64.self, "columns")
            guard name == parameter.name, rows == parameter.value.rows, columns == parameter.value.columns else {
                throw RecurrentError.mismatchedFile(
                    path: path, reason: "the file has '\(name)' of \(rows) × \(columns) where the model has '\(parameter.name)' of \(parameter.value.shape)")
            }
            let raw = try reader.take(Int(rows * columns) * width, "values of '\(name)'")
            values.append(raw.withUnsafeBytes { buffer in
                (0..<Int(rows * columns)).map { index in
                    width == 4
                        ? Scalar(Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))))
                        : Scalar(Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))))
                }
            })
        }
        try reader.finish()
        // Only now, when the whole file has been read, are the parameters changed.
        for (parameter, value) in zip(parameters, values) {
            parameter.value = Matrix(rows: parameter.value.rows, columns: parameter.value.columns, storage: value)
        }
    }

    /// A cursor over the file's bytes that reports truncation by field.
    private struct Reader {
        let bytes: [UInt8]
        let path: String
        /// Where the parameters end (before the checksum in version 2).
        let end: Int
        let version: UInt32
        /// The stored checksum (version 2).
        let checksum: UInt32?
        var offset = 0

        /// Checks the magic and the version, and (version 2, with `verify`) the checksum over
        /// everything before it, before any other field is read.
        init(checking bytes: [UInt8], path: String, verify: Bool) throws {
            self.bytes = bytes
            self.path = path
            let fixed = magic.count + 4
            guard bytes.count >= fixed, Array(bytes[0..<magic.count]) == magic else {
                throw RecurrentError.malformedFile(path: path, reason: "not a WordPipe parameter file (wrong magic number)")
            }
            let fileVersion = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: magic.count, as: UInt32.self)) }
            guard (1 ... ParameterFile.version).contains(fileVersion) else {
                throw RecurrentError.malformedFile(path: path, reason: "format version \(fileVersion), this reader reads versions 1 to \(ParameterFile.version)")
            }
            version = fileVersion
            if fileVersion >= 2 {
                guard bytes.count >= fixed + 4 else {
                    throw RecurrentError.malformedFile(path: path, reason: "truncated at byte \(bytes.count) while reading the checksum")
                }
                end = bytes.count - 4
                let stored = bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self)) }
                if verify {
                    let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0 ..< bytes.count - 4])) }
                    guard computed == stored else {
                        throw RecurrentError.malformedFile(path: path, reason: "damaged: the weights' CRC-32C is \(CRC32C.hex(computed)), the file records \(CRC32C.hex(stored)) (the file changed after it was written, or is truncated; restore it or train again)")
                    }
                }
                checksum = stored
            } else {
                end = bytes.count
                checksum = nil
            }
            offset = fixed
        }

        /// The value size, after the version.
        mutating func header() throws -> Int {
            let width = try integer(UInt32.self, "value size")
            guard width == 4 || width == 8 else {
                throw RecurrentError.malformedFile(path: path, reason: "values of \(width) bytes; expected 4 (float32) or 8 (float64)")
            }
            return Int(width)
        }

        /// Checks that nothing follows the last parameter.
        func finish() throws {
            guard offset == end else {
                throw RecurrentError.malformedFile(path: path, reason: "\(end - offset) unexpected bytes after the last parameter")
            }
        }

        mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
            guard count >= 0, count <= end - offset else {
                throw RecurrentError.malformedFile(path: path, reason: "truncated at byte \(end) while reading \(field)")
            }
            defer { offset += count }
            return bytes[offset ..< offset + count]
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws -> T {
            let slice = try take(MemoryLayout<T>.size, field)
            return slice.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
        }
    }
}
