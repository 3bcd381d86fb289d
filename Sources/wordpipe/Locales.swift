import ArgumentParser
import Tokenization

/// `wordpipe locales`: the locales ICU has data for, one BCP 47 tag per line.
struct LocalesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locales",
        abstract: "List the locales ICU has data for (BCP 47 tags for --locale and the pipeline's locale setting).",
        discussion: """
        A locale's language must be one of these; a region or script ICU has no data for falls \
        back to the language (de-AT reads as de where ICU has nothing for Austria). With --abbreviations \
        (the default), no sentence ends after the locale's known abbreviations; --show-abbreviations \
        shows which locales have WordPipe's own additions to ICU's lists.
        """)

    @Flag(help: "Also list WordPipe's own abbreviations, by language.")
    var showAbbreviations = false

    func run() throws {
        for tag in Locales.available { emit(tag) }
        if showAbbreviations {
            for (language, words) in Abbreviations.more.sorted(by: { $0.key < $1.key }) {
                emit("# \(language): \(words.joined(separator: " "))")
            }
        }
    }
}
