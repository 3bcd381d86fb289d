// Reducing MediaWiki wikitext to plain text, in three linear passes over UTF-8 bytes.

/// Reduces MediaWiki markup to plain text.
///
/// The output is what WikiExtractor or gensim's `filter_wiki` give for a page: the prose of the
/// article, one source line per output line, without templates, tables, references, files,
/// categories, interlanguage links and formatting.
///
/// ```swift
/// let stripper = WikiMarkupStripper()
/// stripper.plainText("'''Paris''' is the [[capital city|capital]] of [[France]].{{cn}}")
/// // "Paris is the capital of France."
/// ```
///
/// What is kept and dropped:
/// - Dropped with their content: templates `{{…}}` and tables `{|…|}` at any nesting depth;
///   `<ref>`, `<references>`, `<math>`, `<gallery>`, `<timeline>`, `<score>`, `<syntaxhighlight>`
///   and similar extension tags; HTML comments; magic words such as `__TOC__`; links into the
///   file, image and category namespaces (English and common localized names, e.g. `Datei:`,
///   `Fichier:`, `Файл:`, `Категория:`), captions included; interlanguage links (`[[fr:…]]`);
///   bare external links `[http://…]`.
/// - Kept as text: `[[target]]` as *target*, `[[target|label]]` as *label* (letters that follow
///   the link stay attached), `[http://… label]` as *label*, the content of other HTML tags
///   (`<br>` and block tags become a space), `<nowiki>` and `<pre>` content verbatim, heading text
///   on its own line. Bold and italic quotes, list markers (`*#:;`) and rules (`----`) go.
/// - HTML entities are decoded: the 252 named entities of HTML 4 plus `&apos;`, and numeric ones.
/// - Whitespace: runs of spaces collapse to one, lines are trimmed, empty lines are dropped, so
///   paragraphs and list items come out separated by a single `"\n"`.
///
/// Algorithm: three passes, each linear in the input.
/// 1. Comments and HTML/extension tags (`<!--`, `<ref>`, `<nowiki>`…); the content of `<nowiki>`
///    and `<pre>` is re-encoded as numeric entities so that later passes see no markup in it.
///    The search for a closing tag remembers where it failed, so many unclosed tags cost one scan.
/// 2. Templates and tables: single braces are paired with a stack first, then every `{{` or `{|`
///    whose `{` has a partner is dropped up to that partner. Unpaired braces stay as text, so a
///    stray `{{` costs nothing but itself.
/// 3. Links, external links, quotes, line-start markup and entities, into the output. `[[`/`]]`
///    are paired with a stack first; the closing positions of the links being rendered are kept on
///    a stack, so nested links (captions) need no recursion.
///
/// Unbalanced markup never fails: unpaired `{{`, `[[` and `]]` are output as text, an unclosed
/// `<ref>` loses only its opening tag, and an unclosed comment runs to the end of the page, as in
/// MediaWiki. Reference: WikiExtractor (`attardi/wikiextractor`, `extract.py`) and gensim's
/// `gensim.corpora.wikicorpus.filter_wiki`.
///
/// - Complexity: O(*n*) time and memory in the UTF-8 length of the page.
public struct WikiMarkupStripper: Sendable {
    /// Creates a stripper. It keeps no state, so one value can serve any number of threads.
    public init() {}

    /// Returns the plain text of one page's wikitext. Paragraphs separated by "\n".
    public func plainText(_ wikitext: String) -> String {
        let afterTags =
            wikitext.utf8.withContiguousStorageIfAvailable(WikiMarkupPasses.stripTagsAndComments)
            ?? Array(wikitext.utf8).withUnsafeBufferPointer(WikiMarkupPasses.stripTagsAndComments)
        let afterTemplates = afterTags.withUnsafeBufferPointer(WikiMarkupPasses.stripTemplatesAndTables)
        let text = afterTemplates.withUnsafeBufferPointer(WikiMarkupPasses.render)
        return String(decoding: text, as: UTF8.self)
    }
}

// MARK: - Bytes

/// ASCII bytes the passes look at.
private enum WikiByte {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let bang = UInt8(ascii: "!")
    static let hash = UInt8(ascii: "#")
    static let ampersand = UInt8(ascii: "&")
    static let apostrophe = UInt8(ascii: "'")
    static let openParen = UInt8(ascii: "(")
    static let star = UInt8(ascii: "*")
    static let comma = UInt8(ascii: ",")
    static let dash = UInt8(ascii: "-")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let lessThan = UInt8(ascii: "<")
    static let equals = UInt8(ascii: "=")
    static let greaterThan = UInt8(ascii: ">")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let openBrace = UInt8(ascii: "{")
    static let pipe = UInt8(ascii: "|")
    static let closeBrace = UInt8(ascii: "}")

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlphanumeric(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
    @inline(__always) static func isUppercase(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
    @inline(__always) static func isLineSpace(_ c: UInt8) -> Bool { c == space || c == tab || c == carriageReturn }
    @inline(__always) static func lowercased(_ c: UInt8) -> UInt8 { isUppercase(c) ? c | 0x20 : c }

    /// Bytes that end a run of ordinary text in pass 3: whitespace, `[`, `'` and `&`.
    @inline(__always) static func endsTextRun(_ c: UInt8) -> Bool {
        // Bits 9, 10, 13 (\t \n \r), 32 (space), 38 (&), 39 (').
        let mask: UInt64 = (1 << 9) | (1 << 10) | (1 << 13) | (1 << 32) | (1 << 38) | (1 << 39)
        return c < 64 ? (mask >> UInt64(c)) & 1 != 0 : c == openBracket
    }
}

/// `s[range]` as a buffer, for bulk appends.
@inline(__always)
private func slice(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(rebasing: s[range])
}

/// Whether `s` holds the ASCII `pattern` at `at`, comparing letters without case.
private func hasPrefix(_ s: UnsafeBufferPointer<UInt8>, at: Int, caseInsensitive pattern: StaticString) -> Bool {
    let count = pattern.utf8CodeUnitCount
    guard at >= 0, count <= s.count - at else { return false }
    return pattern.withUTF8Buffer { p in
        for k in 0..<count where WikiByte.lowercased(s[at + k]) != p[k] { return false }
        return true
    }
}

/// Pairs of opening and closing delimiters, found with a stack in one pass, in order of opening.
///
/// Positions are stored as `Int32` to halve the memory of pathological pages; pages of 2 GiB or
/// more get no pairs (all their delimiters stay text).
private struct WikiMarkupPairs {
    var open: [Int32] = []
    var close: [Int32] = []
    /// Index of the first pair whose opening is not before the last position asked about.
    var cursor = 0

    /// The closing position paired with an opening at `position`, or nil if it has none.
    /// Positions asked about must not decrease.
    @inline(__always) mutating func partner(ofOpeningAt position: Int) -> Int? {
        while cursor < open.count && Int(open[cursor]) < position { cursor += 1 }
        guard cursor < open.count, Int(open[cursor]) == position, close[cursor] >= 0 else { return nil }
        return Int(close[cursor])
    }

    /// Pairs every `{` with its `}`.
    static func braces(_ s: UnsafeBufferPointer<UInt8>) -> WikiMarkupPairs {
        var pairs = WikiMarkupPairs()
        guard s.count < Int(Int32.max) else { return pairs }
        var stack: [Int32] = []
        for p in 0..<s.count {
            let c = s[p]
            if c == WikiByte.openBrace {
                stack.append(Int32(pairs.open.count))
                pairs.open.append(Int32(p))
                pairs.close.append(-1)
            } else if c == WikiByte.closeBrace, let k = stack.popLast() {
                pairs.close[Int(k)] = Int32(p)
            }
        }
        return pairs
    }

    /// Pairs every `[[` with its `]]`, reading left to right without overlap.
    static func doubleBrackets(_ s: UnsafeBufferPointer<UInt8>) -> WikiMarkupPairs {
        var pairs = WikiMarkupPairs()
        guard s.count < Int(Int32.max) else { return pairs }
        var stack: [Int32] = []
        var p = 0
        while p + 1 < s.count {
            let c = s[p]
            if c == WikiByte.openBracket && s[p + 1] == WikiByte.openBracket {
                stack.append(Int32(pairs.open.count))
                pairs.open.append(Int32(p))
                pairs.close.append(-1)
                p += 2
            } else if c == WikiByte.closeBracket && s[p + 1] == WikiByte.closeBracket {
                if let k = stack.popLast() { pairs.close[Int(k)] = Int32(p) }
                p += 2
            } else {
                p += 1
            }
        }
        return pairs
    }
}

// MARK: - The passes

private enum WikiMarkupPasses {
    // MARK: Pass 1: comments and tags

    /// What happens to a tag and its content.
    enum TagKind {
        /// Tag and content go (`<ref>`, `<math>`…).
        case dropWithContent
        /// Tag goes, content stays as literal text (`<nowiki>`, `<pre>`).
        case verbatim
        /// Tag becomes a space (`<br>`, block elements).
        case space
        /// Tag goes, content stays.
        case plain
    }

    /// Tags by lowercased name; any other well-formed tag is `.plain`.
    static let tagKinds: [String: TagKind] = {
        var kinds: [String: TagKind] = [:]
        for name in [
            "ref", "references", "math", "chem", "ce", "gallery", "timeline", "score", "graph",
            "imagemap", "hiero", "syntaxhighlight", "source", "templatedata", "templatestyles",
            "mapframe", "maplink", "inputbox", "categorytree", "includeonly", "charinsert",
            "indicator", "languages", "dynamicpagelist", "section", "style", "script",
        ] { kinds[name] = .dropWithContent }
        for name in ["nowiki", "pre"] { kinds[name] = .verbatim }
        for name in [
            "br", "hr", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th",
            "caption", "blockquote", "center", "poem", "h1", "h2", "h3", "h4", "h5", "h6",
        ] { kinds[name] = .space }
        return kinds
    }()

    struct Tag {
        var nameRange: Range<Int>
        var isClosing: Bool
        var isSelfClosing: Bool
        /// Position just after `>`.
        var end: Int
    }

    /// Parses `<name …>`, `</name>` or `<name …/>` at `i`. The search for `>` stops at the next
    /// `<`, which keeps runs of `<` linear.
    static func parseTag(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> Tag? {
        let n = s.count
        var j = i + 1
        var isClosing = false
        if j < n && s[j] == WikiByte.slash {
            isClosing = true
            j += 1
        }
        let nameStart = j
        guard j < n, WikiByte.isLetter(s[j]) else { return nil }
        while j < n && WikiByte.isAlphanumeric(s[j]) { j += 1 }
        let nameEnd = j
        guard j < n else { return nil }
        let c = s[j]
        guard c == WikiByte.greaterThan || c == WikiByte.slash || WikiByte.isLineSpace(c) || c == WikiByte.newline
        else { return nil }
        while j < n && s[j] != WikiByte.greaterThan && s[j] != WikiByte.lessThan { j += 1 }
        guard j < n, s[j] == WikiByte.greaterThan else { return nil }
        return Tag(
            nameRange: nameStart..<nameEnd, isClosing: isClosing,
            isSelfClosing: s[j - 1] == WikiByte.slash, end: j + 1)
    }

    /// Finds `</name>` (spaces allowed before `>`, as in MediaWiki) from `from`; returns the range
    /// of the closing tag.
    static func findClosingTag(_ s: UnsafeBufferPointer<UInt8>, name: [UInt8], from: Int) -> Range<Int>? {
        let n = s.count
        var p = from
        while p + 1 < n {
            if s[p] == WikiByte.lessThan && s[p + 1] == WikiByte.slash {
                var q = p + 2
                var k = 0
                while k < name.count && q < n && WikiByte.lowercased(s[q]) == name[k] {
                    k += 1
                    q += 1
                }
                if k == name.count {
                    while q < n && (WikiByte.isLineSpace(s[q]) || s[q] == WikiByte.newline) { q += 1 }
                    if q < n && s[q] == WikiByte.greaterThan { return p..<(q + 1) }
                }
            }
            p += 1
        }
        return nil
    }

    /// Whether a byte of `<nowiki>` content must be hidden from the later passes.
    @inline(__always) static func isMarkupByte(_ c: UInt8) -> Bool {
        switch c {
        case WikiByte.openBracket, WikiByte.closeBracket, WikiByte.openBrace, WikiByte.closeBrace,
            WikiByte.pipe, WikiByte.apostrophe, WikiByte.underscore, WikiByte.equals, WikiByte.star,
            WikiByte.hash, WikiByte.colon, WikiByte.dash:
            return true
        default:
            return false
        }
    }

    /// Appends `bytes` with markup bytes written as `&#NN;`, decoded again by pass 3. A `;` is
    /// markup only at the start of a line, and elsewhere may end an entity (`&amp;`).
    static func appendVerbatim(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var previous = WikiByte.newline
        for c in bytes {
            defer { previous = c }
            if isMarkupByte(c) || (c == WikiByte.semicolon && previous == WikiByte.newline) {
                out.append(WikiByte.ampersand)
                out.append(WikiByte.hash)
                if c >= 100 { out.append(0x30 + c / 100) }
                out.append(0x30 + (c / 10) % 10)
                out.append(0x30 + c % 10)
                out.append(WikiByte.semicolon)
            } else {
                out.append(c)
            }
        }
    }

    /// Pass 1: removes comments and tags, with the content of the dropped ones.
    static func stripTagsAndComments(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let n = s.count
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        var runStart = 0
        // Tag name -> a position from which its closing tag is known to be absent.
        var unclosedFrom: [String: Int] = [:]
        while i < n {
            if s[i] != WikiByte.lessThan {
                i += 1
                continue
            }
            if hasPrefix(s, at: i, caseInsensitive: "<!--") {
                out.append(contentsOf: slice(s, runStart..<i))
                var p = i + 4
                while p + 2 < n
                    && !(s[p] == WikiByte.dash && s[p + 1] == WikiByte.dash && s[p + 2] == WikiByte.greaterThan)
                {
                    p += 1
                }
                i = p + 2 < n ? p + 3 : n
                runStart = i
                continue
            }
            guard let tag = parseTag(s, at: i) else {
                i += 1
                continue
            }
            out.append(contentsOf: slice(s, runStart..<i))
            let name = String(decoding: slice(s, tag.nameRange), as: UTF8.self).lowercased()
            var next = tag.end
            switch tagKinds[name] ?? .plain {
            case .plain:
                break
            case .space:
                out.append(WikiByte.space)
            case let kind:
                guard !tag.isClosing, !tag.isSelfClosing else { break }
                if let failed = unclosedFrom[name], failed <= tag.end { break }
                if let close = findClosingTag(s, name: Array(name.utf8), from: tag.end) {
                    if kind == .verbatim { appendVerbatim(slice(s, tag.end..<close.lowerBound), to: &out) }
                    next = close.upperBound
                } else {
                    unclosedFrom[name] = tag.end
                }
            }
            i = next
            runStart = next
        }
        out.append(contentsOf: slice(s, runStart..<n))
        return out
    }

    // MARK: Pass 2: templates, tables, magic words

    /// Pass 2: removes `{{…}}` and `{|…|}` whose braces pair up, and `__MAGICWORDS__`.
    static func stripTemplatesAndTables(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let n = s.count
        var braces = WikiMarkupPairs.braces(s)
        var out: [UInt8] = []
        out.reserveCapacity(n)
        var i = 0
        var runStart = 0
        while i < n {
            let c = s[i]
            if c == WikiByte.openBrace {
                if i + 1 < n, s[i + 1] == WikiByte.openBrace || s[i + 1] == WikiByte.pipe,
                    let close = braces.partner(ofOpeningAt: i)
                {
                    out.append(contentsOf: slice(s, runStart..<i))
                    i = close + 1
                    runStart = i
                    continue
                }
            } else if c == WikiByte.underscore && i + 1 < n && s[i + 1] == WikiByte.underscore {
                var j = i + 2
                while j < n && WikiByte.isUppercase(s[j]) { j += 1 }
                if j > i + 2 && j + 1 < n && s[j] == WikiByte.underscore && s[j + 1] == WikiByte.underscore {
                    out.append(contentsOf: slice(s, runStart..<i))
                    i = j + 2
                    runStart = i
                    continue
                }
            }
            i += 1
        }
        out.append(contentsOf: slice(s, runStart..<n))
        return out
    }

    // MARK: Pass 3: links, quotes, lines, entities

    /// Namespaces whose links are dropped, lowercased: files, images, categories, in English and
    /// the larger Wikipedias' languages.
    static let droppedNamespaces: Set<String> = [
        "file", "image", "category", "simple",
        "datei", "bild", "kategorie",  // de
        "fichier", "catégorie",  // fr
        "archivo", "imagen", "categoría",  // es
        "immagine", "categoria",  // it, pt
        "ficheiro", "arquivo", "imagem",  // pt
        "bestand", "afbeelding", "categorie",  // nl, ro
        "plik", "grafika", "kategoria",  // pl
        "файл", "изображение", "категория", "картинка",  // ru, bg
        "зображення", "категорія",  // uk
        "датотека", "слика", "категорија",  // sr
        "fil", "kategori",  // sv, no, da, tr, id
        "tiedosto", "kuva", "luokka",  // fi
        "soubor", "obrázek",  // cs
        "dosya", "resim",  // tr
        "fájl", "kép", "kategória",  // hu
        "fișier", "imagine",  // ro
        "berkas", "gambar",  // id
        "tập tin", "hình", "thể loại",  // vi
        "αρχείο", "εικόνα", "κατηγορία",  // el
        "קובץ", "תמונה", "קטגוריה",  // he
        "ملف", "صورة", "تصنيف",  // ar
        "پرونده", "رده",  // fa
        "ファイル", "画像", "カテゴリ",  // ja
        "文件", "檔案", "图像", "分类", "分類",  // zh
        "파일", "분류",  // ko
    ]

    /// Whether the link prefix `s[start..<colon]` names a dropped namespace or a language
    /// (interlanguage links: two or three lowercase letters, or lowercase letters with `-`).
    static func isDroppedNamespace(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ colon: Int) -> Bool {
        var a = start
        var b = colon
        while a < b && (WikiByte.isLineSpace(s[a]) || s[a] == WikiByte.underscore) { a += 1 }
        while b > a && (WikiByte.isLineSpace(s[b - 1]) || s[b - 1] == WikiByte.underscore) { b -= 1 }
        let length = b - a
        guard length >= 2, length <= 48 else { return false }
        var lowercaseASCII = true
        var hasDash = false
        for p in a..<b {
            let c = s[p]
            if c == WikiByte.dash && p > a {
                hasDash = true
            } else if c < 0x61 || c > 0x7A {
                lowercaseASCII = false
                break
            }
        }
        if lowercaseASCII && (length <= 3 || (hasDash && length <= 12)) { return true }
        var name = String(decoding: slice(s, a..<b), as: UTF8.self).lowercased()
        if name.utf8.contains(WikiByte.underscore) {
            name = String(name.map { $0 == "_" ? " " : $0 })
        }
        return droppedNamespaces.contains(name)
    }

    /// Schemes that make `[scheme…]` an external link.
    static let urlSchemes: [StaticString] = [
        "http://", "https://", "//", "ftp://", "ftps://", "sftp://", "irc://", "ircs://", "news:",
        "mailto:", "gopher://", "git://", "svn://", "telnet://", "nntp://", "ssh://", "mms://",
        "urn:", "geo:", "tel:", "sip:", "sips:", "sms:", "xmpp:", "magnet:", "worldwind://",
    ]

    @inline(__always) static func startsURL(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i < s.count else { return false }
        let c = WikiByte.lowercased(s[i])
        guard WikiByte.isLetter(c) || c == WikiByte.slash else { return false }
        for scheme in urlSchemes where hasPrefix(s, at: i, caseInsensitive: scheme) { return true }
        return false
    }

    /// Code points written as a plain space, or not at all.
    @inline(__always) static func isSpaceLike(_ v: UInt32) -> Bool {
        v <= 0x20 || v == 0x7F || v == 0xA0 || (v >= 0x2000 && v <= 0x200A) || v == 0x2028 || v == 0x2029
            || v == 0x202F || v == 0x205F || v == 0x3000
    }

    @inline(__always) static func isInvisible(_ v: UInt32) -> Bool {
        v == 0xAD || v == 0x200B || v == 0x200E || v == 0x200F || v == 0x2060 || v == 0xFEFF
    }

    /// Decodes `&name;`, `&#123;` or `&#x1F;` at `i`; returns the code point and the length.
    static func decodeEntity(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int)? {
        let n = s.count
        var j = i + 1
        guard j < n else { return nil }
        if s[j] == WikiByte.hash {
            j += 1
            var base: UInt32 = 10
            if j < n && (s[j] | 0x20) == UInt8(ascii: "x") {
                base = 16
                j += 1
            }
            let digitsStart = j
            var value: UInt32 = 0
            while j < n && j - digitsStart < 8 {
                let c = s[j]
                let digit: UInt32
                if WikiByte.isDigit(c) {
                    digit = UInt32(c - 0x30)
                } else if base == 16, (c | 0x20) >= 0x61, (c | 0x20) <= 0x66 {
                    digit = UInt32((c | 0x20) - 0x61 + 10)
                } else {
                    break
                }
                value = value * base + digit
                j += 1
            }
            guard j > digitsStart, j < n, s[j] == WikiByte.semicolon else { return nil }
            return (value, j + 1 - i)
        }
        let nameStart = j
        while j < n && j - nameStart < 32 && WikiByte.isAlphanumeric(s[j]) { j += 1 }
        guard j > nameStart, j < n, s[j] == WikiByte.semicolon,
            let value = htmlEntities[String(decoding: slice(s, nameStart..<j), as: UTF8.self)]
        else { return nil }
        return (value, j + 1 - i)
    }

    /// Pass 3: renders links, external links, quotes, line-start markup and entities as text.
    static func render(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var renderer = WikiMarkupRenderer(s)
        renderer.run()
        return renderer.out.finish()
    }
}

/// Output of pass 3: collapses spaces, trims lines, drops empty lines.
private struct WikiPlainTextWriter {
    var bytes: [UInt8] = []
    var pendingSpace = false

    @inline(__always) mutating func space() { pendingSpace = true }

    @inline(__always) mutating func newline() {
        pendingSpace = false
        if let last = bytes.last, last != WikiByte.newline { bytes.append(WikiByte.newline) }
    }

    @inline(__always) mutating func beginText() {
        if pendingSpace {
            pendingSpace = false
            if let last = bytes.last, last != WikiByte.newline { bytes.append(WikiByte.space) }
        }
    }

    @inline(__always) mutating func text(_ run: UnsafeBufferPointer<UInt8>) {
        guard !run.isEmpty else { return }
        beginText()
        bytes.append(contentsOf: run)
    }

    @inline(__always) mutating func byte(_ c: UInt8) {
        beginText()
        bytes.append(c)
    }

    /// Writes a decoded code point in UTF-8; invalid ones become U+FFFD.
    mutating func scalar(_ value: UInt32) {
        if WikiMarkupPasses.isSpaceLike(value) { return space() }
        if WikiMarkupPasses.isInvisible(value) { return }
        beginText()
        let v = value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) ? 0xFFFD : value
        if v < 0x80 {
            bytes.append(UInt8(v))
        } else if v < 0x800 {
            bytes.append(UInt8(0xC0 | (v >> 6)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            bytes.append(UInt8(0xE0 | (v >> 12)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            bytes.append(UInt8(0xF0 | (v >> 18)))
            bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    mutating func finish() -> [UInt8] {
        if bytes.last == WikiByte.newline { bytes.removeLast() }
        return bytes
    }
}

/// The state of pass 3 over one page.
private struct WikiMarkupRenderer {
    let s: UnsafeBufferPointer<UInt8>
    var out = WikiPlainTextWriter()
    var links: WikiMarkupPairs
    /// Closing delimiters of the links being rendered, innermost last.
    var closes: [(position: Int, length: Int)] = []
    /// `closes.last?.position`, or `Int.max`.
    var nextClose = Int.max
    /// Where the text of the current heading ends, or `Int.max`.
    var headingEnd = Int.max
    /// The end of the current heading's line.
    var headingLineEnd = 0
    /// `[` to this position is known to hold no `]` that can close an external link.
    var noBracketUntil = 0
    var i = 0

    init(_ s: UnsafeBufferPointer<UInt8>) {
        self.s = s
        links = WikiMarkupPairs.doubleBrackets(s)
        out.bytes.reserveCapacity(s.count)
    }

    mutating func pushClose(_ position: Int, length: Int) {
        closes.append((position, length))
        nextClose = position
    }

    mutating func run() {
        let n = s.count
        var atLineStart = true
        while i < n {
            if i >= nextClose {
                let top = closes.removeLast()
                if i == top.position { i += top.length }
                nextClose = closes.last?.position ?? Int.max
                continue
            }
            if i >= headingEnd {
                headingEnd = Int.max
                if i < headingLineEnd { i = headingLineEnd }
                continue
            }
            if atLineStart {
                atLineStart = false
                lineStart()
                continue
            }
            let c = s[i]
            switch c {
            case WikiByte.newline:
                out.newline()
                headingEnd = Int.max
                atLineStart = true
                i += 1
            case WikiByte.space, WikiByte.tab, WikiByte.carriageReturn:
                out.space()
                i += 1
            case WikiByte.openBracket:
                openBracket()
            case WikiByte.apostrophe:
                apostrophes()
            case WikiByte.ampersand:
                if let entity = WikiMarkupPasses.decodeEntity(s, at: i) {
                    out.scalar(entity.value)
                    i += entity.length
                } else {
                    out.byte(c)
                    i += 1
                }
            default:
                let limit = min(n, nextClose, headingEnd)
                var j = i + 1
                while j < limit && !WikiByte.endsTextRun(s[j]) { j += 1 }
                out.text(slice(s, i..<j))
                i = j
            }
        }
    }

    /// Skips list markers and rules at the start of a line, and recognizes `== headings ==`.
    mutating func lineStart() {
        let n = s.count
        var j = i
        while j < n && WikiByte.isLineSpace(s[j]) { j += 1 }
        if j < n && s[j] == WikiByte.equals {
            var textStart = j
            while textStart < n && s[textStart] == WikiByte.equals { textStart += 1 }
            var lineEnd = textStart
            while lineEnd < n && s[lineEnd] != WikiByte.newline { lineEnd += 1 }
            var textEnd = lineEnd
            while textEnd > textStart && WikiByte.isLineSpace(s[textEnd - 1]) { textEnd -= 1 }
            let closing = textEnd
            while textEnd > textStart && s[textEnd - 1] == WikiByte.equals { textEnd -= 1 }
            if textEnd < closing {
                headingEnd = textEnd
                headingLineEnd = lineEnd
                i = textStart
                return
            }
            i = j
            return
        }
        while j < n {
            let c = s[j]
            guard c == WikiByte.star || c == WikiByte.hash || c == WikiByte.colon || c == WikiByte.semicolon else {
                break
            }
            j += 1
        }
        if hasPrefix(s, at: j, caseInsensitive: "----") {
            while j < n && s[j] == WikiByte.dash { j += 1 }
        }
        i = j
    }

    /// `[[link]]`, `[external link]` or a plain `[`.
    mutating func openBracket() {
        let n = s.count
        if i + 1 < n && s[i + 1] == WikiByte.openBracket {
            if let close = links.partner(ofOpeningAt: i) {
                internalLink(close: close)
            } else {
                out.text(slice(s, i..<(i + 2)))
                i += 2
            }
            return
        }
        if WikiMarkupPasses.startsURL(s, at: i + 1) {
            let limit = min(n, nextClose)
            var p = max(i + 1, noBracketUntil)
            while p < limit && s[p] != WikiByte.closeBracket && s[p] != WikiByte.newline { p += 1 }
            noBracketUntil = p
            if p < limit && s[p] == WikiByte.closeBracket {
                var label = i + 1
                while label < p && !WikiByte.isLineSpace(s[label]) { label += 1 }
                if label < p {
                    pushClose(p, length: 1)
                    i = label
                } else {
                    i = p + 1
                }
                return
            }
        }
        out.byte(WikiByte.openBracket)
        i += 1
    }

    /// `[[…]]` at `i`, whose `]]` is at `close`.
    mutating func internalLink(close: Int) {
        var target = i + 2
        let leadingColon = target < close && s[target] == WikiByte.colon
        if leadingColon { target += 1 }
        var p = target
        var colon = -1
        var pipe = -1
        while p < close {
            let c = s[p]
            if c == WikiByte.pipe {
                pipe = p
                break
            }
            if c == WikiByte.openBracket && s[p + 1] == WikiByte.openBracket { break }
            if c == WikiByte.colon && colon < 0 { colon = p }
            p += 1
        }
        if !leadingColon && colon >= 0 && WikiMarkupPasses.isDroppedNamespace(s, target, colon) {
            i = close + 2
            return
        }
        if pipe >= 0 {
            var label = pipe + 1
            while label < close && WikiByte.isLineSpace(s[label]) { label += 1 }
            if label == close {
                pipeTrick(target..<pipe)
                i = close + 2
                return
            }
            pushClose(close, length: 2)
            i = pipe + 1
            return
        }
        pushClose(close, length: 2)
        i = target
    }

    /// `[[Namespace:Title (qualifier)|]]` shows as `Title`.
    mutating func pipeTrick(_ target: Range<Int>) {
        var a = target.lowerBound
        var b = target.upperBound
        if let colon = target.first(where: { s[$0] == WikiByte.colon }) { a = colon + 1 }
        for p in a..<b {
            let c = s[p]
            if c == WikiByte.comma || (c == WikiByte.openParen && p > a && s[p - 1] == WikiByte.space) {
                b = p
                break
            }
        }
        while a < b && WikiByte.isLineSpace(s[a]) { a += 1 }
        while b > a && WikiByte.isLineSpace(s[b - 1]) { b -= 1 }
        out.text(slice(s, a..<b))
    }

    /// `''` italic, `'''` bold and `'''''` both go; other runs keep their extra apostrophes.
    mutating func apostrophes() {
        var j = i
        while j < s.count && s[j] == WikiByte.apostrophe { j += 1 }
        let count = j - i
        let kept: Int
        switch count {
        case 1: kept = 1
        case 2, 3, 5: kept = 0
        case 4: kept = 1
        default: kept = count - 5
        }
        for _ in 0..<kept { out.byte(WikiByte.apostrophe) }
        i = j
    }
}

// MARK: - Entities

/// The 252 named character references of HTML 4, and `apos`.
private let htmlEntities: [String: UInt32] = [
    "AElig": 0xC6, "Aacute": 0xC1, "Acirc": 0xC2, "Agrave": 0xC0, "Alpha": 0x391, "Aring": 0xC5,
    "Atilde": 0xC3, "Auml": 0xC4, "Beta": 0x392, "Ccedil": 0xC7, "Chi": 0x3A7, "Dagger": 0x2021,
    "Delta": 0x394, "ETH": 0xD0, "Eacute": 0xC9, "Ecirc": 0xCA, "Egrave": 0xC8, "Epsilon": 0x395,
    "Eta": 0x397, "Euml": 0xCB, "Gamma": 0x393, "Iacute": 0xCD, "Icirc": 0xCE, "Igrave": 0xCC,
    "Iota": 0x399, "Iuml": 0xCF, "Kappa": 0x39A, "Lambda": 0x39B, "Mu": 0x39C, "Ntilde": 0xD1,
    "Nu": 0x39D, "OElig": 0x152, "Oacute": 0xD3, "Ocirc": 0xD4, "Ograve": 0xD2, "Omega": 0x3A9,
    "Omicron": 0x39F, "Oslash": 0xD8, "Otilde": 0xD5, "Ouml": 0xD6, "Phi": 0x3A6, "Pi": 0x3A0,
    "Prime": 0x2033, "Psi": 0x3A8, "Rho": 0x3A1, "Scaron": 0x160, "Sigma": 0x3A3, "THORN": 0xDE,
    "Tau": 0x3A4, "Theta": 0x398, "Uacute": 0xDA, "Ucirc": 0xDB, "Ugrave": 0xD9, "Upsilon": 0x3A5,
    "Uuml": 0xDC, "Xi": 0x39E, "Yacute": 0xDD, "Yuml": 0x178, "Zeta": 0x396, "aacute": 0xE1,
    "acirc": 0xE2, "acute": 0xB4, "aelig": 0xE6, "agrave": 0xE0, "alefsym": 0x2135, "alpha": 0x3B1,
    "amp": 0x26, "and": 0x2227, "ang": 0x2220, "aring": 0xE5, "asymp": 0x2248, "atilde": 0xE3,
    "auml": 0xE4, "bdquo": 0x201E, "beta": 0x3B2, "brvbar": 0xA6, "bull": 0x2022, "cap": 0x2229,
    "ccedil": 0xE7, "cedil": 0xB8, "cent": 0xA2, "chi": 0x3C7, "circ": 0x2C6, "clubs": 0x2663,
    "cong": 0x2245, "copy": 0xA9, "crarr": 0x21B5, "cup": 0x222A, "curren": 0xA4, "dArr": 0x21D3,
    "dagger": 0x2020, "darr": 0x2193, "deg": 0xB0, "delta": 0x3B4, "diams": 0x2666, "divide": 0xF7,
    "eacute": 0xE9, "ecirc": 0xEA, "egrave": 0xE8, "empty": 0x2205, "emsp": 0x2003, "ensp": 0x2002,
    "epsilon": 0x3B5, "equiv": 0x2261, "eta": 0x3B7, "eth": 0xF0, "euml": 0xEB, "euro": 0x20AC,
    "exist": 0x2203, "fnof": 0x192, "forall": 0x2200, "frac12": 0xBD, "frac14": 0xBC, "frac34": 0xBE,
    "frasl": 0x2044, "gamma": 0x3B3, "ge": 0x2265, "gt": 0x3E, "hArr": 0x21D4, "harr": 0x2194,
    "hearts": 0x2665, "hellip": 0x2026, "iacute": 0xED, "icirc": 0xEE, "iexcl": 0xA1, "igrave": 0xEC,
    "image": 0x2111, "infin": 0x221E, "int": 0x222B, "iota": 0x3B9, "iquest": 0xBF, "isin": 0x2208,
    "iuml": 0xEF, "kappa": 0x3BA, "lArr": 0x21D0, "lambda": 0x3BB, "lang": 0x2329, "laquo": 0xAB,
    "larr": 0x2190, "lceil": 0x2308, "ldquo": 0x201C, "le": 0x2264, "lfloor": 0x230A, "lowast": 0x2217,
    "loz": 0x25CA, "lrm": 0x200E, "lsaquo": 0x2039, "lsquo": 0x2018, "lt": 0x3C, "macr": 0xAF,
    "mdash": 0x2014, "micro": 0xB5, "middot": 0xB7, "minus": 0x2212, "mu": 0x3BC, "nabla": 0x2207,
    "nbsp": 0xA0, "ndash": 0x2013, "ne": 0x2260, "ni": 0x220B, "not": 0xAC, "notin": 0x2209,
    "nsub": 0x2284, "ntilde": 0xF1, "nu": 0x3BD, "oacute": 0xF3, "ocirc": 0xF4, "oelig": 0x153,
    "ograve": 0xF2, "oline": 0x203E, "omega": 0x3C9, "omicron": 0x3BF, "oplus": 0x2295, "or": 0x2228,
    "ordf": 0xAA, "ordm": 0xBA, "oslash": 0xF8, "otilde": 0xF5, "otimes": 0x2297, "ouml": 0xF6,
    "para": 0xB6, "part": 0x2202, "permil": 0x2030, "perp": 0x22A5, "phi": 0x3C6, "pi": 0x3C0,
    "piv": 0x3D6, "plusmn": 0xB1, "pound": 0xA3, "prime": 0x2032, "prod": 0x220F, "prop": 0x221D,
    "psi": 0x3C8, "quot": 0x22, "rArr": 0x21D2, "radic": 0x221A, "rang": 0x232A, "raquo": 0xBB,
    "rarr": 0x2192, "rceil": 0x2309, "rdquo": 0x201D, "real": 0x211C, "reg": 0xAE, "rfloor": 0x230B,
    "rho": 0x3C1, "rlm": 0x200F, "rsaquo": 0x203A, "rsquo": 0x2019, "sbquo": 0x201A, "scaron": 0x161,
    "sdot": 0x22C5, "sect": 0xA7, "shy": 0xAD, "sigma": 0x3C3, "sigmaf": 0x3C2, "sim": 0x223C,
    "spades": 0x2660, "sub": 0x2282, "sube": 0x2286, "sum": 0x2211, "sup": 0x2283, "sup1": 0xB9,
    "sup2": 0xB2, "sup3": 0xB3, "supe": 0x2287, "szlig": 0xDF, "tau": 0x3C4, "there4": 0x2234,
    "theta": 0x3B8, "thetasym": 0x3D1, "thinsp": 0x2009, "thorn": 0xFE, "tilde": 0x2DC, "times": 0xD7,
    "trade": 0x2122, "uArr": 0x21D1, "uacute": 0xFA, "uarr": 0x2191, "ucirc": 0xFB, "ugrave": 0xF9,
    "uml": 0xA8, "upsih": 0x3D2, "upsilon": 0x3C5, "uuml": 0xFC, "weierp": 0x2118, "xi": 0x3BE,
    "yacute": 0xFD, "yen": 0xA5, "yuml": 0xFF, "zeta": 0x3B6, "zwj": 0x200D, "zwnj": 0x200C,
    "apos": 0x27,
]
