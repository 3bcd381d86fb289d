import Foundation
import Testing
import TestSupport
import WordPipeSupport

@testable import Corpora

// Broken, odd and hostile inputs, made at run time in a temporary folder: the readers recover
// what text there is, report each problem with its location, and go on with the next file.

private let enwikiDump = "corpora/xml/mediawiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml"
private let wikiExtractorFile = "corpora/enwiki-2015/AA/wiki_00"

/// Random bytes with a NUL every 13 bytes, starting with one (so no magic number or BOM).
private func binaryBytes(count: Int) -> [UInt8] {
    var generator = SplitMix64(seed: 42)
    return (0..<count).map { index in index % 13 == 0 ? 0 : UInt8.random(in: 0...255, using: &generator) }
}

/// The warnings that report a file's remaining content as skipped.
private func skipWarnings(_ diagnostics: Diagnostics) -> [Diagnostics.Warning] {
    diagnostics.warnings.filter { $0.message.hasSuffix("rest of the file skipped") }
}

// MARK: - Truncated and corrupt files

@Suite struct TruncatedInputTests {
    /// The first half of the English dump: the pages before the cut are read, the parse error is
    /// a warning at `file:line:column`, and the next file is read.
    @Test(.enabled(if: SharedData.exists(enwikiDump), SharedData.missing(enwikiDump)))
    func truncatedDumpKeepsThePagesBeforeTheCut() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.path(enwikiDump)))
        let half = data.prefix(data.count / 2)
        let folder = try TemporaryFolder()
        let truncated = try folder.write("a-truncated.xml", half)
        let next = try folder.write("b-next.txt", "text after the broken file\n")
        let articles = DumpPage.scan(String(decoding: half, as: UTF8.self)).filter(\.isArticle)
        #expect(articles.count >= 40)

        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([folder.url.path], diagnostics: diagnostics)
        // Every article complete before the cut, and nothing of the page that was cut.
        let fromDump = documents.filter { $0.location.path == truncated }
        #expect(fromDump.map(\.location.line) == articles.map(\.line))
        #expect(fromDump.contains { $0.text.hasPrefix("Anarchism is a political philosophy") })
        // The next file is read after the error.
        #expect(documents.last == Document(text: "text after the broken file", location: SourceLocation(path: next, line: 1)))

        let warnings = skipWarnings(diagnostics)
        try #require(warnings.count == 1, "\(diagnostics.warnings)")
        let warning = warnings[0]
        let lineCount = String(decoding: half, as: UTF8.self).lineList.count
        #expect(warning.location.path == truncated)
        // The error is at the end of the data. (libxml2 2.9 words it "Extra content at the end of
        // the document" when a pushed document ends early.)
        #expect(warning.location.line == lineCount)
        #expect(warning.location.column > 0)
        #expect(warning.description.hasPrefix("\(truncated):\(warning.location.line):\(warning.location.column): "))
    }

    /// Generic XML cut in the middle of an element: the complete elements are documents, then
    /// the error is reported.
    @Test(arguments: [
        (["p"], ["one", "two two"], [3, 4]),
        ([], ["one two two"], [2]),
    ])
    func truncatedXMLKeepsWhatWasRead(elements: [String], expected: [String], lines: [Int]) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("cut.xml", "<?xml version=\"1.0\"?>\n<root>\n  <p>one</p>\n  <p>two\n   two</p>\n  <p>thr")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], ReaderConfiguration(xmlElements: elements), diagnostics: diagnostics)
        // The complete elements (or all text read before the error); the cut element is lost.
        #expect(documents.map(\.text) == expected)
        #expect(documents.map(\.location.line) == lines)
        let warnings = skipWarnings(diagnostics)
        try #require(warnings.count == 1, "\(diagnostics.warnings)")
        #expect(warnings[0].location == SourceLocation(path: path, line: 6, column: 9))
    }

    /// A compressed file cut short: the documents before the cut, then a read error warning,
    /// then the next file.
    ///
    /// zlib hands out everything up to the cut. libbz2 drops what it decoded in the failing
    /// request (LineReader asks for 1 MiB), so the bzip2 input is two files (76 documents, 2 MB)
    /// in 100 kB blocks cut at 3/4. With the default 900 kB blocks the cut falls in the first
    /// block, and the error comes while the file is opened (its first bytes sniffed).
    @Test(.enabled(if: SharedData.exists(wikiExtractorFile), SharedData.missing(wikiExtractorFile)), Compressor.needed,
          arguments: [
              (Compressor.gzip, ["-6"], 1, 2, 10),
              (Compressor.bzip2, ["-1"], 2, 3, 30),
              (Compressor.bzip2, ["-9"], 1, 2, 0),
          ])
    func truncatedCompressedFileReportsAReadError(tool: String, options: [String], files: Int, keep: Int, minimum: Int) throws {
        let folder = try TemporaryFolder()
        var input = Data()
        for name in ["wiki_00", "wiki_01"].prefix(files) {
            input += try Data(contentsOf: URL(fileURLWithPath: SharedData.path("corpora/enwiki-2015/AA/\(name)")))
        }
        let plain = try folder.write("plain", input)
        let whole = folder.path("whole")
        try Compressor.compress(tool, plain, to: whole, options: options)
        let compressed = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = try folder.write("a-cut", compressed.prefix(compressed.count * keep / (keep + 1)))
        let next = try folder.write("b-next.txt", "after\n")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([cut, next], diagnostics: diagnostics)
        let fromCut = documents.filter { $0.location.path == cut }
        // Not all documents, but at least those well before the cut.
        #expect(fromCut.count >= minimum && fromCut.count < 38 * files, "\(fromCut.count) documents")
        #expect(minimum == 0 || fromCut.first?.text.hasPrefix("Anarchism is a political philosophy") == true)
        #expect(documents.last == Document(text: "after", location: SourceLocation(path: next, line: 1)))
        try #require(diagnostics.warnings.count == 1, "\(diagnostics.warnings)")
        let warning = diagnostics.warnings[0]
        #expect(warning.location.path == cut)
        #expect(warning.message.hasPrefix("read failed: \(tool == Compressor.gzip ? "gzip" : "bzip2"):"))
    }
}

// MARK: - Invalid UTF-8

@Suite struct InvalidTextTests {
    @Test func invalidUTF8IsCountedAndReplaced() throws {
        let folder = try TemporaryFolder()
        var bytes = Array("a good first line of ordinary text\n".utf8)
        bytes += Array("bad ".utf8) + [0xFF, 0xFE] + Array(" here\n".utf8)  // 2 sequences, line 2
        bytes += Array("a fine line in between the broken ones\n".utf8)
        bytes += Array("also ".utf8) + [0xC3, 0x28] + Array(" and ".utf8) + [0xE2, 0x82] + Array(" end\n".utf8)  // 2 more, line 4
        let path = try folder.write("broken.txt", bytes)
        let diagnostics = Read.diagnostics()
        // `auto` still takes it for text: 4 bad sequences in 100 bytes is not binary data.
        let (documents, reader) = try Read.corpus([path], diagnostics: diagnostics)
        #expect(documents.map(\.text) == [
            "a good first line of ordinary text", "bad \u{FFFD}\u{FFFD} here", "a fine line in between the broken ones",
            "also \u{FFFD}( and \u{FFFD} end",
        ])
        #expect(documents.map(\.location.line) == [1, 2, 3, 4])
        #expect(reader.report.invalidSequences == 4)
        let entries = reader.report.invalidText
        try #require(entries.count == 1)
        #expect(entries[0].path == path)
        #expect(entries[0].1 == ReadReport.InvalidText(count: 4, firstLine: 2))
    }

    /// In a multi-line WikiExtractor document the first bad line is found, not the block start.
    @Test func invalidUTF8InsideADocBlockReportsItsLine() throws {
        let folder = try TemporaryFolder()
        var bytes = Array("<doc id=\"1\" url=\"u\" title=\"T\">\nT\n\nfirst\nsecond\n".utf8)
        bytes += Array("third ".utf8) + [0x80] + Array("\n</doc>\n".utf8)
        let path = try folder.write("wiki_00", bytes)
        let (documents, reader) = try Read.corpus([path], diagnostics: Read.diagnostics())
        #expect(documents.map(\.text) == ["first\nsecond\nthird \u{FFFD}"])
        #expect(reader.report.invalidText.first?.1 == ReadReport.InvalidText(count: 1, firstLine: 6))
    }
}

// MARK: - Very long lines

@Suite struct LongLineTests {
    /// A 50 MB line without a newline: pieces of at most 1 MiB, cut after spaces, that put
    /// together give back every byte.
    @Test func fiftyMegabyteLineComesInPieces() throws {
        var chunk = Data()
        var words = ["the", "quick", "brown", "fox", "naïve", "café", "жёлтый", "日本語", "jumps", "over", "1234567"]
        while chunk.count < 1000 {
            words.append(words.removeFirst())
            chunk.append(Data((words.prefix(7).joined(separator: " ") + " ").utf8))
        }
        var data = Data(capacity: 50_001_000)
        while data.count < 50_000_000 { data.append(chunk) }
        data.append(Data("end".utf8))
        let folder = try TemporaryFolder()
        let path = try folder.write("one-line.txt", data)

        let diagnostics = Read.diagnostics()
        let reader = try CorpusReader(inputs: [path], configuration: ReaderConfiguration(format: .text), diagnostics: diagnostics)
        var offset = data.startIndex
        var pieces = 0
        var last: Document?
        while let piece = try reader.next() {
            pieces += 1
            let bytes = piece.text.utf8.withContiguousStorageIfAvailable { Data($0) } ?? Data(piece.text.utf8)
            #expect(bytes.count <= 1 << 20)
            #expect(piece.location.line == 1)
            // The piece is exactly the next bytes of the file (compared without copying the whole).
            let matches = offset + bytes.count <= data.endIndex && data[offset..<(offset + bytes.count)] == bytes
            #expect(matches, "piece \(pieces) differs from the file at byte \(offset)")
            if !matches { return }
            offset += bytes.count
            if piece.continues {
                #expect(piece.text.hasSuffix(" "), "piece \(pieces) split a word")
            }
            last = piece
        }
        #expect(offset == data.endIndex)
        #expect(pieces >= 48 && pieces <= 70)
        #expect(last?.continues == false)
        #expect(last?.text.hasSuffix(" end") == true)
        #expect(reader.report.invalidSequences == 0)
        #expect(diagnostics.warnings.isEmpty)
    }

    /// A long line with no space at all is cut at character boundaries: no U+FFFD appears.
    @Test func longLineWithoutSpacesIsCutBetweenCharacters() throws {
        let unit = Data("é日😀ж".utf8)  // 2 + 3 + 4 + 2 bytes: cuts can fall anywhere in a character
        var data = Data()
        while data.count < 3 << 20 { data.append(unit) }
        let folder = try TemporaryFolder()
        let path = try folder.write("no-spaces.txt", data)
        let (documents, reader) = try Read.corpus([path], ReaderConfiguration(format: .text), diagnostics: Read.diagnostics())
        #expect(documents.count == 4)
        #expect(documents.allSatisfy { $0.text.utf8.count <= 1 << 20 && !$0.text.contains("\u{FFFD}") })
        #expect(documents.dropLast().allSatisfy { $0.continues })
        #expect(Data(documents.map(\.text).joined().utf8) == data)
        #expect(reader.report.invalidSequences == 0)
    }
}

// MARK: - Empty and binary files

@Suite struct EmptyAndBinaryInputTests {
    @Test(arguments: [
        ("empty.txt", ""),
        ("blank.txt", "\n\n\n"),
        ("spaces.txt", "  \t \r\n \n"),
        ("bom.txt", "\u{FEFF}"),
        ("empty.jsonl", ""),
        ("wiki_00", ""),
    ])
    func emptyInputThrowsNoDocuments(name: String, content: String) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(name, content)
        let diagnostics = Read.diagnostics()
        #expect(throws: CorpusError.noDocuments(inputs: [path], problems: 0)) {
            try Read.documents([path], diagnostics: diagnostics)
        }
        #expect(diagnostics.warnings.isEmpty)
    }

    /// Empty markup files may add a parse warning, but still end in `noDocuments`.
    @Test(arguments: ["empty.xml", "empty.html"])
    func emptyMarkupFileThrowsNoDocuments(name: String) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(name, "")
        let diagnostics = Read.diagnostics()
        let error = #expect(throws: CorpusError.self) { try Read.documents([path], diagnostics: diagnostics) }
        guard case .noDocuments(let inputs, let problems)? = error else {
            Issue.record("expected noDocuments, got \(String(describing: error))")
            return
        }
        #expect(inputs == [path] && problems == diagnostics.count)
    }

    @Test(Compressor.needed) func emptyGzipFileThrowsNoDocuments() throws {
        let folder = try TemporaryFolder()
        let empty = try folder.write("empty.txt", "")
        try Compressor.compress(Compressor.gzip, empty, to: empty + ".gz")
        #expect(throws: CorpusError.noDocuments(inputs: [empty + ".gz"], problems: 0)) {
            try Read.documents([empty + ".gz"])
        }
    }

    @Test func binaryFileIsSkippedInAutoMode() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("data.bin", binaryBytes(count: 64 * 1024))
        let diagnostics = Read.diagnostics()
        #expect(throws: CorpusError.noDocuments(inputs: [path], problems: 1)) {
            try Read.documents([path], diagnostics: diagnostics)
        }
        try #require(diagnostics.warnings.count == 1)
        #expect(diagnostics.warnings[0].location == SourceLocation(path: path))
        #expect(diagnostics.warnings[0].message.contains("binary"))
        #expect(diagnostics.warnings[0].message.contains("set the format to text"))
    }

    @Test func binaryFileAmongTextFilesIsSkipped() throws {
        let folder = try TemporaryFolder()
        let binary = try folder.write("a.bin", binaryBytes(count: 10_000))
        let text = try folder.write("b.txt", "words after the binary file\n")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([folder.url.path], diagnostics: diagnostics)
        #expect(documents == [Document(text: "words after the binary file", location: SourceLocation(path: text, line: 1))])
        #expect(diagnostics.warnings.map(\.location.path) == [binary])
    }

    /// Forcing any format on binary data never crashes: text comes out (with U+FFFD) or the
    /// file is reported and nothing is read.
    @Test(arguments: InputFormat.allCases.filter { $0 != .auto })
    func binaryFileWithForcedFormatDoesNotCrash(format: InputFormat) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("data.bin", binaryBytes(count: 64 * 1024))
        let diagnostics = Read.diagnostics()
        do {
            let (documents, reader) = try Read.corpus([path], ReaderConfiguration(format: format), diagnostics: diagnostics)
            #expect(!documents.isEmpty)
            if format == .text {
                // Lines split at the 0x0A bytes; ill-formed bytes replaced and counted.
                #expect(documents.count > 100)
                #expect(reader.report.invalidSequences > 1000)
                #expect(documents.contains { $0.text.contains("\u{FFFD}") })
                #expect(diagnostics.warnings.isEmpty)
            }
        } catch let error as CorpusError {
            guard case .noDocuments = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(format != .text)
        }
    }
}

// MARK: - HTML recovery

@Suite struct BrokenHTMLTests {
    static let page = """
        <html><head><title>Page title</title><style>body { color: red; }</style></head>
        <body>
        <div><p>First paragraph with <b>bold text<p>Second paragraph</div></div></div>
        <span>After the stray end tags</span>
        <table><tr><td>cell one<td>cell two</table>
        <p>Unclosed <i>italic <a href="x">link text
        <ul><li>item one<li>item &amp; two</ul>
        <style>p { margin: 0 }</style>
        <p>Last words.
        <script>var f = function() { return "hidden script"; }
        <p>inside the never-closed script</p>
        more script
        """

    @Test func brokenMarkupKeepsItsText() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("broken.html", Self.page)
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], diagnostics: diagnostics)
        try #require(documents.count == 1)
        let lines = documents[0].text.lineList.map(String.init)
        for expected in [
            "First paragraph with bold text", "Second paragraph", "After the stray end tags", "Unclosed italic link text",
            "item one", "item & two", "Last words.",
        ] {
            #expect(lines.contains(expected), "missing line \(expected) in \(lines)")
        }
        #expect(lines.contains { $0.contains("cell one") } && lines.contains { $0.contains("cell two") })
        for unwanted in ["Page title", "color", "margin", "function(", "{", "}", "hidden script", "never-closed", "more script"] {
            #expect(!documents[0].text.contains(unwanted), "\(unwanted) leaked into the text")
        }
        #expect(documents[0].location.line == 3)
        // Recovered errors are warnings with their place in the file: the stray </div>s on line 3.
        #expect(diagnostics.warnings.allSatisfy { $0.location.path == path && $0.location.line > 0 && $0.location.column > 0 })
        #expect(diagnostics.warnings.filter { $0.location.line == 3 && $0.message.contains("end tag") }.count == 2, "\(diagnostics.warnings)")
    }

    @Test(arguments: [
        // A bare fragment: no html, head or body element.
        ("fragment.html", Array("Just some <b>text</b> and <i>more".utf8), "Just some text and more"),
        // A declared Latin-1 page.
        ("latin1.html", Array("<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf".utf8) + [0xE9] + Array("</p></body></html>".utf8), "café"),
        // No declaration: UTF-8 is assumed, not HTML's historical Latin-1.
        ("utf8.html", Array("<p>naïve café</p>".utf8), "naïve café"),
        // Named and numeric entities.
        ("entities.html", Array("<p>a &lt; b &#233; &eacute;</p>".utf8), "a < b é é"),
    ])
    func pageEncodingsAndFragments(name: String, bytes: [UInt8], expected: String) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write(name, bytes)
        let documents = try Read.documents([path])
        #expect(documents.map(\.text) == [expected])
    }
}

// MARK: - JSON Lines

@Suite struct JSONLinesTests {
    static let lines = [
        #"{"text": "first good line", "id": 1}"#,
        #"{"text": "broken JSON"#,
        #"{"title": "no text field"}"#,
        "",
        #"{"text": ["part one", "part two"]}"#,
        #"{"text": 42}"#,
        #"{"text": "ünïcödé \u00e9 ok"}"#,
        "not json at all",
    ]

    @Test func badLinesAreWarnedAboutAndGoodOnesRead() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("records.jsonl", Self.lines.joined(separator: "\n") + "\n")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], diagnostics: diagnostics)
        #expect(documents.map(\.text) == ["first good line", "part one\npart two", "ünïcödé é ok"])
        #expect(documents.map(\.location.line) == [1, 5, 7])
        let warnings = diagnostics.warnings.map { "\($0.location.line): \($0.message)" }
        #expect(warnings == [
            "2: invalid JSON, line skipped",
            "3: no field 'text', line skipped",
            "6: field 'text' is not a string, line skipped",
            "8: invalid JSON, line skipped",
        ])
        #expect(diagnostics.warnings.allSatisfy { $0.location.path == path })
    }

    @Test(arguments: [
        ("meta.body", ["nested text"]),
        ("title", ["top title"]),
        ("meta.missing", []),
    ])
    func dottedFieldsDescendIntoObjects(field: String, expected: [String]) throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("nested.ndjson", #"{"title": "top title", "meta": {"body": "nested text"}}"# + "\n")
        let diagnostics = Read.diagnostics()
        let configuration = ReaderConfiguration(jsonField: field)
        if expected.isEmpty {
            #expect(throws: CorpusError.noDocuments(inputs: [path], problems: 1)) {
                try Read.documents([path], configuration, diagnostics: diagnostics)
            }
            #expect(diagnostics.warnings.map(\.message) == ["no field '\(field)', line skipped"])
        } else {
            #expect(try Read.documents([path], configuration, diagnostics: diagnostics).map(\.text) == expected)
        }
    }

    @Test func emptyFieldNameIsRejected() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("a.jsonl", "{}\n")
        #expect(throws: CorpusError.self) {
            try CorpusReader(inputs: [path], configuration: ReaderConfiguration(format: .jsonl, jsonField: ""), diagnostics: Read.diagnostics())
        }
    }
}

// MARK: - WikiExtractor recovery

@Suite struct BrokenWikiExtractorTests {
    @Test func unclosedDocIsReturnedWithAWarning() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("wiki_00", """
            <doc id="1" url="u1" title="One">
            One

            First body line.
            </doc>
            <doc id="2" url="u2" title="Two">
            Two

            Second body.
            more text
            """)
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], diagnostics: diagnostics)
        #expect(documents.map(\.text) == ["First body line.", "Second body.\nmore text"])
        #expect(documents.map(\.location.line) == [1, 6])
        #expect(diagnostics.warnings.map(\.description) == ["\(path):6: <doc> not closed before the end of the file"])
    }

    @Test func strayTextAndNestedDocsAreWarnedAbout() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("wiki_01", """
            stray text before
            <doc id="1" url="u1" title="One">
            One
            Body one.
            <doc id="2" url="u2" title="Two">
            Two
            Body two.
            </doc>
            """)
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], ReaderConfiguration(format: .wikiextractor), diagnostics: diagnostics)
        #expect(diagnostics.warnings.map(\.description) == [
            "\(path):1: text outside <doc> ... </doc> skipped",
            "\(path):5: <doc> opened before the previous one closed",
        ])
        // A <doc> line opening a new block is never text, and starts the next document.
        #expect(documents.map(\.text) == ["Body one.", "Body two."])
        #expect(documents.map(\.location.line) == [2, 5])
    }

    /// A line over 1 MiB inside a block comes in pieces, put together again without a break.
    @Test func longLineInsideADocStaysOneLine() throws {
        let long = String(repeating: "word ", count: 500_000) + "end"  // 2.5 MB: three pieces
        let folder = try TemporaryFolder()
        let path = try folder.write("wiki_02", "<doc id=\"1\" url=\"u\" title=\"T\">\nT\n\nfirst\n\(long)\nlast\n</doc>\n")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], diagnostics: diagnostics)
        try #require(documents.count == 1)
        let lines = documents[0].text.lineList
        #expect(lines.count == 3)
        let same = lines.count == 3 && lines[0] == "first" && lines[1] == long && lines[2] == "last"
        #expect(same, "the long line was split: \(lines.map(\.count))")
        #expect(diagnostics.warnings.isEmpty)
    }
}

// MARK: - UTF-16

@Suite struct UTF16TextTests {
    static func encode(_ text: String, bigEndian: Bool) -> [UInt8] {
        var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
        for unit in text.utf16 {
            let (high, low) = (UInt8(unit >> 8), UInt8(unit & 0xFF))
            bytes += bigEndian ? [high, low] : [low, high]
        }
        return bytes
    }

    @Test(arguments: [false, true])
    func bomMarkedUTF16WithCRLFIsRead(bigEndian: Bool) throws {
        let text = "first line\r\nвторой ред 😀 emoji\r\n\r\n  \r\nthird 日本語\r\n"
        let folder = try TemporaryFolder()
        let path = try folder.write("utf16.txt", Self.encode(text, bigEndian: bigEndian))
        let input = try Read.input(path)
        let report = ReadReport()
        let documents = try Read.all(PlainTextReader(input: input, path: path, report: report))
        #expect(documents.map(\.text) == ["first line", "второй ред 😀 emoji", "third 日本語"])
        #expect(documents.map(\.location.line) == [1, 2, 5])
        #expect(report.invalidSequences == 0)
        // Through CorpusReader: `auto` sees text.
        #expect(try Read.documents([path]).map(\.text) == documents.map(\.text))
    }

    /// Surrogate pairs and odd bytes across the decoder's 256 KiB reads survive.
    @Test(arguments: [false, true])
    func surrogatePairsAcrossChunksSurvive(bigEndian: Bool) throws {
        // 600 kB of UTF-16: lines of emoji (surrogate pairs), some shifted by one unit.
        var lines: [String] = []
        for index in 0..<6_000 { lines.append((index % 2 == 0 ? "" : "a") + String(repeating: "😀", count: 12) + "ж") }
        let text = lines.joined(separator: "\r\n")
        let folder = try TemporaryFolder()
        let path = try folder.write("emoji.txt", Self.encode(text, bigEndian: bigEndian))
        let stream = UTF16ToUTF8Stream(input: try Read.input(path).skipping(2), bigEndian: bigEndian)
        let documents = try Read.all(PlainTextReader(input: try Read.input(path), path: path, report: ReadReport()))
        #expect(documents.count == lines.count)
        let same = documents.map(\.text) == lines
        #expect(same, "a line differs")
        // The stream itself found nothing to replace.
        var sink = [UInt8](repeating: 0, count: 100_000)
        var total = 0
        while true {
            let got = try sink.withUnsafeMutableBytes { try stream.read(into: $0) }
            if got == 0 { break }
            total += got
        }
        #expect(total == text.utf8.count)
        #expect(stream.replacements == 0)
    }

    @Test func unpairedSurrogatesAndOddBytesAreReplaced() throws {
        // "a", a lone low surrogate, "b", a lone high surrogate, "c", then one odd byte.
        let bytes: [UInt8] = [0xFF, 0xFE, 0x61, 0x00, 0x00, 0xDC, 0x62, 0x00, 0x00, 0xD8, 0x63, 0x00, 0x64]
        let folder = try TemporaryFolder()
        let path = try folder.write("odd.txt", bytes)
        let input = try Read.input(path)
        #expect(try input.peek(2) == [0xFF, 0xFE])
        input.skip(2)
        let stream = UTF16ToUTF8Stream(input: input, bigEndian: false)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while case let got = try buffer.withUnsafeMutableBytes({ try stream.read(into: $0) }), got > 0 {
            output += buffer[..<got]
        }
        // The odd byte at the end is counted but gives no character.
        #expect(String(decoding: output, as: UTF8.self) == "a\u{FFFD}b\u{FFFD}c")
        #expect(stream.replacements == 3)
    }
}

extension PeekableStream {
    /// Skips `count` bytes at the start (a BOM), for tests that build a UTF-16 stream by hand.
    fileprivate func skipping(_ count: Int) throws -> PeekableStream {
        _ = try peek(count)
        skip(count)
        return self
    }
}
