import Foundation

/// Joins tokens back into the text a reader sees, with the rules of Moses'
/// `detokenizer.perl` (the inverse of the Moses tokenizer that most translation corpora,
/// Multi30k among them, were tokenized with):
///
/// - Moses' escapes are undone (`&apos;` → `'`, `&quot;` → `"`, `&amp;` → `&`, `&lt;`, `&gt;`,
///   `&#91;`/`&bra;` → `[`, `&#93;`/`&ket;` → `]`, `&bar;`/`&#124;` → `|`) and its aggressive
///   hyphen `@-@` joins its neighbours;
/// - closing punctuation (`, . ? ! : ; % ) ] }` and runs of them) attaches to the token before;
///   in French, `? ! : ; %` keep a space before them, as French typography writes them;
/// - currency signs and opening brackets (`$ £ € ( [ { ¿ ¡`) attach to the token after;
/// - in English, a token starting with an apostrophe and a letter (`'s`, `'t`, `'re`) attaches
///   to a word before it; in French and Italian, a word ending in an apostrophe (`l'`, `qu'`)
///   attaches to the word after;
/// - straight and typographic quotes alternate: an opening one attaches to the token after,
///   a closing one to the token before; in English a lone `'` after a word ending in `s` is a
///   possessive and attaches to it.
public struct Detokenizer: Sendable {
    /// Languages with rules of their own; any other code gets the shared rules.
    public static let languages = ["en", "fr", "it", "de"]

    /// The ISO 639-1 code of the text (`en`, `fr`, `de`, …).
    public let language: String

    public init(language: String) {
        self.language = language.lowercased()
    }

    static let escapes: [(String, String)] = [
        ("&bar;", "|"), ("&#124;", "|"), ("&lt;", "<"), ("&gt;", ">"), ("&bra;", "["), ("&ket;", "]"),
        ("&#91;", "["), ("&#93;", "]"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&"),
    ]

    /// The token with Moses' escapes undone (`&amp;` last, so that `&amp;lt;` stays `&lt;`).
    static func unescape(_ token: String) -> String {
        guard token.contains("&") else { return token }
        var text = token
        for (escaped, plain) in escapes { text = text.replacingOccurrences(of: escaped, with: plain) }
        return text
    }

    static func all(_ token: String, in set: Set<Character>) -> Bool { !token.isEmpty && token.allSatisfy(set.contains) }
    static let closing: Set<Character> = [",", ".", "?", "!", ":", ";", "%", ")", "]", "}", "…"]
    static let frenchSpaced: Set<Character> = ["?", "!", ":", ";", "%"]
    static let opening: Set<Character> = ["(", "[", "{", "¿", "¡"]
    static let quotes: Set<Character> = ["'", "\"", "„", "“", "”", "`", "‘", "’", "«", "»"]

    /// The text of `tokens`, spaced as Moses' detokenizer spaces it.
    public func detokenize(_ tokens: [String]) -> String {
        let words = tokens.map(Self.unescape).filter { !$0.isEmpty }
        var text = "", prepend = ""
        var quoteCount: [String: Int] = [:]
        for (i, word) in words.enumerated() {
            let previous = i > 0 ? words[i - 1] : "", next = i + 1 < words.count ? words[i + 1] : ""
            if word == "@-@" || word == "@/@" {
                // Moses' aggressive hyphen (and slash) splitting: join both sides.
                text += String(word.dropFirst().dropLast())
                prepend = ""
            } else if Self.all(word, in: Self.opening) || word.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .currencySymbol }) {
                text += prepend + word
                prepend = ""
            } else if Self.all(word, in: Self.closing) {
                if language == "fr" && word.count == 1 && Self.frenchSpaced.contains(word.first!) && i > 0 {
                    text += " " + word
                } else {
                    text += word
                }
                prepend = " "
            } else if language == "en" && i > 0 && word.first == "'" && word.dropFirst().first?.isLetter == true
                        && previous.last.map({ $0.isLetter || $0.isNumber }) == true {
                text += word
                prepend = " "
            } else if (language == "fr" || language == "it") && word.count > 1 && word.last == "'"
                        && word.dropLast().last?.isLetter == true && next.first?.isLetter == true {
                text += prepend + word
                prepend = ""
            } else if Self.all(word, in: Self.quotes) {
                let normal = word == "``" || word == "''" ? "\"" : word
                if language == "en" && normal == "'" && i > 0 && previous.last == "s" {
                    // The possessive of a plural ("the dogs ' toys").
                    text += word
                    prepend = " "
                } else if ["«", "“", "„", "‘"].contains(normal) || (["»", "”", "’"].contains(normal) == false && quoteCount[normal, default: 0] % 2 == 0) {
                    // An opening quote: attach to what follows.
                    if ["»", "”", "’"].contains(normal) == false { quoteCount[normal, default: 0] += 1 }
                    text += prepend + word
                    prepend = language == "fr" && normal == "«" ? " " : ""
                } else {
                    // A closing quote: attach to what precedes.
                    if ["»", "”", "’"].contains(normal) == false { quoteCount[normal, default: 0] += 1 }
                    text += (language == "fr" && normal == "»" ? " " : "") + word
                    prepend = " "
                }
            } else {
                text += prepend + word
                prepend = " "
            }
        }
        return text
    }
}
