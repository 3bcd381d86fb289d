import Foundation
import WordPipeSupport

/// Errors from reading a predictions file.
public enum PredictionsFileError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case cannotRead(path: String, reason: String)
    /// A line has fewer than the two tag columns.
    case tooFewColumns(location: SourceLocation, found: Int)
    /// A line's column count differs from the first line of its sentence.
    case columnCountChanged(location: SourceLocation, found: Int, expected: Int, firstLine: Int)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .tooFewColumns(let location, let found):
            return "\(location): expected at least 2 columns (the last two: gold and predicted tag), found \(found)"
        case .columnCountChanged(let location, let found, let expected, let firstLine):
            return "\(location): \(found) columns, but the sentence started on line \(firstLine) with \(expected)"
        }
    }
}

/// Tagged text with gold and predicted tags side by side, in the layout conlleval.pl reads.
///
/// ```
/// -DOCSTART- O O
///
/// EU B-ORG B-ORG
/// rejects O O
/// German B-MISC B-LOC
/// ```
///
/// - Columns are separated by spaces or tabs; the last two are the gold and the predicted tag,
///   any before them (the word, part of speech) are ignored.
/// - Blank lines separate sentences. `-DOCSTART-` lines are document markers: they end the
///   sentence before them and are not scored (conlleval.pl counts them as `O` tokens).
/// - Every line of a sentence has the same number of columns.
public enum PredictionsFile {
    /// Gold and predicted tags per sentence.
    public struct Contents: Sendable, Equatable {
        /// The gold tags, one array per sentence.
        public var gold: [[String]]
        /// The predicted tags, the same shape as `gold`.
        public var predicted: [[String]]
    }

    /// Reads and scores the file at `path` as conlleval does (chunks per type, micro-averaged, and token accuracy).
    ///
    /// - Throws: ``PredictionsFileError`` naming `path:line`.
    public static func score(path: String) throws -> ChunkMetrics {
        let contents = try read(path: path)
        return ChunkMetrics(gold: contents.gold, predicted: contents.predicted)
    }

    /// Reads the gold and predicted tags of the file at `path`.
    ///
    /// - Throws: ``PredictionsFileError`` naming `path:line`.
    public static func read(path: String) throws -> Contents {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw PredictionsFileError.cannotRead(path: path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw PredictionsFileError.cannotRead(path: path, reason: "\(error.localizedDescription)")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses the text of a predictions file; `path` names it in errors.
    public static func parse(_ text: String, path: String) throws -> Contents {
        var contents = Contents(gold: [], predicted: [])
        var gold: [String] = [], predicted: [String] = []
        var columns = 0, firstLine = 0
        func endSentence() {
            if !gold.isEmpty {
                contents.gold.append(gold)
                contents.predicted.append(predicted)
                gold.removeAll(keepingCapacity: true)
                predicted.removeAll(keepingCapacity: true)
            }
        }
        var lineNumber = 0
        // "\r\n" is one Character, so it needs naming as a line end of its own.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty || fields[0] == "-DOCSTART-" {
                endSentence()
                continue
            }
            let location = SourceLocation(path: path, line: lineNumber)
            if fields.count < 2 { throw PredictionsFileError.tooFewColumns(location: location, found: fields.count) }
            if gold.isEmpty {
                columns = fields.count
                firstLine = lineNumber
            } else if fields.count != columns {
                throw PredictionsFileError.columnCountChanged(location: location, found: fields.count, expected: columns, firstLine: firstLine)
            }
            gold.append(String(fields[fields.count - 2]))
            predicted.append(String(fields[fields.count - 1]))
        }
        endSentence()
        return contents
    }
}
