import Foundation
import Testing
import TestSupport
import WordPipeSupport

@testable import Corpora

// The readers on the real corpora in ../shared/data/corpora. Broken inputs made at run time are
// in BrokenInputTests.swift; format detection and input expansion in FormatDetectionTests.swift.

private enum Shared {
    static let enwiki = "corpora/xml/mediawiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml"
    static let bgwiki = "corpora/xml/mediawiki/bgwiki-latest-pages-articles-shortened.xml"
    static let tables = "corpora/xml/mediawiki/enwiki-table-markup.xml"
    static let tei = "corpora/xml/tei"
    static let html = "corpora/html/python3.11-doc"
    static let wikiExtractor = "corpora/enwiki-2015/AA/wiki_00"
    static let text8 = "corpora/enwiki-2015-text8style-100M.txt.gz"
}

// MARK: - MediaWiki

@Suite struct MediaWikiReaderTests {
    @Test(.enabled(if: SharedData.exists(Shared.enwiki), SharedData.missing(Shared.enwiki)))
    func englishDumpGivesOneDocumentPerArticle() throws {
        let path = SharedData.path(Shared.enwiki)
        let pages = DumpPage.scan(try String(contentsOfFile: path, encoding: .utf8))
        let articles = pages.filter(\.isArticle)
        // The README's figure, and the counts the scan finds on its own.
        #expect(pages.count == 206)
        #expect(articles.count == pages.filter { $0.namespace == "0" }.count - pages.filter { $0.namespace == "0" && $0.redirect }.count)

        let diagnostics = Read.diagnostics()
        var detected: [InputFormat] = []
        let reader = try CorpusReader(inputs: [path], configuration: ReaderConfiguration(), diagnostics: diagnostics)
        reader.onFormatDetected = { _, format in detected.append(format) }
        var documents: [Document] = []
        while let document = try reader.next() { documents.append(document) }

        #expect(detected == [.mediawiki])
        // One document per article (no talk, user or template page, no redirect: 106 of 206
        // pages), in file order, each located at its <page> line. (A page whose text strips to
        // nothing would give none; this sample has no such page.)
        #expect(articles.count == 106)
        #expect(documents.map(\.location.line) == articles.map(\.line))
        #expect(documents.allSatisfy { $0.location.path == path })

        let all = documents.map(\.text).joined(separator: "\n")
        #expect(all.contains("Anarchism is a political philosophy that advocates self-governed societies"))
        #expect(all.contains("Autism is a neurodevelopmental disorder characterized by impaired social interaction"))
        #expect(all.contains("Albedo"))
        for document in documents {
            #expect(!document.text.contains("{{") && !document.text.contains("[["), "markup left at \(document.location)")
            #expect(!document.text.contains("&quot;") && !document.text.contains("&lt;ref"), "entities left at \(document.location)")
            #expect(!document.continues)
        }
        #expect(diagnostics.warnings.isEmpty, "\(diagnostics.warnings)")
    }

    @Test(.enabled(if: SharedData.exists(Shared.bgwiki), SharedData.missing(Shared.bgwiki)))
    func bulgarianUTF16DumpWithCRLFComesThrough() throws {
        let path = SharedData.path(Shared.bgwiki)
        let head = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(4))
        #expect(head == [0xFF, 0xFE, 0x3C, 0x00], "the sample is UTF-16LE with a BOM")
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], diagnostics: diagnostics)
        // Three pages, of which only "Григориански календар" is in namespace 0.
        try #require(documents.count == 1)
        let text = documents[0].text
        #expect(text.hasPrefix("Григорианският календар (понякога наричан и Грегориански календар, „нов стил“)"))
        #expect(text.contains("светски календар"))
        #expect(!text.contains("\r"))
        #expect(!text.contains("\u{FFFD}"))
        #expect(!text.contains("{{") && !text.contains("[["))
        #expect(documents[0].location.line > 1)
        #expect(diagnostics.warnings.isEmpty, "\(diagnostics.warnings)")
    }

    @Test(.enabled(if: SharedData.exists(Shared.tables), SharedData.missing(Shared.tables)))
    func tableMarkupIsGone() throws {
        let path = SharedData.path(Shared.tables)
        let source = try String(contentsOfFile: path, encoding: .utf8)
        #expect(source.contains("{| class=&quot;wikitable&quot;"), "the sample has tables")
        let documents = try Read.documents([path], ReaderConfiguration(format: .mediawiki))
        #expect(documents.count == DumpPage.scan(source).filter(\.isArticle).count)
        let all = documents.map(\.text).joined(separator: "\n")
        for marker in ["{|", "|}", "|-", "||", "!!", "wikitable", "cellpadding", "rowspan", "colspan", "text-align"] {
            #expect(!all.contains(marker), "table markup \(marker) left")
        }
        for prose in ["constructive vote of no confidence (in German: konstruktives Misstrauensvotum", "Estonia", "Brahui"] {
            #expect(all.contains(prose), "missing \(prose)")
        }
    }
}

// MARK: - XML (TEI)

@Suite struct XMLTextReaderTests {
    /// The ELTeC novels with a character name from each.
    static let novels: [(file: String, name: String)] = [
        ("ENG18400_Trollope.xml", "Michael Armstrong"),
        ("ENG18410_Sinclair.xml", "Crespigny"),
        ("FRA00101_Adam.xml", "Céran"),
        ("FRA00102_Adam.xml", "Mélissandre"),
    ]

    /// How many `<p>` and `<head>` elements a TEI file has (not counting `<p/>`), counted on
    /// its bytes.
    static func paragraphTags(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        let names = [Array("p".utf8), Array("head".utf8)]
        var count = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "<") {
            for name in names where bytes[(index + 1)...].starts(with: name) {
                let after = index + 1 + name.count
                guard after < bytes.count, bytes[after] == UInt8(ascii: ">") || bytes[after] == UInt8(ascii: " ") else { continue }
                let close = bytes[after...].firstIndex(of: UInt8(ascii: ">")) ?? bytes.count - 1
                if bytes[close - 1] != UInt8(ascii: "/") { count += 1 }
            }
        }
        return count
    }

    @Test(.enabled(if: SharedData.exists(Shared.tei), SharedData.missing(Shared.tei)), arguments: novels)
    func paragraphsAndHeadsAreDocuments(file: String, name: String) throws {
        let path = SharedData.path("\(Shared.tei)/\(file)")
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([path], ReaderConfiguration(format: .xml, xmlElements: ["p", "head"]), diagnostics: diagnostics)
        let elements = Self.paragraphTags(source)
        // One document per element (an empty `<p></p>` would give none; these files have none).
        #expect(documents.count > 700)
        #expect(documents.count == elements)
        #expect(documents.contains { $0.text.contains(name) }, "\(name) not found")
        for document in documents {
            #expect(!document.text.contains("\n") && !document.text.contains("\t") && !document.text.contains("  "))
            #expect(document.text.first?.isWhitespace == false && document.text.last?.isWhitespace == false)
        }
        // Locations are the lines of the elements, in order.
        let lines = documents.map(\.location.line)
        #expect(lines.allSatisfy { $0 > 0 } && lines == lines.sorted())
        let sourceLines = source.lineList
        let first = documents[0]
        #expect(sourceLines[first.location.line - 1].contains("<p") || sourceLines[first.location.line - 1].contains("<head"))
        // The header's title and responsibility statement are not in <p> or <head>.
        #expect(!documents.contains { $0.text.contains("ELTeC conversion") })
        #expect(diagnostics.warnings.isEmpty, "\(diagnostics.warnings)")
    }

    @Test(.enabled(if: SharedData.exists(Shared.tei), SharedData.missing(Shared.tei)))
    func withoutElementsAllTextIsRead() throws {
        let path = SharedData.path("\(Shared.tei)/ENG18400_Trollope.xml")
        let selected = try Read.documents([path], ReaderConfiguration(format: .xml, xmlElements: ["p", "head"]))
        let documents = try Read.documents([path], ReaderConfiguration(format: .xml))
        // All text in chunks of about 64 kB cut at element ends.
        #expect(documents.count > 10)
        #expect(documents.dropLast().allSatisfy { $0.text.utf8.count >= 60_000 && $0.text.utf8.count < 200_000 })
        let all = documents.map(\.text).joined(separator: " ")
        #expect(!all.contains("\n") && !all.contains("  "))
        // The header text is there too, and every selected paragraph's text.
        #expect(all.contains("ELTeC conversion"))
        #expect(all.contains("Trollope, Frances Milton (1780-1863)"))
        #expect(all.contains(selected[0].text))
        #expect(all.contains(selected[selected.count / 2].text))
        #expect(all.contains(selected[selected.count - 1].text))
        #expect(all.utf8.count > selected.reduce(0) { $0 + $1.text.utf8.count })
    }

    @Test(.enabled(if: SharedData.exists(Shared.tei), SharedData.missing(Shared.tei)))
    func teiDirectoryIsDetectedAsXML() throws {
        let diagnostics = Read.diagnostics()
        var detected: [String: InputFormat] = [:]
        let reader = try CorpusReader(inputs: [SharedData.path(Shared.tei)], configuration: ReaderConfiguration(xmlElements: ["p"]), diagnostics: diagnostics)
        reader.onFormatDetected = { path, format in detected[(path as NSString).lastPathComponent] = format }
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(Set(detected.keys) == Set(Self.novels.map(\.file)))
        #expect(detected.values.allSatisfy { $0 == .xml })
        #expect(count > 3000)
    }
}

// MARK: - HTML

@Suite struct HTMLTextReaderTests {
    @Test(.enabled(if: SharedData.exists(Shared.html), SharedData.missing(Shared.html)))
    func sphinxPagesGiveTheirBodyText() throws {
        let folder = SharedData.path(Shared.html)
        let files = try CorpusReader.expand([folder])
        #expect(files.count == 17)
        let diagnostics = Read.diagnostics()
        let documents = try Read.documents([folder], diagnostics: diagnostics)
        // Pages are well under 256 kB of text: one document each, in file order.
        #expect(documents.map(\.location.path) == files)
        for document in documents {
            let text = document.text
            #expect(text.contains("Python"))
            // The <style> block in the head, the <script> tags and the <title> are left out.
            for unwanted in ["@media", "full-width-table", "width: 100%", "documentation_options", "Python 3.11.2 documentation"] {
                #expect(!text.contains(unwanted), "\(unwanted) in \(document.location)")
            }
            // Block elements are paragraph breaks; no run of white space remains.
            #expect(text.contains("\n") && !text.contains("\n\n") && !text.contains("  "))
            // The location is the line where the body text begins, after the head.
            let page = try String(contentsOfFile: document.location.path, encoding: .utf8)
            let source = page.lineList
            let bodyLine = try #require(source.firstIndex { $0.contains("<body") }) + 1
            #expect(document.location.line > bodyLine && document.location.line <= source.count)
            // Braces come only from the body (Python code in examples), never from the CSS.
            let body = page[try #require(page.range(of: "<body")?.lowerBound)...]
            if !body.contains("{") { #expect(!text.contains("{"), "\(document.location)") }
            if !body.contains("function(") { #expect(!text.contains("function("), "\(document.location)") }
        }
        let appetite = try #require(documents.first { $0.location.path.hasSuffix("/appetite.html") })
        #expect(appetite.text.contains("If you do much work on computers, eventually you find that there’s some task you’d like to automate."))
        // Its only braces are in the CSS of the head.
        #expect(!appetite.text.contains("{") && !appetite.text.contains("}"))
        // Entities are decoded, code examples kept.
        let control = try #require(documents.first { $0.location.path.hasSuffix("/controlflow.html") })
        #expect(control.text.contains("if x < 0:"))
        #expect(!control.text.contains("&lt;") && !control.text.contains("&#39;"))
    }
}

// MARK: - WikiExtractor, compressed inputs, text8

@Suite struct WikiExtractorReaderTests {
    /// The `<doc>` lines of a WikiExtractor file: line number and title.
    static func docLines(_ text: String) -> [(line: Int, title: String)] {
        text.lineList.enumerated().compactMap { index, line in
            guard line.hasPrefix("<doc "), let start = line.range(of: "title=\"") else { return nil }
            let rest = line[start.upperBound...]
            return (index + 1, String(rest[..<(rest.firstIndex(of: "\"") ?? rest.endIndex)]))
        }
    }

    @Test(.enabled(if: SharedData.exists(Shared.wikiExtractor), SharedData.missing(Shared.wikiExtractor)))
    func oneDocumentPerDocBlock() throws {
        let path = SharedData.path(Shared.wikiExtractor)
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let blocks = Self.docLines(source)
        #expect(blocks.count == 38)
        let diagnostics = Read.diagnostics()
        let (documents, reader) = try Read.corpus([path], diagnostics: diagnostics)
        #expect(documents.count == blocks.count)
        #expect(documents.map(\.location.line) == blocks.map(\.line))
        for (document, block) in zip(documents, blocks) {
            let lines = document.text.lineList
            // The title line is dropped; the first text line follows it.
            #expect(lines.first.map(String.init) != block.title, "title kept in \(block.title)")
            #expect(!document.text.contains("<doc") && !document.text.contains("</doc>"))
            #expect(!lines.contains { $0.isEmpty }, "blank lines kept in \(block.title)")
        }
        #expect(documents[0].text.hasPrefix("Anarchism is a political philosophy that advocates stateless societies"))
        #expect(diagnostics.warnings.isEmpty, "\(diagnostics.warnings)")
        #expect(reader.report.invalidSequences == 0)
    }

    @Test(.enabled(if: SharedData.exists(Shared.wikiExtractor), SharedData.missing(Shared.wikiExtractor)), Compressor.needed)
    func gzipAndBzip2GiveTheSameDocuments() throws {
        let path = SharedData.path(Shared.wikiExtractor)
        let folder = try TemporaryFolder()
        // Compressed names keep the inner name, so `auto` still sees WikiExtractor output.
        let gz = folder.path("wiki_00.gz"), bz2 = folder.path("wiki_00.bz2")
        try Compressor.compress(Compressor.gzip, path, to: gz)
        try Compressor.compress(Compressor.bzip2, path, to: bz2)
        let plain = try Read.documents([path])
        #expect(plain.count == 38)
        for (file, compression) in [(gz, ByteSource.Compression.gzip), (bz2, .bzip2)] {
            #expect(try ByteSource(path: file).compression == compression)
            let diagnostics = Read.diagnostics()
            let (documents, reader) = try Read.corpus([file], diagnostics: diagnostics)
            #expect(documents.map(\.text) == plain.map(\.text), "\(compression)")
            #expect(documents.map(\.location.line) == plain.map(\.location.line))
            #expect(diagnostics.warnings.isEmpty)
            // All compressed bytes were consumed.
            #expect(reader.consumedBytes == reader.totalBytes)
        }
    }

    /// Two compressed streams concatenated (pbzip2, Wikipedia's multistream dumps, pigz) are
    /// read to the end, not just the first stream.
    @Test(.enabled(if: SharedData.exists(Shared.wikiExtractor), SharedData.missing(Shared.wikiExtractor)), Compressor.needed,
          arguments: [Compressor.bzip2, Compressor.gzip])
    func multistreamFilesAreReadToTheEnd(tool: String) throws {
        let path = SharedData.path(Shared.wikiExtractor)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Cut after the 19th </doc> line, so that each stream holds whole documents.
        var cut = data.startIndex
        for _ in 0..<19 { cut = data.range(of: Data("</doc>\n".utf8), in: cut..<data.endIndex)!.upperBound }
        let folder = try TemporaryFolder()
        let first = try folder.write("part1", data[..<cut])
        let second = try folder.write("part2", data[cut...])
        try Compressor.compress(tool, first, to: first + ".z")
        try Compressor.compress(tool, second, to: second + ".z")
        let joined = try Data(contentsOf: URL(fileURLWithPath: first + ".z")) + Data(contentsOf: URL(fileURLWithPath: second + ".z"))
        let multistream = try folder.write("wiki_00-multistream", joined)

        let plain = try Read.documents([path])
        let documents = try Read.documents([multistream])
        #expect(documents.count == 38)
        #expect(documents.map(\.text) == plain.map(\.text))
        #expect(documents.last?.text == plain.last?.text)
    }

    /// The text8-style file is one 100 MB line: it comes in pieces of at most 1 MiB, each cut
    /// after a space. Only the first pieces are read.
    @Test(.enabled(if: SharedData.exists(Shared.text8), SharedData.missing(Shared.text8)), Compressor.needed)
    func oneLineText8FileComesInPiecesCutAtSpaces() throws {
        let path = SharedData.path(Shared.text8)
        let diagnostics = Read.diagnostics()
        var detected: InputFormat?
        let reader = try CorpusReader(inputs: [path], configuration: ReaderConfiguration(), diagnostics: diagnostics)
        reader.onFormatDetected = { _, format in detected = format }
        var pieces: [Document] = []
        while pieces.count < 3, let piece = try reader.next() { pieces.append(piece) }
        #expect(detected == .text)
        try #require(pieces.count == 3)
        for (index, piece) in pieces.enumerated() {
            let size = piece.text.utf8.count
            #expect(size <= 1 << 20 && size > 3 << 18, "piece \(index): \(size) bytes")
            #expect(piece.continues)
            #expect(piece.location.line == 1)
            // Cut after a space: no word is split between two pieces (the line itself starts
            // with a space, like text8).
            #expect(piece.text.hasSuffix(" "))
            #expect(index == 0 || piece.text.first?.isLetter == true)
        }
        // The pieces are exactly the start of the decompressed line.
        let joined = Data(pieces.map(\.text).joined().utf8)
        let prefix = try Compressor.decompressedPrefix(Compressor.gzip, path, count: joined.count)
        #expect(prefix == joined)
        #expect(reader.consumedBytes > 0 && reader.consumedBytes < reader.totalBytes)
        #expect(diagnostics.warnings.isEmpty)
    }
}
