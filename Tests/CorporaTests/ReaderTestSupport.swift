import Foundation
import Testing
import TestSupport
import WordPipeSupport

@testable import Corpora

// Helpers shared by the reader tests: reading whole corpora, temporary folders, gzip/bzip2.

/// Reads documents through `CorpusReader` (or one `DocumentReader`) into arrays.
enum Read {
    /// A diagnostics collector that prints nothing; tests look at `warnings`.
    static func diagnostics() -> Diagnostics { Diagnostics(stage: "test", echo: false) }

    /// The documents of `inputs` (at most `limit`), and the reader (for its report).
    static func corpus(
        _ inputs: [String], _ configuration: ReaderConfiguration = ReaderConfiguration(),
        diagnostics: Diagnostics, limit: Int = .max
    ) throws -> (documents: [Document], reader: CorpusReader) {
        let reader = try CorpusReader(inputs: inputs, configuration: configuration, diagnostics: diagnostics)
        var documents: [Document] = []
        while documents.count < limit, let document = try reader.next() { documents.append(document) }
        return (documents, reader)
    }

    /// Just the documents of `inputs`.
    static func documents(
        _ inputs: [String], _ configuration: ReaderConfiguration = ReaderConfiguration(),
        diagnostics: Diagnostics = Read.diagnostics()
    ) throws -> [Document] {
        try corpus(inputs, configuration, diagnostics: diagnostics).documents
    }

    /// Every document one reader hands out.
    static func all(_ reader: DocumentReader) throws -> [Document] {
        var documents: [Document] = []
        while let document = try reader.next() { documents.append(document) }
        return documents
    }

    /// A peekable input on `path`, as `CorpusReader` builds it.
    static func input(_ path: String) throws -> PeekableStream {
        PeekableStream(source: try ByteSource(path: path))
    }
}

/// A temporary folder for one test, removed when the value goes away.
final class TemporaryFolder {
    let url: URL

    init() throws { url = try SharedData.temporaryDirectory() }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// The full path of `name` inside the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `data` to `name` (creating intermediate folders) and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file.path
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String { try write(name, Data(bytes)) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }
}

/// The system compressors, used to make compressed inputs at run time.
enum Compressor {
    static let gzip = "/bin/gzip"
    static let bzip2 = "/usr/bin/bzip2"

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: gzip) && FileManager.default.isExecutableFile(atPath: bzip2)
    }

    /// The trait of tests that compress at run time.
    static var needed: ConditionTrait {
        .enabled(if: available, "needs \(gzip) and \(bzip2)")
    }

    /// Runs `tool [options] -c input > output`.
    static func compress(_ tool: String, _ input: String, to output: String, options: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = options + ["-c", input]
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) -c \(input) failed")
    }

    /// The first `count` bytes `tool -dc input` writes (the rest is not decompressed).
    static func decompressedPrefix(_ tool: String, _ input: String, count: Int) throws -> Data {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-dc", input]
        process.standardOutput = pipe
        try process.run()
        var data = Data()
        let reader = pipe.fileHandleForReading
        while data.count < count {
            guard let chunk = try reader.read(upToCount: count - data.count), !chunk.isEmpty else { break }
            data.append(chunk)
        }
        process.terminate()
        try? reader.close()
        process.waitUntilExit()
        return data
    }
}

/// One `<page>` of a MediaWiki dump, found by scanning the file's lines (independently of
/// libxml2 and the reader).
struct DumpPage {
    var line: Int
    var namespace: String?
    var redirect = false
    var closed = false

    /// Whether the reader should turn this page into a document (unless its text is empty).
    var isArticle: Bool { closed && namespace == "0" && !redirect }

    /// The pages of a dump's text, with the line numbers of their `<page>` tags.
    static func scan(_ text: String) -> [DumpPage] {
        var pages: [DumpPage] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.contains("<page>") { pages.append(DumpPage(line: index + 1)) }
            guard !pages.isEmpty else { continue }
            if let start = line.range(of: "<ns>"), let end = line.range(of: "</ns>"), pages[pages.count - 1].namespace == nil {
                pages[pages.count - 1].namespace = String(line[start.upperBound..<end.lowerBound])
            }
            if line.contains("<redirect") { pages[pages.count - 1].redirect = true }
            if line.contains("</page>") { pages[pages.count - 1].closed = true }
        }
        return pages
    }
}

extension String {
    /// The text's lines (split at "\n").
    var lineList: [Substring] { split(separator: "\n", omittingEmptySubsequences: false) }
}
