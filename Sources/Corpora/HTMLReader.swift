import CLibXML2
import Foundation
import WordPipeSupport

/// Gathers the body text of an HTML page from SAX events.
final class HTMLCollector {
    /// Elements whose subtree is never text.
    static let skipped: Set<String> = ["script", "style", "noscript", "template", "head", "title", "svg", "math"]
    /// Elements that end a paragraph.
    static let blocks: Set<String> = [
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th", "thead", "tbody",
        "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "section", "article", "aside", "header", "footer",
        "nav", "main", "figure", "figcaption", "form", "fieldset", "address", "caption", "details", "summary", "body",
    ]

    var text = ""
    var line = 0
    var skipDepth = 0
    var preDepth = 0
    var pendingSpace = false
    var currentLine: () -> Int = { 0 }

    func start(_ name: String) {
        if Self.skipped.contains(name) { skipDepth += 1; return }
        if name == "pre" { preDepth += 1 }
        if Self.blocks.contains(name) { breakParagraph() }
    }

    func end(_ name: String) {
        if Self.skipped.contains(name) { skipDepth = max(0, skipDepth - 1); return }
        if name == "pre" { preDepth = max(0, preDepth - 1) }
        if Self.blocks.contains(name) { breakParagraph() }
    }

    func characters(_ pointer: UnsafePointer<UInt8>, _ count: Int) {
        guard skipDepth == 0, count > 0 else { return }
        let chunk = String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
        for scalar in chunk.unicodeScalars {
            if scalar == "\n" && preDepth > 0 {
                breakParagraph()
            } else if scalar.properties.isWhitespace {
                pendingSpace = true
            } else {
                // The document's line is that of its first text, not of the white space between
                // the tags before it (which put a Sphinx page's text at line 5, in the head).
                if line == 0 { line = currentLine() }
                if pendingSpace && !text.isEmpty && text.utf8.last != 0x0A { text.unicodeScalars.append(" ") }
                pendingSpace = false
                text.unicodeScalars.append(scalar)
            }
        }
    }

    func breakParagraph() {
        pendingSpace = false
        if !text.isEmpty && text.utf8.last != 0x0A { text += "\n" }
    }

    /// Takes the text gathered so far.
    func take() -> (String, Int) {
        while text.utf8.last == 0x0A { text.removeLast() }
        defer { text = ""; line = 0 }
        return (text, line)
    }
}

/// The SAX user data of one HTML parse: where text and errors go.
final class HTMLParseContext {
    let collector = HTMLCollector()
    let sink: XMLErrorSink
    init(sink: XMLErrorSink) { self.sink = sink }
}

private func parseContext(_ context: UnsafeMutableRawPointer?) -> HTMLParseContext? {
    guard let context else { return nil }
    return Unmanaged<HTMLParseContext>.fromOpaque(context).takeUnretainedValue()
}

private func elementName(_ name: UnsafePointer<xmlChar>?) -> String {
    name.map { String(cString: $0).lowercased() } ?? ""
}

/// HTML pages through libxml2's HTML push parser (broken markup is recovered): the text of the
/// body, with `script`, `style` and the head left out and block elements as paragraph breaks.
/// A page is one document; a page whose text passes 256 kB is cut at a paragraph break.
public final class HTMLTextReader: DocumentReader {
    private let input: PeekableStream
    private let path: String
    private let state: HTMLParseContext
    private var handler = htmlSAXHandler()
    private var context: htmlParserCtxtPtr?
    private var ended = false
    private static let chunkLimit = 256 * 1024

    init(input: PeekableStream, path: String, diagnostics: Diagnostics) {
        self.input = input
        self.path = path
        self.state = HTMLParseContext(sink: XMLErrorSink(path: path, diagnostics: diagnostics))
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElement = { context, name, _ in parseContext(context)?.collector.start(elementName(name)) }
        handler.endElement = { context, name in parseContext(context)?.collector.end(elementName(name)) }
        handler.characters = { context, characters, length in
            guard let characters else { return }
            parseContext(context)?.collector.characters(characters, Int(length))
        }
        handler.cdataBlock = handler.characters
        handler.serror = { context, error in
            guard let error else { return }
            parseContext(context)?.sink.record(error)
        }
    }

    deinit {
        if let context { htmlFreeParserCtxt(context) }
    }

    private func start() throws {
        let head = try input.peek(2048)
        let declared = String(decoding: head, as: UTF8.self).lowercased().contains("charset")
        let hasBOM = TextEncoding.detect(head).bomLength > 0
        // HTML's default is ISO-8859-1; pages without a declaration today are nearly always UTF-8.
        let encoding = declared || hasBOM ? XML_CHAR_ENCODING_NONE : XML_CHAR_ENCODING_UTF8
        let user = Unmanaged.passUnretained(state).toOpaque()
        context = withUnsafeMutablePointer(to: &handler) { handlerPointer in
            htmlCreatePushParserCtxt(handlerPointer, user, nil, 0, path, encoding)
        }
        guard let context else {
            throw CorpusError.malformed(location: SourceLocation(path: path), message: "cannot start the HTML parser")
        }
        htmlCtxtUseOptions(context, Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue
            | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_COMPACT.rawValue))
        state.collector.currentLine = { [weak self] in
            guard let context = self?.context, let input = context.pointee.input else { return 0 }
            return Int(input.pointee.line)
        }
    }

    public func next() throws -> Document? {
        if context == nil && !ended { try start() }
        guard let context else { return nil }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !ended {
            if state.collector.text.utf8.count >= Self.chunkLimit && state.collector.text.utf8.last == 0x0A { break }
            let got = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
            let status = chunk.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { htmlParseChunk(context, $0.baseAddress, Int32(got), got == 0 ? 1 : 0) }
            }
            if got == 0 { ended = true }
            if status != 0, let fatal = state.sink.fatal, !ended {
                ended = true
                let (text, line) = state.collector.take()
                if !text.isEmpty { return Document(text: text, location: SourceLocation(path: path, line: max(1, line))) }
                throw fatal
            }
        }
        let (text, line) = state.collector.take()
        if text.isEmpty { return nil }
        return Document(text: text, location: SourceLocation(path: path, line: max(1, line)))
    }
}
