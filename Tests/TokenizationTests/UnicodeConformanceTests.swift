import Foundation
import TestSupport
@testable import Tokenization

/// Unicode 15.0 conformance (the files shipped with ICU 72's Unicode version): every boundary
/// of every line of WordBreakTest and SentenceBreakTest, through our BreakIterator, and the
/// NFC and NFKC columns of NormalizationTest, through our Normalizer.
@Suite struct UnicodeConformanceTests {
    /// One line of a break test: the text as UTF-16 and the expected boundary offsets.
    struct BreakCase {
        var line: Int
        var units: [UInt16]
        var boundaries: [Int]
    }

    static func breakCases(_ name: String) throws -> [BreakCase] {
        guard let path = SharedData.unicodeFile(name) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var cases: [BreakCase] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let body = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard !fields.isEmpty else { continue }
            var units: [UInt16] = []
            var boundaries: [Int] = []
            for field in fields {
                if field == "÷" {
                    boundaries.append(units.count)
                } else if field == "×" {
                    continue
                } else if let value = UInt32(field, radix: 16), let scalar = Unicode.Scalar(value) {
                    units.append(contentsOf: Character(scalar).utf16)
                }
            }
            cases.append(BreakCase(line: index + 1, units: units, boundaries: boundaries))
        }
        return cases
    }

    func check(_ name: String, kind: BreakIterator.Kind) throws {
        let cases = try Self.breakCases(name)
        #expect(cases.count > 500, "\(name) parsed into too few cases")
        let iterator = try BreakIterator(kind)
        var failures: [String] = []
        for testCase in cases {
            let got = try iterator.boundaries(utf16: testCase.units)
            if got != testCase.boundaries {
                failures.append("\(name):\(testCase.line): expected \(testCase.boundaries), got \(got)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) lines differ; first: \(failures.prefix(5))")
    }

    @Test(.enabled(if: SharedData.unicodeFile("WordBreakTest.txt") != nil, "needs WordBreakTest.txt (../shared/data/unicode or unicode-data)"))
    func wordBreakTest() throws {
        try check("WordBreakTest.txt", kind: .word)
    }

    @Test(.enabled(if: SharedData.unicodeFile("SentenceBreakTest.txt") != nil, "needs SentenceBreakTest.txt (../shared/data/unicode or unicode-data)"))
    func sentenceBreakTest() throws {
        try check("SentenceBreakTest.txt", kind: .sentence)
    }

    @Test(.enabled(if: SharedData.unicodeFile("NormalizationTest.txt") != nil, "needs NormalizationTest.txt (../shared/data/unicode or unicode-data)"))
    func normalizationTest() throws {
        guard let path = SharedData.unicodeFile("NormalizationTest.txt") else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        func decode(_ field: Substring) -> String {
            var result = ""
            for hex in field.split(separator: " ") {
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) { result.unicodeScalars.append(scalar) }
            }
            return result
        }
        var checked = 0
        var failures: [String] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            guard let first = line.first, first != "#", first != "@" else { continue }
            let columns = line.split(separator: ";", omittingEmptySubsequences: false).prefix(5).map(decode)
            guard columns.count == 5 else { continue }
            let (c1, c2, c3, c4, c5) = (columns[0], columns[1], columns[2], columns[3], columns[4])
            let nfc = try [c1, c2, c3, c4, c5].map { try Normalizer.normalize($0, form: .nfc) }
            let nfkc = try [c1, c2, c3, c4, c5].map { try Normalizer.normalize($0, form: .nfkc) }
            // Compare scalars, not Characters: String equality is canonical equivalence.
            let ok = nfc[0].unicodeScalars.elementsEqual(c2.unicodeScalars)
                && nfc[1].unicodeScalars.elementsEqual(c2.unicodeScalars)
                && nfc[2].unicodeScalars.elementsEqual(c2.unicodeScalars)
                && nfc[3].unicodeScalars.elementsEqual(c4.unicodeScalars)
                && nfc[4].unicodeScalars.elementsEqual(c4.unicodeScalars)
                && nfkc.allSatisfy { $0.unicodeScalars.elementsEqual(c4.unicodeScalars) }
            if !ok { failures.append("NormalizationTest.txt:\(index + 1)") }
            checked += 1
        }
        #expect(checked > 15_000)
        #expect(failures.isEmpty, "\(failures.count) lines fail; first: \(failures.prefix(5))")
    }
}
