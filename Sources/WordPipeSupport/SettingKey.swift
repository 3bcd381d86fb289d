/// The key of a configuration setting, as a configuration error carries it: the `CodingKey`
/// the setting has in pipeline files (`min_count`), from which a command line derives its
/// option name (`--min-count`, see `flagName`).
public struct SettingKey: CodingKey, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var stringValue: String
    public var intValue: Int? { nil }

    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
    public init(stringLiteral value: String) { stringValue = value }

    /// The key of a configuration's own `CodingKeys`.
    public init<Key: CodingKey>(_ key: Key) { stringValue = key.stringValue }

    /// The key as written in pipeline files.
    public var description: String { stringValue }

    /// The command-line option for this key: `min_count` -> `--min-count`.
    public var flagName: String { "--" + String(stringValue.map { $0 == "_" ? "-" : $0 }) }

    public static func == (key: SettingKey, name: String) -> Bool { key.stringValue == name }
    public static func == (name: String, key: SettingKey) -> Bool { key.stringValue == name }
}

/// An error about one configuration setting: its key, the value given and what is expected.
public protocol InvalidSettingError: Error {
    /// The setting this error is about, when it is about one.
    var invalidSetting: (key: SettingKey, value: String, expected: String)? { get }
}

/// How a message names a setting: as a command line spells it (`--min-count`) or as a pipeline
/// file does (`min_count`). Library code does not know which of the two its caller is.
public enum SettingNaming: Sendable {
    /// Command-line options: `--min-count`.
    case option
    /// Pipeline-file keys: `min_count`.
    case key

    /// The name of `key` in this naming.
    public func callAsFunction(_ key: SettingKey) -> String {
        switch self {
        case .option: key.flagName
        case .key: key.stringValue
        }
    }
}

/// An error whose message names settings (what to lower, which option to drop); the caller
/// renders it for its own users. `description` names them as pipeline files do.
public protocol NamesSettings: Error, CustomStringConvertible {
    /// The message, with settings named by `naming`.
    func message(naming: SettingNaming) -> String
}

extension NamesSettings {
    public var description: String { message(naming: .key) }
}

/// The message of any error, with its settings (if it names any) named by `naming`.
public func errorMessage(_ error: Error, naming: SettingNaming) -> String {
    (error as? NamesSettings)?.message(naming: naming) ?? String(describing: error)
}
