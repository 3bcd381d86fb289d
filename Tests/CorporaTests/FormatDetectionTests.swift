import Foundation
import Testing
import TestSupport
import WordPipeSupport

@testable import Corpora

/// One row of the format detection table.
struct DetectionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var head: [UInt8]
    var expected: InputFormat?

    init(_ name: String, _ head: String, _ expected: InputFormat?) {
        self.init(name, Array(head.utf8), expected)
    }

    init(_ name: String, _ head: [UInt8], _ expected: InputFormat?) {
        self.name = name
        self.head = head
        self.expected = expected
    }

    var testDescription: String { "\(name) → \(expected.map(\.rawValue) ?? "binary")" }
}

private func utf16(_ text: String, bigEndian: Bool) -> [UInt8] {
    var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
    for unit in text.utf16 {
        bytes += bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
    }
    return bytes
}

private let mediawikiHead = #"<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">"#
private let docHead = #"<doc id="12" url="http://en.wikipedia.org/wiki?curid=12" title="Anarchism">"#

@Suite struct FormatDetectorTests {
    @Test(arguments: [
        // Plain text, whatever the name.
        DetectionCase("corpus.txt", "the quick brown fox\n", .text),
        DetectionCase("README", "Some words.", .text),
        DetectionCase("text8.txt.gz", "anarchism originated as a term", .text),
        DetectionCase("empty.txt", "", .text),
        // WikiExtractor output, by its first tag (names are wiki_00 ... or anything).
        DetectionCase("wiki_00", docHead + "\nAnarchism\n", .wikiextractor),
        DetectionCase("wiki_00.bz2", docHead, .wikiextractor),
        DetectionCase("AA-wiki_07.gz", "\n\n  " + docHead, .wikiextractor),
        DetectionCase("notes.txt", "<doc>\nx\n</doc>", .wikiextractor),
        DetectionCase("bom", [0xEF, 0xBB, 0xBF] + Array(docHead.utf8), .wikiextractor),
        // MediaWiki dumps, before and after compression, with or without an XML declaration.
        DetectionCase("enwiki-latest-pages-articles.xml", mediawikiHead, .mediawiki),
        DetectionCase("enwiki-latest-pages-articles.xml.bz2", mediawikiHead, .mediawiki),
        DetectionCase("enwiki-latest-pages-articles-multistream.xml.bz2", mediawikiHead, .mediawiki),
        DetectionCase("dump.xml.gz", "<?xml version=\"1.0\"?>\n" + mediawikiHead, .mediawiki),
        DetectionCase("dump", mediawikiHead, .mediawiki),
        DetectionCase("bgwiki.xml", utf16(mediawikiHead + "\r\n", bigEndian: false), .mediawiki),
        // Other XML: TEI and friends, by the name or the first tag.
        DetectionCase("novel.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">", .xml),
        DetectionCase("novel.tei", "<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">", .xml),
        DetectionCase("novel", "<?xml version=\"1.0\"?><root/>", .xml),
        DetectionCase("novel.XML.BZ2", "plain words in an xml-named file", .xml),
        DetectionCase("records.xml.gz", "<records><r>x</r></records>", .xml),
        DetectionCase("utf16.xml", utf16("<?xml version=\"1.0\" encoding=\"UTF-16\"?><TEI/>", bigEndian: true), .xml),
        // HTML, by the name or the start of the page.
        DetectionCase("page.html", "anything at all", .html),
        DetectionCase("page.HTM", "<p>x</p>", .html),
        DetectionCase("page.xhtml.gz", "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">", .html),
        DetectionCase("saved-page", "<!DOCTYPE html>\n<html lang=\"en\">", .html),
        DetectionCase("index.php", "  <HTML><BODY>hi", .html),
        // JSON Lines, by the name or a leading brace.
        DetectionCase("data.jsonl", "{\"text\": \"a\"}\n", .jsonl),
        DetectionCase("data.ndjson.bz2", "{\"text\": \"a\"}\n", .jsonl),
        DetectionCase("data.jsonl.gz", "not even json", .jsonl),
        DetectionCase("records", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n", .jsonl),
        // UTF-16 text with a BOM.
        DetectionCase("utf16le.txt", utf16("first line\r\nsecond", bigEndian: false), .text),
        DetectionCase("utf16be.txt", utf16("первая строка", bigEndian: true), .text),
        // A sample cut in the middle of a character is still text.
        DetectionCase("cut.txt", Array("caf".utf8) + [0xC3], .text),
        DetectionCase("latin1.txt", Array("caf".utf8) + [0xE9] + Array(" au lait, na".utf8) + [0xEF] + Array("ve".utf8), .text),
        // Binary data.
        DetectionCase("image.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D], nil),
        DetectionCase("data.txt", Array("text with a NUL".utf8) + [0x00] + Array("inside".utf8), nil),
        DetectionCase("noise", [UInt8](repeating: 0xFF, count: 200), nil),
        DetectionCase("page.html", [0x00, 0x01, 0x02, 0x03], nil),
    ])
    func formatIsDetected(row: DetectionCase) {
        #expect(FormatDetector.detect(path: "/some/folder/" + row.name, head: row.head) == row.expected)
    }

    /// The directory part of the path plays no role.
    @Test func onlyTheFileNameCounts() {
        #expect(FormatDetector.detect(path: "/data/site.html/notes.txt", head: Array("words".utf8)) == .text)
        #expect(FormatDetector.detect(path: "/data/x.jsonl/wiki_00", head: Array(docHead.utf8)) == .wikiextractor)
    }
}

@Suite struct CorpusExpansionTests {
    /// A tree with hidden files and folders, and names whose byte order differs from other orders.
    static func makeTree() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        for name in [
            "corpus/b.txt", "corpus/a.txt", "corpus/B.txt", "corpus/a.txt.gz", "corpus/é.txt",
            "corpus/sub/c.txt", "corpus/sub/.hidden.txt", "corpus/sub2/deeper/d.txt",
            "corpus/.git/config", "corpus/.cache/sub/e.txt", "corpus/empty-dir/.keep", "single.txt",
        ] {
            try folder.write(name, "text of \(name)\n")
        }
        return folder
    }

    @Test func directoriesAreWalkedRecursivelyInSortedOrder() throws {
        let folder = try Self.makeTree()
        let root = folder.path("corpus")
        let files = try CorpusReader.expand([root])
        // Byte order of the full paths: "/" sorts before "2", upper case before lower case,
        // "é" after ASCII; hidden files and everything in hidden folders are left out.
        #expect(files == [
            "B.txt", "a.txt", "a.txt.gz", "b.txt", "sub/c.txt", "sub2/deeper/d.txt", "é.txt",
        ].map { root + "/" + $0 })
    }

    @Test func inputsKeepTheirOrderAndFilesAreTakenAsGiven() throws {
        let folder = try Self.makeTree()
        let single = folder.path("single.txt")
        let sub = folder.path("corpus/sub")
        let hidden = folder.path("corpus/sub/.hidden.txt")
        // A hidden file named explicitly is read; "-" stays standard input.
        #expect(try CorpusReader.expand([single, sub, hidden, "-"]) == [single, sub + "/c.txt", hidden, "-"])
        #expect(try CorpusReader.expand([folder.path("corpus/empty-dir")]) == [])
    }

    @Test func documentsFollowTheExpandedOrder() throws {
        let folder = try Self.makeTree()
        // a.txt.gz holds plain text: compression is told by the magic bytes, not the name.
        let documents = try Read.documents([folder.path("corpus")])
        #expect(documents.map(\.text) == [
            "text of corpus/B.txt", "text of corpus/a.txt", "text of corpus/a.txt.gz", "text of corpus/b.txt", "text of corpus/sub/c.txt",
            "text of corpus/sub2/deeper/d.txt", "text of corpus/é.txt",
        ])
    }

    @Test(arguments: ["does-not-exist.txt", "missing-folder/x.txt"])
    func missingPathThrowsCannotOpen(name: String) throws {
        let folder = try Self.makeTree()
        let missing = folder.path(name)
        #expect(throws: CorpusError.cannotOpen(path: missing, reason: "no such file or directory")) {
            try CorpusReader.expand([folder.path("single.txt"), missing])
        }
        #expect(throws: CorpusError.cannotOpen(path: missing, reason: "no such file or directory")) {
            try CorpusReader(inputs: [missing], configuration: ReaderConfiguration(), diagnostics: Read.diagnostics())
        }
    }

    @Test func emptyDirectoryGivesNoDocuments() throws {
        let folder = try Self.makeTree()
        let empty = folder.path("corpus/empty-dir")
        #expect(throws: CorpusError.noDocuments(inputs: [empty], problems: 0)) {
            try Read.documents([empty])
        }
    }

    @Test func totalBytesAddsUpTheFiles() throws {
        let folder = try Self.makeTree()
        let reader = try CorpusReader(inputs: [folder.path("corpus")], configuration: ReaderConfiguration(), diagnostics: Read.diagnostics())
        let expected = try reader.files.reduce(Int64(0)) { total, path in
            total + Int64(try Data(contentsOf: URL(fileURLWithPath: path)).count)
        }
        #expect(reader.totalBytes == expected && expected > 0)
    }
}
