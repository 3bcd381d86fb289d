import Foundation

/// What a WordPipe binary file is, as `wordpipe inspect` tells it: its kind, format version,
/// sizes and checksums. Each module describes its own files; the description holds plain
/// values so that the command line can print it as text or JSON.
public struct ArtifactDescription: Sendable, Equatable {
    /// One fact about the file (`words: 100000`).
    public struct Field: Sendable, Equatable {
        /// A field's value.
        public enum Value: Sendable, Equatable {
            case integer(Int)
            case number(Double)
            case text(String)
            case flag(Bool)
            case list([String])
            /// Named values (a configuration, a training record), in the order to show them.
            case object([Field])

            /// A value's JSON encoding as a value: objects with their keys sorted, arrays of
            /// strings as lists (other arrays as objects keyed by position), nulls left out.
            public static func encoding<T: Encodable>(_ value: T) -> Value {
                guard let json = try? JSONEncoder().encode(value), let decoded = try? JSONDecoder().decode(JSONValue.self, from: json) else {
                    return .text(String(describing: value))
                }
                return decoded.value ?? .object([])
            }
        }

        /// A short name in lower case (`words`, `dim`).
        public var name: String
        public var value: Value

        /// A field named `name` with `value`.
        public init(_ name: String, _ value: Value) {
            self.name = name
            self.value = value
        }
    }

    /// One checksum the file carries.
    public struct Checksum: Sendable, Equatable {
        /// What it covers (`header`, `rows`, `ids`, `weights`).
        public var part: String
        /// The algorithm (`CRC-32C`; version 1 encoded corpora: `CRC-32`).
        public var algorithm: String
        /// The value stored in the file.
        public var stored: UInt32
        /// Whether it was computed and found equal (false: not computed; a mismatch is an error).
        public var verified: Bool

        /// A checksum record.
        public init(part: String, algorithm: String = "CRC-32C", stored: UInt32, verified: Bool) {
            self.part = part
            self.algorithm = algorithm
            self.stored = stored
            self.verified = verified
        }
    }

    /// The file described.
    public var path: String
    /// What it holds: `vectors`, `encoded corpus`, `model`, `parameters`.
    public var kind: String
    /// The magic number as text (`WPVECTRS`).
    public var magic: String
    /// The format version of the file.
    public var version: Int
    /// The newest format version this build writes (an older file reads, and is rewritten in
    /// the newest by the command that made it).
    public var currentVersion: Int
    /// Sizes and settings, in the order to show them.
    public var fields: [Field]
    /// The checksums in the file; empty for format versions without them.
    public var checksums: [Checksum]
    /// Whether the whole file was checked (`--verify`): every checksum computed and the header
    /// compared with the payload.
    public var verified: Bool

    /// A description.
    public init(path: String, kind: String, magic: String, version: Int, currentVersion: Int, fields: [Field],
                checksums: [Checksum], verified: Bool) {
        self.path = path
        self.kind = kind
        self.magic = magic
        self.version = version
        self.currentVersion = currentVersion
        self.fields = fields
        self.checksums = checksums
        self.verified = verified
    }
}

/// Any JSON value, decoded for `ArtifactDescription.Field.Value.encoding`.
private enum JSONValue: Decodable {
    case null, flag(Bool), integer(Int), number(Double), text(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .flag(flag) }
        else if let integer = try? container.decode(Int.self) { self = .integer(integer) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .text(text) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    var value: ArtifactDescription.Field.Value? {
        switch self {
        case .null: return nil
        case .flag(let flag): return .flag(flag)
        case .integer(let integer): return .integer(integer)
        case .number(let number): return .number(number)
        case .text(let text): return .text(text)
        case .array(let items):
            let texts = items.compactMap { if case .text(let text) = $0 { text } else { nil } }
            if texts.count == items.count { return .list(texts) }
            return .object(items.enumerated().compactMap { index, item in item.value.map { .init(String(index), $0) } })
        case .object(let members):
            return .object(members.keys.sorted().compactMap { key in members[key]?.value.map { .init(key, $0) } })
        }
    }
}
