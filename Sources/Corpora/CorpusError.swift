import WordPipeSupport

/// Errors that stop reading a corpus.
public enum CorpusError: Error, Equatable, NamesSettings {
    /// An input path does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// Reading failed (I/O or decompression error).
    case readFailed(location: SourceLocation, reason: String)
    /// A file could not be parsed at all (libxml2 gave up before any text).
    case malformed(location: SourceLocation, message: String)
    /// An option names something invalid (the value and the valid alternatives).
    case invalidOption(name: SettingKey, value: String, valid: [String])
    /// The inputs held no text at all.
    case noDocuments(inputs: [String], problems: Int)

    public func message(naming: SettingNaming) -> String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open: \(reason)"
        case .readFailed(let location, let reason):
            return "\(location): read failed: \(reason)"
        case .malformed(let location, let message):
            return "\(location): \(message)"
        case .invalidOption(let name, let value, let valid):
            return "invalid value '\(value)' for \(naming(name)); valid values: \(valid.joined(separator: ", "))"
        case .noDocuments(let inputs, let problems):
            let list = inputs.count <= 3 ? inputs.joined(separator: ", ") : "\(inputs.count) inputs"
            let suffix = problems > 0 ? " (\(problems) problems reported above)" : ""
            return "no text could be read from \(list)\(suffix)"
        }
    }
}
