import Foundation

/// Saves and loads a model's parameters in a small versioned binary file.
///
/// Layout (little-endian): the magic `WPRNNPAR`, a version (UInt32), the bytes per value (UInt32:
/// 4 or 8), the parameter count (UInt32); then per parameter its name (UInt32 length + UTF-8), rows
/// and columns (UInt64 each) and the values, row-major. A reader checks every field against the
/// model it loads into and rejects a truncated, foreign or mismatched file with a clear error.
public enum ParameterFile {
    /// The magic number at the start of every file.
    public static let magic = Array("WPRNNPAR".utf8)
    /// The format version written and read.
    public static let version: UInt32 = 1

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
        return bytes
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
        var reader = Reader(bytes: bytes, path: path)
        guard reader.bytes.count >= magic.count, Array(reader.bytes[0..<magic.count]) == magic else {
            throw RecurrentError.malformedFile(path: path, reason: "not a WordPipe parameter file (wrong magic number)")
        }
        reader.offset = magic.count
        let fileVersion = try reader.integer(UInt32.self, "version")
        guard fileVersion == version else {
            throw RecurrentError.malformedFile(path: path, reason: "format version \(fileVersion), this reader reads version \(version)")
        }
        let width = try reader.integer(UInt32.self, "value size")
        guard width == 4 || width == 8 else {
            throw RecurrentError.malformedFile(path: path, reason: "values of \(width) bytes; expected 4 (float32) or 8 (float64)")
        }
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
            let raw = try reader.take(Int(rows * columns) * Int(width), "values of '\(name)'")
            values.append(raw.withUnsafeBytes { buffer in
                (0..<Int(rows * columns)).map { index in
                    width == 4
                        ? Scalar(Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))))
                        : Scalar(Double(bitPattern: UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))))
                }
            })
        }
        guard reader.offset == reader.bytes.count else {
            throw RecurrentError.malformedFile(path: path, reason: "\(reader.bytes.count - reader.offset) unexpected bytes after the last parameter")
        }
        // Only now, when the whole file has been read, are the parameters changed.
        for (parameter, value) in zip(parameters, values) {
            parameter.value = Matrix(rows: parameter.value.rows, columns: parameter.value.columns, storage: value)
        }
    }

    /// A cursor over the file's bytes that reports truncation by field.
    private struct Reader {
        let bytes: [UInt8]
        let path: String
        var offset = 0

        mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
            guard count >= 0, offset + count <= bytes.count else {
                throw RecurrentError.malformedFile(path: path, reason: "truncated at byte \(bytes.count) while reading \(field)")
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
