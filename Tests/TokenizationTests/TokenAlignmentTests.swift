import Testing
import Tokenization

/// `TokenAlignment.scalarOffsets`: tokens found in their line, counted in Unicode scalars.
@Suite struct TokenAlignmentTests {
    @Test func offsetsCountUnicodeScalars() {
        // 😀 is one scalar (two UTF-16 units); the offsets are Python's str indexes.
        #expect(TokenAlignment.scalarOffsets(of: ["😀", "Zoë", "saw", "."], in: "😀 Zoë  saw.") == [0..<1, 2..<5, 7..<10, 10..<11])
    }

    @Test func aComposedTokenFindsItsDecomposedSpelling() {
        // The tokenizer writes NFC (ë); the line holds e + U+0308, two scalars.
        #expect(TokenAlignment.scalarOffsets(of: ["Zoë", "Čapek"], in: "Zoe\u{308} Čapek") == [0..<4, 5..<10])
    }

    @Test func aTokenNotInTheLineGetsNilAndDoesNotMoveTheSearch() {
        #expect(TokenAlignment.scalarOffsets(of: ["a", "<num>", "b", "a"], in: "a 12 b a") == [0..<1, nil, 5..<6, 7..<8])
        #expect(TokenAlignment.scalarOffsets(of: [], in: "text") == [])
        #expect(TokenAlignment.scalarOffsets(of: ["x"], in: "") == [nil])
    }
}

extension TokenAlignmentTests {
    /// Text below U+0300 takes a byte path; it must agree with the character path.
    @Test func theBytePathAgreesWithTheCharacterPath() {
        let text = "Zoë  saw café, naïve 12 x"
        let tokens = ["Zoë", "saw", "café", ",", "<num>", "naïve", "x"]
        #expect(TokenAlignment.scalarOffsets(of: tokens, in: text) == [0..<3, 5..<8, 9..<13, 13..<14, nil, 15..<20, 24..<25])
        // The same text with a character above U+0300 at its end goes the character path.
        #expect(TokenAlignment.scalarOffsets(of: tokens + ["😀"], in: text + " 😀") == [0..<3, 5..<8, 9..<13, 13..<14, nil, 15..<20, 24..<25, 26..<27])
    }
}
