import Testing
import Tokenization

/// The Moses detokenizer's rules, on Moses-tokenized text as Multi30k holds it.
@Suite("Detokenizer")
struct DetokenizerTests {
    static func text(_ tokens: String, _ language: String) -> String {
        Detokenizer(language: language).detokenize(tokens.split(separator: " ").map(String.init))
    }

    @Test func english() {
        #expect(Self.text("a boy wearing headphones sits on a woman &apos;s shoulders .", "en")
                == "a boy wearing headphones sits on a woman's shoulders.")
        #expect(Self.text("he said &quot; I do n&apos;t know &quot; , then left .", "en") == "he said \"I do n't know\", then left.")
        #expect(Self.text("I don &apos;t know", "en") == "I don't know")
        #expect(Self.text("the dogs &apos; toys ( and $ 5 , or 50 % ) !", "en") == "the dogs' toys (and $5, or 50%)!")
        #expect(Self.text("a well @-@ known &quot; a &quot; and &quot; b &quot; .", "en") == "a well-known \"a\" and \"b\".")
        #expect(Self.text("AT &amp; T &amp;lt; 3 &#91; sic &#93;", "en") == "AT & T &lt; 3 [sic]")
        #expect(Self.text("", "en") == "")
        #expect(Self.text(". starts", "en") == ". starts")
    }

    @Test func frenchGermanAndOthers() {
        #expect(Self.text("l&apos; homme est là !", "fr") == "l'homme est là !")
        #expect(Self.text("il dit « bonjour » ; puis part .", "fr") == "il dit « bonjour » ; puis part.")
        #expect(Self.text("qu&apos; il vienne , c&apos; est tout", "fr") == "qu'il vienne, c'est tout")
        #expect(Self.text("ein Mann &apos;s Hut", "de") == "ein Mann 's Hut")
        #expect(Self.text("ein Mann ( mit Hut ) .", "de") == "ein Mann (mit Hut).")
        #expect(Self.text("¿ qué ?", "es") == "¿qué?")
    }
}
