import Foundation
import WordPipeSupport

/// The lines of a plain-text file read whole: one segment per line, as parallel text and
/// translation hypotheses are stored.
public enum TextLines {
    /// Every line of `path` (plain, gzip or bzip2; `-` is standard input): `\n` or `\r\n` ends
    /// a line, a final line needs no terminator, a leading UTF-8 BOM is dropped, and ill-formed
    /// UTF-8 is an error naming the line.
    public static func read(path: String) throws -> [String] {
        if path != "-", let what = FileKinds.notText(path: path) { throw TextLinesError.notText(path: path, what: what) }
        do {
            return try LabeledDataLines.readBytes(path: path)
        } catch LabeledDataError.invalidEncoding(let location) {
            throw TextLinesError.invalidEncoding(location: location)
        }
    }
}

/// Why a text file could not be read as lines.
public enum TextLinesError: Error, CustomStringConvertible, Equatable {
    /// The file is a binary format (a model, an archive), not text.
    case notText(path: String, what: String)
    /// A line is not valid UTF-8.
    case invalidEncoding(location: SourceLocation)

    public var description: String {
        switch self {
        case .notText(let path, let what): return "\(path): this is \(what), not text; give a text file with one segment per line"
        case .invalidEncoding(let location): return "\(location): not valid UTF-8"
        }
    }
}
