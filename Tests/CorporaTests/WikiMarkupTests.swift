import Corpora
import Foundation
import Testing

/// Rules of `WikiMarkupStripper`, one table per rule, then real pages and pathological input.
@Suite struct WikiMarkupTests {
    let stripper = WikiMarkupStripper()

    // MARK: Dropped constructs

    @Test(arguments: [
        ("a {{b}} c", "a c"),
        ("a {{b|{{c|d}}|e}} f", "a f"),
        ("{{a|{{b|{{c|{{d}}}}}}}}x", "x"),
        ("{{Infobox country\n| name = X\n| capital = [[Y]]\n| pop = {{formatnum:12}}\n}}\nText", "Text"),
        ("x{{a}}{{b}}y", "xy"),
        ("a {{{1|default}}} b", "a b"),
        ("{{lang|fr|''le mot''}} word", "word"),
    ])
    func templatesAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a\n{| class=\"wikitable\"\n! H1 !! H2\n|-\n| c || d\n|}\nb", "a\nb"),
        ("{|\n| outer\n{|\n| inner\n|}\n|}\nafter", "after"),
        ("{|\n| {{flag|X}} || [[Y]]\n|}\nok", "ok"),
        ("before {| inline |} after", "before after"),
    ])
    func tablesAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a<ref>b</ref> c", "a c"),
        ("a<ref name=\"x\">{{cite web|url=http://x.y}}</ref>.", "a."),
        ("a<ref name=\"x\" />.", "a."),
        ("a<ref name=x/>.", "a."),
        ("a<REF group=n>[[b]]</REF >.", "a."),
        ("a<ref>multi\nline\n</ref>\nb", "a\nb"),
        ("x\n<references />\ny", "x\ny"),
        ("x<references>\n<ref name=a>b</ref>\n</references>y", "xy"),
    ])
    func referencesAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a<!-- b -->c", "ac"),
        ("a <!-- [[x]] {{y}} <ref> --> b", "a b"),
        ("a<!--\nmulti\nline\n-->\nb", "a\nb"),
        ("{{a <!-- }} --> b}}c", "c"),
    ])
    func commentsAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a <math>x^2 < y</math> b", "a b"),
        ("<gallery>\nFile:a.jpg|Caption [[b]]\n</gallery>\nText", "Text"),
        ("<timeline>\nImageSize = width:100\n</timeline>\nText", "Text"),
        ("a <syntaxhighlight lang=c>int x;</syntaxhighlight> b", "a b"),
    ])
    func extensionTagsAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("<nowiki>[[x]]</nowiki>", "[[x]]"),
        ("<nowiki>''a'' {{t}} __TOC__</nowiki>", "''a'' {{t}} __TOC__"),
        ("<nowiki>&amp;</nowiki>", "&"),
        ("a<nowiki/>b", "ab"),
        ("<nowiki>* not a list</nowiki>", "* not a list"),
        ("<nowiki>; not a term</nowiki>", "; not a term"),
        ("<pre>[[kept]]</pre>", "[[kept]]"),
    ])
    func nowikiKeepsItsContent(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("<small>x</small>", "x"),
        ("a<br/>b", "a b"),
        ("a<br>b", "a b"),
        ("a<BR />b", "a b"),
        ("<span style=\"color:red\">red</span> text", "red text"),
        ("<div class=x>a</div><div>b</div>", "a b"),
        ("H<sub>2</sub>O", "H2O"),
        ("a < b and c > d", "a < b and c > d"),
        ("x<3", "x<3"),
    ])
    func otherTagsKeepTheirContent(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("__TOC__\nText", "Text"),
        ("a __NOTOC__ b", "a b"),
        ("__FORCETOC__", ""),
        ("snake_case __ not_magic__", "snake_case __ not_magic__"),
    ])
    func magicWordsAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    // MARK: Links

    @Test(arguments: [
        ("[[target]]", "target"),
        ("[[target|label]]", "label"),
        ("[[target]]s", "targets"),
        ("[[a|b]]ing x", "bing x"),
        ("[[a|b|c]]", "b|c"),
        ("[[a|''b'']]", "b"),
        ("[[Foo (bar)|]]", "Foo"),
        ("[[Help:Contents|]]", "Contents"),
        ("[[:Category:Foo]]", "Category:Foo"),
        ("[[:fr:Paris]]", "fr:Paris"),
        ("[[Help:Contents|help]]", "help"),
        ("[[Star Wars: A New Hope]]", "Star Wars: A New Hope"),
        ("[[a]] and [[b|c]].", "a and c."),
        ("'''Paris''' is the [[capital city|capital]] of [[France]].{{cn}}", "Paris is the capital of France."),
    ])
    func linksKeepTheirLabel(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("x [[File:a.jpg|thumb|A [[b]] and [[c|d]].]] y", "x y"),
        ("x [[Image:a.png]] y", "x y"),
        ("[[file : a.png|left]]z", "z"),
        ("a\n[[Category:Foo]]\n[[Category:Bar|sort]]", "a"),
        ("a [[fr:Foo]] [[zh-yue:Foo]] [[simple:Foo]]", "a"),
        ("[[Файл:Foo.jpg|мини|Текст [[връзка]]]]x", "x"),
        ("[[Категория:Календари]]x", "x"),
        ("[[Datei:x.png|Bild]]x", "x"),
        ("[[Fichier:x.png]]x", "x"),
        ("[[Kategorie:x]]y", "y"),
        ("[[Catégorie:x]]y", "y"),
        ("[[Картинка:x.png]]y", "y"),
    ])
    func mediaCategoryAndLanguageLinksAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("[http://x.y label]", "label"),
        ("[http://x.y]", ""),
        ("see [http://x.y] here", "see here"),
        ("[https://x.y/a?b=c some ''label'']", "some label"),
        ("[//x.y protocol relative]", "protocol relative"),
        ("[mailto:a@b.c write]", "write"),
        ("[not a link]", "[not a link]"),
        ("bare http://x.y stays", "bare http://x.y stays"),
    ])
    func externalLinksKeepTheirLabel(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    // MARK: Lines and formatting

    @Test(arguments: [
        ("== Title ==", "Title"),
        ("a\n===Sub===\nb", "a\nSub\nb"),
        ("==Germany== \ntext", "Germany\ntext"),
        ("== [[Link|Title]] ==", "Title"),
        ("== ''Italic'' heading ==", "Italic heading"),
        ("= not a heading", "= not a heading"),
        ("a = b", "a = b"),
    ])
    func headingsKeepTheirText(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("'''bold'''", "bold"),
        ("''italic''", "italic"),
        ("'''''both'''''", "both"),
        ("l'''b'''", "lb"),
        ("O'Neil", "O'Neil"),
        ("''''x''''", "'x'"),
    ])
    func quotesAreRemoved(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("* a\n* b", "a\nb"),
        ("# a\n## b", "a\nb"),
        (": indented", "indented"),
        ("; term : definition", "term : definition"),
        ("*[[x]]", "x"),
        ("a * b # c", "a * b # c"),
    ])
    func listMarkersAreRemoved(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a\n----\nb", "a\nb"),
        ("----- x", "x"),
        ("a -- b", "a -- b"),
    ])
    func horizontalRulesAreDropped(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("AT&amp;T", "AT&T"),
        ("a&nbsp;b", "a b"),
        ("&lt;b&gt;", "<b>"),
        ("&quot;q&quot;", "\"q\""),
        ("&#123;", "{"),
        ("&#x41;&#X42;", "AB"),
        ("a&#x1F;b", "a b"),
        ("1&ndash;2&mdash;3", "1\u{2013}2\u{2014}3"),
        ("&eacute;&Omega;&hellip;", "é\u{3A9}\u{2026}"),
        ("&#x1F600;", "\u{1F600}"),
        ("&#xD800;&#99999999;", "\u{FFFD}\u{FFFD}"),
        ("&bogus; & AT&T &#;", "&bogus; & AT&T &#;"),
        ("&amp;lt;", "&lt;"),
    ])
    func entitiesAreDecoded(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    @Test(arguments: [
        ("a\n\n\nb", "a\nb"),
        ("  a   b  ", "a b"),
        ("a\t\tb\r\n", "a b"),
        ("", ""),
        ("{{only a template}}", ""),
        ("Grüße, 東京 — ok", "Grüße, 東京 — ok"),
    ])
    func whitespaceIsNormalized(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    // MARK: Unbalanced markup

    @Test(arguments: [
        ("a {{b", "a {{b"),
        ("a }} b", "a }} b"),
        ("a [[b", "a [[b"),
        ("a ]] b", "a ]] b"),
        ("a [[b|c", "a [[b|c"),
        ("[[a]] {{", "a {{"),
        ("a <ref>b", "a b"),
        ("a <!-- b", "a"),
        ("[http://x.y label", "[http://x.y label"),
        ("{{a}} {{b", "{{b"),
        ("a {{b {{c}} d", "a {{b d"),
        ("[[a [[b]] c", "[[a b c"),
    ])
    func unbalancedMarkupIsText(input: String, expected: String) {
        #expect(stripper.plainText(input) == expected)
    }

    /// Megabytes of each pattern; every pass is linear, so each case runs in well under a second
    /// in release builds (the test asserts only that it finishes and stays bounded).
    @Test(arguments: [
        "{{", "}}", "{|", "[[", "]]", "[[a|", "[http://a ", "<ref>", "<!--", "<a ", "'''", "&#", "==\n",
        "__A", "{{[[<ref>|",
    ])
    func pathologicalInputFinishes(pattern: String) {
        let repeats = 5_000_000 / pattern.utf8.count
        let input = String(repeating: pattern, count: repeats)
        let text = stripper.plainText(input)
        #expect(text.utf8.count <= input.utf8.count)
    }

    @Test func deeplyNestedBalancedMarkupFinishes() {
        let depth = 1_000_000
        let links = String(repeating: "[[", count: depth) + "x" + String(repeating: "]]", count: depth)
        #expect(stripper.plainText(links) == "x")
        let templates = "a" + String(repeating: "{{", count: depth) + String(repeating: "}}", count: depth) + "b"
        #expect(stripper.plainText(templates) == "ab")
        let files = String(repeating: "[[File:x|", count: 200_000) + String(repeating: "]]", count: 200_000) + "y"
        #expect(stripper.plainText(files) == "y")
    }

    /// Random mixes of markup fragments: nothing may trap or hang.
    @Test func randomMarkupNeverTraps() {
        let fragments = [
            "{{", "}}", "{|", "|}", "[[", "]]", "[", "]", "|", "<ref>", "</ref>", "<ref name=a/>", "<!--", "-->",
            "'''", "''", "==", "\n", "*", "&amp;", "&#", ";", "a", " ", "File:", "fr:", "http://x", "<nowiki>",
            "</nowiki>", "<br>", "__TOC__", "é", "東",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<3000 {
            var input = ""
            for _ in 0..<next(60) { input += fragments[next(fragments.count)] }
            let text = stripper.plainText(input)
            #expect(!text.hasPrefix("\n") && !text.hasSuffix("\n") && !text.contains("\n\n"))
        }
    }

    // MARK: Real pages

    /// A page of a MediaWiki XML dump in `shared/data`, beside the package.
    struct Sample: Sendable, CustomTestStringConvertible {
        var file: String
        var title: String
        var words: [String]
        var testDescription: String { title }
    }

    static let samples = [
        Sample(
            file: "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml", title: "Anarchism",
            words: ["political philosophy", "Proudhon", "Kropotkin", "Etymology and terminology"]),
        Sample(
            file: "enwiki-table-markup.xml", title: "Economy of Estonia",
            words: ["flat tax", "Tartu", "eurozone"]),
        Sample(
            file: "enwiki-table-markup.xml", title: "Academy Award for Best Production Design",
            words: ["set decorator", "Best Art Direction"]),
        Sample(
            file: "bgwiki-latest-pages-articles-shortened.xml", title: "Григориански календар",
            words: ["Григорианският календар", "Юлиански календар"]),
    ]

    static let dataDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/data/corpora/xml/mediawiki").standardizedFileURL

    static let samplesAvailable = samples.allSatisfy {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent($0.file).path)
    }

    static let skipMessage: Comment =
        "MediaWiki samples not found beside the package (../shared/data/corpora/xml/mediawiki)"

    /// The dump's bytes in UTF-8, transcoded when it is UTF-16 (with a byte-order mark).
    static func dump(_ file: String) throws -> [UInt8] {
        let data = try Data(contentsOf: dataDirectory.appendingPathComponent(file))
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) {
            return Array(try #require(String(data: data, encoding: .utf16)).utf8)
        }
        return Array(data)
    }

    /// The first position of `needle` in `bytes` at or after `from`.
    static func find(_ needle: String, in bytes: [UInt8], from: Int) -> Int? {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var i = from
        while i <= bytes.count - pattern.count {
            if bytes[i] == first && bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    /// `&lt;`, `&gt;`, `&quot;` and `&amp;` undone, as libxml2 does when it reads the dump.
    static func unescapeXML(_ bytes: ArraySlice<UInt8>) -> String {
        let entities: [(String, UInt8)] = [("&lt;", 0x3C), ("&gt;", 0x3E), ("&quot;", 0x22), ("&amp;", 0x26)]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        outer: while i < bytes.endIndex {
            if bytes[i] == 0x26 {
                for (name, byte) in entities where bytes[i...].starts(with: name.utf8) {
                    out.append(byte)
                    i += name.utf8.count
                    continue outer
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The `(title, wikitext)` of every page of a dump.
    static func pages(_ xml: [UInt8]) -> [(title: String, text: String)] {
        var pages: [(String, String)] = []
        var at = 0
        while let titleOpen = find("<title>", in: xml, from: at),
            let titleClose = find("</title>", in: xml, from: titleOpen),
            let textOpen = find("<text", in: xml, from: titleClose),
            let textStart = xml[textOpen...].firstIndex(of: UInt8(ascii: ">")),
            let textClose = find("</text>", in: xml, from: textStart)
        {
            let title = unescapeXML(xml[(titleOpen + 7)..<titleClose])
            let body = unescapeXML(xml[(textStart + 1)..<textClose])
            pages.append((title, body))
            at = textClose
        }
        return pages
    }

    static let leftoverMarkup = ["{{", "}}", "[[", "]]", "{|", "<ref"]

    @Test(.enabled(if: samplesAvailable, skipMessage), arguments: samples)
    func realPageKeepsItsProse(sample: Sample) throws {
        let page = try #require(Self.pages(try Self.dump(sample.file)).first { $0.title == sample.title })
        let text = stripper.plainText(page.text)
        for markup in Self.leftoverMarkup {
            #expect(!text.contains(markup), "\(markup) left in \(sample.title)")
        }
        for word in sample.words {
            #expect(text.contains(word), "\(word) missing from \(sample.title)")
        }
        #expect(!text.contains("thumb|") && !text.contains("Category:") && !text.contains("Категория:"))
    }

    @Test(.enabled(if: samplesAvailable, skipMessage))
    func everyEnglishSamplePageIsFreeOfMarkup() throws {
        var count = 0
        for file in ["enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.xml", "enwiki-table-markup.xml"]
        {
            for page in Self.pages(try Self.dump(file)) {
                let text = stripper.plainText(page.text)
                for markup in Self.leftoverMarkup {
                    #expect(!text.contains(markup), "\(markup) left in \(page.title)")
                }
                count += 1
            }
        }
        #expect(count > 200)
    }
}
