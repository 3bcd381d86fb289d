import CLibXML2
import Foundation
import WordPipeSupport

// libxml2 readers. Both XML readers stream with xmlTextReader, fed from our ByteStream through
// xmlReaderForIO (so .gz/.bz2 and standard input work, and libxml2 detects UTF-16 BOMs and
// declared encodings itself). HTML goes through libxml2's push parser with SAX callbacks.
// Parse errors are reported as `file:line:column: message`; libxml2's recovery is used where
// it can go on, and a fatal error ends the file with the documents read so far.

/// Receives libxml2's structured errors for one file.
final class XMLErrorSink {
    let path: String
    let diagnostics: Diagnostics
    /// The first fatal error, which ends the file.
    var fatal: CorpusError?
    private var reported = 0

    init(path: String, diagnostics: Diagnostics) {
        self.path = path
        self.diagnostics = diagnostics
    }

    func record(_ error: UnsafePointer<xmlError>) {
        let entry = error.pointee
        // libxml2 2.9 predates HTML5 and calls <nav>, <section>, <svg>... unknown; that says
        // nothing about the input's health.
        if entry.code == Int32(XML_HTML_UNKNOWN_TAG.rawValue) { return }
        var message = entry.message.map { String(cString: $0) } ?? "XML error \(entry.code)"
        while message.last?.isWhitespace == true { message.removeLast() }
        let location = SourceLocation(path: path, line: Int(entry.line), column: Int(max(0, entry.int2)))
        if entry.level.rawValue >= XML_ERR_FATAL.rawValue {
            if fatal == nil { fatal = .malformed(location: location, message: message) }
            return
        }
        if entry.level.rawValue >= XML_ERR_ERROR.rawValue || entry.level.rawValue == XML_ERR_WARNING.rawValue {
            reported += 1
            // A broken file can produce thousands of follow-on errors; report the first ones.
            if reported <= 20 { diagnostics.warn(message, at: location) }
        }
    }
}

/// The libxml2 input callback: reads from a ByteStream passed as context.
private let streamRead: xmlInputReadCallback = { context, buffer, length in
    guard let context, let buffer, length > 0 else { return 0 }
    let box = Unmanaged<StreamBox>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try box.stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        box.error = error
        return -1
    }
}

private let streamClose: xmlInputCloseCallback = { _ in 0 }

private let structuredError: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    Unmanaged<XMLErrorSink>.fromOpaque(context).takeUnretainedValue().record(error)
}

/// Holds the stream (and any read error) for the C callbacks.
final class StreamBox {
    let stream: ByteStream
    var error: Error?
    init(stream: ByteStream) { self.stream = stream }
}

/// Streams the nodes of one XML file with xmlTextReader.
final class XMLNodeStream {
    enum Node {
        case start(name: String, isEmpty: Bool, line: Int)
        case text(String)
        case end(name: String)
    }

    private var reader: xmlTextReaderPtr?
    private let box: StreamBox
    let sink: XMLErrorSink
    private var finished = false

    init(input: ByteStream, path: String, diagnostics: Diagnostics) {
        box = StreamBox(stream: input)
        sink = XMLErrorSink(path: path, diagnostics: diagnostics)
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_RECOVER.rawValue
            | XML_PARSE_NOWARNING.rawValue | XML_PARSE_COMPACT.rawValue)
        reader = xmlReaderForIO(streamRead, streamClose, Unmanaged.passUnretained(box).toOpaque(), path, nil, options)
        if let reader {
            xmlTextReaderSetStructuredErrorHandler(reader, structuredError, Unmanaged.passUnretained(sink).toOpaque())
        }
    }

    deinit {
        if let reader { xmlFreeTextReader(reader) }
    }

    /// The next node of interest, nil at the end; throws on read errors and fatal parse errors.
    func next() throws -> Node? {
        guard let reader, !finished else { return nil }
        while true {
            let result = xmlTextReaderRead(reader)
            if result != 1 {
                finished = true
                if let error = box.error { throw error }
                if let fatal = sink.fatal { throw fatal }
                if result < 0 {
                    throw CorpusError.malformed(location: SourceLocation(path: sink.path), message: "XML could not be parsed")
                }
                return nil
            }
            switch Int32(xmlTextReaderNodeType(reader)) {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let name = xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? ""
                return .start(name: name, isEmpty: xmlTextReaderIsEmptyElement(reader) == 1, line: elementLine(reader))
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                return .end(name: xmlTextReaderConstLocalName(reader).map { String(cString: $0) } ?? "")
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue), Int32(XML_READER_TYPE_WHITESPACE.rawValue):
                return .text(xmlTextReaderConstValue(reader).map { String(cString: $0) } ?? "")
            default:
                continue
            }
        }
    }
}

/// The line of the element the reader is on.
///
/// `xmlTextReaderGetParserLineNumber` is where the parser is, which runs ahead of the reader by a
/// chunk (up to a dozen lines in a MediaWiki dump), so documents pointed below their start tag.
/// The node's own line is exact, but libxml2 stores it in 16 bits (65535 means "or more"); past
/// that the parser's line is the best there is.
private func elementLine(_ reader: xmlTextReaderPtr) -> Int {
    if let node = xmlTextReaderCurrentNode(reader) {
        let line = xmlGetLineNo(node)
        if line > 0 && line < 65535 { return Int(line) }
    }
    return Int(xmlTextReaderGetParserLineNumber(reader))
}

/// Collapses every run of white space to one space and trims the ends.
func collapsingWhitespace(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    var pendingSpace = false
    for scalar in text.unicodeScalars {
        if scalar.properties.isWhitespace {
            pendingSpace = !result.isEmpty
        } else {
            if pendingSpace { result.unicodeScalars.append(" ") }
            pendingSpace = false
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// A MediaWiki XML export dump: one document per article page.
///
/// Pages outside namespace 0 and redirects are skipped; of several revisions the last one's
/// text is taken, and its wiki markup is reduced to plain text by `WikiMarkupStripper`.
public final class MediaWikiReader: DocumentReader {
    private let nodes: XMLNodeStream
    private let path: String
    private let stripper = WikiMarkupStripper()

    init(input: ByteStream, path: String, diagnostics: Diagnostics) {
        self.nodes = XMLNodeStream(input: input, path: path, diagnostics: diagnostics)
        self.path = path
    }

    public func next() throws -> Document? {
        var inPage = false
        var pageLine = 0
        var namespace = ""
        var redirect = false
        var text = ""
        var capture: String?  // "ns" or "text" while inside one
        while let node = try nodes.next() {
            switch node {
            case .start(let name, let isEmpty, let line):
                switch name {
                case "page":
                    inPage = true
                    pageLine = line
                    namespace = ""
                    redirect = false
                    text = ""
                case "redirect" where inPage: redirect = true
                case "ns" where inPage && !isEmpty:
                    capture = "ns"
                    namespace = ""
                case "text" where inPage:
                    text = ""
                    capture = isEmpty ? nil : "text"
                default: break
                }
            case .text(let value):
                if capture == "text" { text += value } else if capture == "ns" { namespace += value }
            case .end(let name):
                switch name {
                case "ns", "text": capture = nil
                case "page" where inPage:
                    inPage = false
                    let ns = namespace.trimmingCharacters(in: .whitespaces)
                    guard ns.isEmpty || ns == "0", !redirect else { continue }
                    let plain = stripper.plainText(text)
                    if plain.contains(where: { !$0.isWhitespace }) {
                        return Document(text: plain, location: SourceLocation(path: path, line: pageLine))
                    }
                default: break
                }
            }
        }
        return nil
    }
}

/// Any XML (TEI included): the text of the chosen elements, one document per occurrence; or,
/// with no elements chosen, all text in documents of about 64 kB cut at element ends.
/// White space runs (XML line wrapping) become single spaces; empty elements (`<lb/>`,
/// `<pb/>`) count as a space.
public final class XMLTextReader: DocumentReader {
    private let nodes: XMLNodeStream
    private let path: String
    private let elements: Set<String>
    private var buffer = ""
    private var bufferLine = 0
    private var selectedDepth = 0  // > 0 while inside a selected element (nesting count)
    private static let chunkSize = 64 * 1024

    init(input: ByteStream, path: String, elements: [String], diagnostics: Diagnostics) {
        self.nodes = XMLNodeStream(input: input, path: path, diagnostics: diagnostics)
        self.path = path
        self.elements = Set(elements)
    }

    public func next() throws -> Document? {
        do {
            while let node = try nodes.next() {
                if let document = consume(node) { return document }
            }
        } catch {
            // Keep what was read before a fatal error, then let the caller report it.
            if let document = flush() {
                pendingError = error
                return document
            }
            throw error
        }
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        return flush()
    }

    private var pendingError: Error?

    private func consume(_ node: XMLNodeStream.Node) -> Document? {
        let all = elements.isEmpty
        switch node {
        case .start(let name, let isEmpty, let line):
            if !all && elements.contains(name) && !isEmpty {
                if selectedDepth == 0 { bufferLine = line }
                selectedDepth += 1
            } else if isEmpty && (all || selectedDepth > 0) {
                buffer += " "
            }
            if all && bufferLine == 0 { bufferLine = line }
        case .text(let value):
            if all || selectedDepth > 0 { buffer += value }
        case .end(let name):
            if !all && elements.contains(name) && selectedDepth > 0 {
                selectedDepth -= 1
                if selectedDepth == 0 { return flush() }
            } else if all && buffer.utf8.count >= Self.chunkSize {
                return flush()
            }
        }
        return nil
    }

    private func flush() -> Document? {
        let text = collapsingWhitespace(buffer)
        let line = bufferLine
        buffer = ""
        bufferLine = 0
        guard !text.isEmpty else { return nil }
        return Document(text: text, location: SourceLocation(path: path, line: line))
    }
}
