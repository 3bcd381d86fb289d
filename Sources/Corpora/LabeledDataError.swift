import WordPipeSupport

/// Errors in labeled data: token-tagged files (CoNLL, CoNLL-U) and classification files
/// (TSV, fastText). Each names the place as `file:line: message`.
public enum LabeledDataError: Error, Equatable, CustomStringConvertible {
    /// A line is not valid UTF-8.
    case invalidEncoding(location: SourceLocation)
    /// A CoNLL line has a different column count than the first line of its sentence.
    case columnCountMismatch(location: SourceLocation, expected: Int, found: Int, firstLine: Int)
    /// A CoNLL-U word line does not have the 10 tab-separated columns.
    case wrongCoNLLUColumnCount(location: SourceLocation, found: Int)
    /// A CoNLL line has only the token, and tags are required.
    case noTagColumn(location: SourceLocation)
    /// The tag column is beyond the columns of a line.
    case tagColumnBeyondLine(location: SourceLocation, column: Int, columns: Int)
    /// A CoNLL-U word line has `_` or nothing in the tag column, and tags are required.
    case emptyTag(location: SourceLocation, column: Int)
    /// A CoNLL-U ID is neither a number, a range (`1-2`) nor an empty node (`1.1`).
    case invalidID(location: SourceLocation, id: String)
    /// The requested tag column cannot hold tags in this format.
    case invalidTagColumn(column: Int, format: TaggedDataFormat, valid: ClosedRange<Int>)
    /// A classification line has no label, and labels are required.
    case missingLabel(location: SourceLocation, format: ClassificationDataFormat)
    /// A classification line has an empty label.
    case emptyLabel(location: SourceLocation)
    /// `rendered(predictions:)` got a different number of sentences than the file has.
    case predictionCountMismatch(path: String, expected: Int, found: Int)
    /// One sentence's predictions have a different length than its tokens.
    case predictionLengthMismatch(location: SourceLocation, sentence: Int, expected: Int, found: Int)
    /// A predicted tag is empty or holds whitespace, which would break the output columns.
    case invalidPrediction(location: SourceLocation, tag: String)
    /// The file is not labelled data at all (`what` it is instead).
    case notLabelledData(path: String, what: String)

    public var description: String {
        switch self {
        case .invalidEncoding(let location):
            return "\(location): not valid UTF-8"
        case .notLabelledData(let path, let what):
            return "\(path): this is \(what), not labelled data; give a CoNLL or CoNLL-U file (taggers) or a tsv or fastText file (classifiers)"
        case .columnCountMismatch(let location, let expected, let found, let firstLine):
            return "\(location): expected \(expected) columns as on line \(firstLine), found \(found)"
        case .wrongCoNLLUColumnCount(let location, let found):
            return "\(location): expected 10 tab-separated columns (CoNLL-U), found \(found)"
        case .noTagColumn(let location):
            return "\(location): no tag column (expected 'token ... TAG', found only a token)"
        case .tagColumnBeyondLine(let location, let column, let columns):
            return "\(location): tag column \(column) is beyond the line's \(columns) columns"
        case .emptyTag(let location, let column):
            return "\(location): no tag in column \(column) ('_' or empty)"
        case .invalidID(let location, let id):
            return "\(location): invalid ID '\(id)' (expected a number, a range like 1-2 or an empty node like 1.1)"
        case .invalidTagColumn(let column, let format, let valid):
            let range = valid.upperBound == Int.max ? "\(valid.lowerBound) or more" : "\(valid.lowerBound) to \(valid.upperBound)"
            return "invalid tag column \(column) for \(format.rawValue); valid columns: \(range)"
        case .missingLabel(let location, let format):
            switch format {
            case .tsv: return "\(location): no label (expected 'label<TAB>text', found no tab)"
            case .fasttext: return "\(location): no label (expected a '__label__' prefix)"
            }
        case .emptyLabel(let location):
            return "\(location): empty label"
        case .predictionCountMismatch(let path, let expected, let found):
            return "\(path): \(found) predicted sentences for \(expected) sentences"
        case .predictionLengthMismatch(let location, let sentence, let expected, let found):
            return "\(location): sentence \(sentence + 1) has \(expected) tokens but \(found) predicted tags"
        case .invalidPrediction(let location, let tag):
            return "\(location): predicted tag '\(tag)' is empty or holds whitespace"
        }
    }
}
