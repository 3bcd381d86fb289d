import Foundation
import WordPipeSupport

/// What a read of a corpus found besides documents: formats chosen, bytes, invalid UTF-8.
public final class ReadReport: @unchecked Sendable {
    /// Ill-formed UTF-8 found in one file.
    public struct InvalidText: Sendable, Equatable {
        /// How many sequences were replaced with U+FFFD.
        public var count: Int
        /// The first line where one occurred.
        public var firstLine: Int
    }

    private let lock = NSLock()
    private var invalid: [String: InvalidText] = [:]
    private var order: [String] = []

    /// Creates an empty report.
    public init() {}

    func recordInvalidUTF8(path: String, line: Int, count: Int) {
        lock.lock()
        defer { lock.unlock() }
        if var entry = invalid[path] {
            entry.count += count
            invalid[path] = entry
        } else {
            invalid[path] = InvalidText(count: count, firstLine: line)
            order.append(path)
        }
    }

    /// Files with ill-formed UTF-8, in the order they were met.
    public var invalidText: [(path: String, InvalidText)] {
        lock.lock()
        defer { lock.unlock() }
        return order.compactMap { path in invalid[path].map { (path, $0) } }
    }

    /// The total number of ill-formed UTF-8 sequences replaced.
    public var invalidSequences: Int { invalidText.reduce(0) { $0 + $1.1.count } }
}

/// Reads the documents of a whole corpus: files, directories (walked recursively in sorted
/// order, hidden entries skipped) and `-` for standard input, each with its own reader.
///
/// Errors that end one file (a broken XML file, a binary file in `auto` mode) are reported
/// through `diagnostics` and reading goes on with the next file; `CorpusError.noDocuments`
/// is thrown at the end only when nothing at all could be read.
public final class CorpusReader {
    /// The configuration used for every file.
    public let configuration: ReaderConfiguration
    /// The input files, expanded from the arguments.
    public let files: [String]
    /// Total size of the input files on disk (0 when standard input is read).
    public let totalBytes: Int64
    /// Where warnings go.
    public let diagnostics: Diagnostics
    /// Invalid UTF-8 and other counts.
    public let report = ReadReport()
    /// Called once per file with the format `auto` chose.
    public var onFormatDetected: ((String, InputFormat) -> Void)?

    private let inputs: [String]
    private var fileIndex = 0
    private var current: (reader: DocumentReader, source: ByteSource)?
    private var finishedBytes: Int64 = 0
    private var documentsRead = 0

    /// Expands `inputs` and prepares to read them. Throws if an input does not exist.
    public init(inputs: [String], configuration: ReaderConfiguration, diagnostics: Diagnostics) throws {
        self.inputs = inputs
        self.configuration = configuration
        self.diagnostics = diagnostics
        if configuration.format == .jsonl && configuration.jsonField.isEmpty {
            throw CorpusError.invalidOption(name: "json_field", value: "", valid: ["a field name such as text"])
        }
        files = try Self.expand(inputs)
        totalBytes = files.reduce(0) { total, path in
            guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return total }
            return total + ((attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Bytes of input consumed so far (compressed bytes for compressed files).
    public var consumedBytes: Int64 { finishedBytes + (current?.source.consumedBytes ?? 0) }

    /// Returns the next document of the corpus, or nil when all inputs are read.
    public func next() throws -> Document? {
        while true {
            if current == nil {
                guard fileIndex < files.count else {
                    if documentsRead == 0 { throw CorpusError.noDocuments(inputs: inputs, problems: diagnostics.count) }
                    return nil
                }
                let path = files[fileIndex]
                fileIndex += 1
                // Opening reads the first bytes (format and BOM sniffing, the first bzip2 block), so
                // a truncated or corrupt file can fail here already: skip it like a later failure.
                do {
                    current = try open(path)
                } catch let error as CorpusError where error.endsOnlyItsFile {
                    diagnostics.warn("\(error.descriptionWithoutLocation); file skipped", at: error.location ?? SourceLocation(path: path))
                    let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
                    finishedBytes += size?.int64Value ?? 0
                    continue
                }
                if current == nil { continue }
            }
            guard let (reader, source) = current else { continue }
            do {
                if let document = try reader.next() {
                    documentsRead += 1
                    return document
                }
            } catch let error as CorpusError {
                // One broken file does not end the run; the count decides at the end.
                if !error.endsOnlyItsFile { throw error }
                diagnostics.warn("\(error.descriptionWithoutLocation); rest of the file skipped", at: error.location ?? SourceLocation(path: source.path))
            }
            finishedBytes += source.size
            source.close()
            current = nil
        }
    }

    private func open(_ path: String) throws -> (DocumentReader, ByteSource)? {
        let source = try ByteSource(path: path)
        let input = PeekableStream(source: source)
        var format = configuration.format
        if format == .auto {
            let head = try input.peek(4096)
            guard let detected = FormatDetector.detect(path: path, head: head) else {
                diagnostics.warn("looks like binary data, not text; skipped (set the format to text to read it anyway)", at: SourceLocation(path: path))
                finishedBytes += source.size
                source.close()
                return nil
            }
            format = detected
            onFormatDetected?(path, detected)
        }
        let reader: DocumentReader
        switch format {
        case .auto, .text: reader = try PlainTextReader(input: input, path: path, report: report)
        case .wikiextractor: reader = try WikiExtractorReader(input: input, path: path, report: report, diagnostics: diagnostics)
        case .jsonl: reader = try JSONLinesReader(input: input, path: path, field: configuration.jsonField, diagnostics: diagnostics)
        case .mediawiki: reader = MediaWikiReader(input: input, path: path, diagnostics: diagnostics)
        case .xml: reader = XMLTextReader(input: input, path: path, elements: configuration.xmlElements, diagnostics: diagnostics)
        case .html: reader = HTMLTextReader(input: input, path: path, diagnostics: diagnostics)
        }
        return (reader, source)
    }

    /// Files named by `inputs`: directories are walked recursively in sorted order.
    public static func expand(_ inputs: [String]) throws -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for input in inputs {
            if input == "-" {
                files.append(input)
                continue
            }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw CorpusError.cannotOpen(path: input, reason: "no such file or directory")
            }
            if !isDirectory.boolValue {
                files.append(input)
                continue
            }
            guard let enumerator = manager.enumerator(atPath: input) else {
                throw CorpusError.cannotOpen(path: input, reason: "cannot list directory")
            }
            var found: [String] = []
            while let relative = enumerator.nextObject() as? String {
                let name = PathNames.lastComponent(relative)
                if name.hasPrefix(".") {
                    enumerator.skipDescendants()
                    continue
                }
                let full = PathNames.appending(input, relative)
                var childIsDirectory: ObjCBool = false
                if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
                    found.append(full)
                }
            }
            files.append(contentsOf: found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        return files
    }
}

extension CorpusError {
    /// The location the error points at, if it has one.
    var location: SourceLocation? {
        switch self {
        case .readFailed(let location, _), .malformed(let location, _): return location
        case .cannotOpen(let path, _): return SourceLocation(path: path)
        default: return nil
        }
    }

    /// Whether the error ends only the file it is in (reading goes on with the next one).
    var endsOnlyItsFile: Bool {
        switch self {
        case .readFailed, .malformed: return true
        default: return false
        }
    }

    /// The message without its leading location.
    var descriptionWithoutLocation: String {
        switch self {
        case .readFailed(_, let reason): return "read failed: \(reason)"
        case .malformed(_, let message): return message
        default: return description
        }
    }
}

/// Guesses an input's format from its name and first bytes.
public enum FormatDetector {
    /// Returns the format, or nil for data that does not look like text.
    public static func detect(path: String, head: [UInt8]) -> InputFormat? {
        var name = PathNames.lastComponent(path).lowercased()
        for suffix in [".gz", ".bz2"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        let (encoding, bom) = TextEncoding.detect(head)
        let text: String
        switch encoding {
        case .utf8:
            let body = head.dropFirst(bom)
            if body.contains(0) { return nil }
            // A cut in the middle of a character at the end of the sample is not binary.
            let (decoded, invalid) = UTF8Repair.decode(body)
            if invalid > 3 && invalid * 20 > body.count { return nil }
            text = decoded
        case .utf16LittleEndian, .utf16BigEndian:
            var units: [UInt16] = []
            var index = bom
            while index + 1 < head.count {
                let (a, b) = (UInt16(head[index]), UInt16(head[index + 1]))
                units.append(encoding == .utf16LittleEndian ? b << 8 | a : a << 8 | b)
                index += 2
            }
            text = String(decoding: units, as: UTF16.self)
        }
        let start = text.drop(while: { $0.isWhitespace }).prefix(512).lowercased()
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".html") || name.hasSuffix(".htm") || name.hasSuffix(".xhtml") { return .html }
        if start.hasPrefix("<doc ") || start.hasPrefix("<doc>") { return .wikiextractor }
        if text.contains("<mediawiki") { return .mediawiki }
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") { return .html }
        if name.hasSuffix(".xml") || start.hasPrefix("<?xml") || start.hasPrefix("<tei") { return .xml }
        if start.hasPrefix("{") { return .jsonl }
        return .text
    }
}
