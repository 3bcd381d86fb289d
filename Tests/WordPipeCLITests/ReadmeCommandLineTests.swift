import ArgumentParser
import Foundation
import Testing
@testable import wordpipe

/// Every `wordpipe …` command line README.md shows (in code blocks and inline code) is checked
/// against the real argument parser, so the documentation cannot drift from the binary (issue
/// 19, item 8: the README listed `--cell rnn`, which the CLI rejects).
@Suite struct ReadmeCommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A command line as the README shows it, and where.
    struct Shown: CustomStringConvertible {
        var line: Int
        var text: String
        var description: String { "README.md:\(line): \(text)" }
    }

    // MARK: Extraction

    /// The command lines of `markdown`: in fenced code blocks (other than yaml and swift), a line
    /// starting with `wordpipe ` or `$ wordpipe ` and its indented continuation lines; outside
    /// them, inline code starting with `wordpipe ` (or holding `| wordpipe `). Comments (`# …`)
    /// are dropped; messages quoted in code (`wordpipe tokenize: error: …`) are not commands.
    static func commandLines(in markdown: String) -> [Shown] {
        var result: [Shown] = []
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fence: String?
        var current: Shown?
        var prose: [(line: Int, text: String)] = []
        func flush() {
            if let command = current { result.append(command) }
            current = nil
        }
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.hasPrefix("```") {
                if fence == nil {
                    fence = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                } else {
                    flush()
                    fence = nil
                }
                continue
            }
            guard let language = fence else {
                prose.append((number, line))
                continue
            }
            guard language != "yaml", language != "swift" else { continue }
            var text = line
            if text.hasPrefix("$ ") { text.removeFirst(2) }
            if let hash = text.range(of: " # ") ?? text.range(of: "  #") { text = String(text[..<hash.lowerBound]) }
            while text.last == " " { text.removeLast() }
            if text.hasPrefix("wordpipe ") {
                flush()
                current = Shown(line: number, text: text)
            } else if current != nil, text.first == " " {
                current?.text += " " + text.trimmingCharacters(in: .whitespaces)
            } else {
                flush()
            }
        }
        flush()
        // Inline code outside the code blocks; a span may continue on the next line.
        var joined = ""
        var lineOfCharacter: [Int] = []
        for (line, text) in prose {
            joined += text + "\n"
            lineOfCharacter.append(contentsOf: Array(repeating: line, count: text.count + 1))
        }
        let characters = Array(joined)
        var position = 0
        while position < characters.count {
            guard characters[position] == "`" else { position += 1; continue }
            var end = position + 1
            while end < characters.count, characters[end] != "`" { end += 1 }
            guard end < characters.count else { break }
            let span = String(characters[(position + 1) ..< end]).replacingOccurrences(of: "\n", with: " ")
            let line = lineOfCharacter[position]
            position = end + 1
            var command: String?
            if span.hasPrefix("wordpipe ") {
                command = span
            } else if let pipe = span.range(of: "| wordpipe ") {
                command = String(span[span.index(pipe.lowerBound, offsetBy: 2)...])
            }
            guard var command else { continue }
            command = command.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            let words = command.split(separator: " ")
            if words.count >= 2, words[1].hasSuffix(":") { continue }  // a message (`wordpipe tag: error: …`)
            result.append(Shown(line: line, text: command))
        }
        return result.sorted { $0.line < $1.line }
    }

    // MARK: Synopsis syntax

    /// A word, an optional group `[…]` of alternatives (`[a | b]`) each a sequence, or a
    /// required choice `(a | b)`.
    indirect enum Node: Equatable {
        case word(String)
        case group([[Node]])
        case choice([[Node]])
    }

    /// Shell-like words (quotes kept together and removed), with `[`, `]`, `(`, `)` and a lone `|` as
    /// their own tokens and `...` after a word or a group dropped.
    static func tokens(_ text: String) -> [String] {
        var result: [String] = []
        var word = ""
        var quote: Character?
        var quoted = false
        func end() {
            if !word.isEmpty || quoted { result.append(word) }
            word = ""
            quoted = false
        }
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                quoted = true
            } else if character == " " {
                end()
            } else if "[]()".contains(character) {
                end()
                result.append(String(character))
            } else {
                word.append(character)
            }
        }
        end()
        return result.compactMap { token in
            var token = token
            while token.hasSuffix("...") || token.hasSuffix("…") {
                token = token.hasSuffix("...") ? String(token.dropLast(3)) : String(token.dropLast())
            }
            return token.isEmpty ? nil : token
        }
    }

    /// The sequence of nodes of `tokens` (brackets nested).
    static func parse(_ tokens: [String]) throws -> [Node] {
        var position = 0
        func sequence(closing: String?) throws -> [[Node]] {
            var alternatives: [[Node]] = [[]]
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                switch token {
                case "[": alternatives[alternatives.count - 1].append(.group(try sequence(closing: "]")))
                case "(": alternatives[alternatives.count - 1].append(.choice(try sequence(closing: ")")))
                case "]", ")":
                    guard closing == token else { throw ValidationError("unbalanced '\(token)'") }
                    return alternatives
                case "|": alternatives.append([])
                default: alternatives[alternatives.count - 1].append(.word(token))
                }
            }
            if let closing { throw ValidationError("'\(closing)' missing") }
            return alternatives
        }
        let top = try sequence(closing: nil)
        // A top-level ` | ` is a shell pipe; the command is the part starting with `wordpipe`.
        return top.first { $0.first == .word("wordpipe") } ?? top[0]
    }

    /// The lines to try for a synopsis: every optional part left out, then each optional part
    /// put in (with its parents) and each alternative chosen in turn, one at a time.
    static func variants(_ sequence: [Node]) -> [[String]] {
        func base(_ sequence: [Node]) -> [String] {
            sequence.flatMap { node -> [String] in
                switch node {
                case .word(let word): return [alternatives(of: word)[0]]
                case .group: return []
                case .choice(let options): return base(options[0])
                }
            }
        }
        func alternatives(of word: String) -> [String] {
            word.contains("|") && word != "|" && !word.hasPrefix("<") ? word.split(separator: "|").map(String.init) : [word]
        }
        func choices(_ node: Node) -> [[String]] {
            switch node {
            case .word(let word): return alternatives(of: word).map { [$0] }
            case .group(let options), .choice(let options): return options.flatMap { variants($0) }
            }
        }
        var result = [base(sequence)]
        for (index, node) in sequence.enumerated() {
            let prefix = base(Array(sequence[..<index])), suffix = base(Array(sequence[(index + 1)...]))
            for choice in choices(node) {
                let line = prefix + choice + suffix
                if !result.contains(line) { result.append(line) }
            }
        }
        return result
    }

    /// The file name extensions tried for path placeholders: the format some commands infer
    /// from an output's name must agree with `--format`, so a line passes when one of these
    /// does (no extension, text, native vectors, word2vec binary).
    static let extensions = ["", ".txt", ".wpv", ".bin"]

    /// A plausible value for a placeholder (`FILE`, `N`, `P`, `WORD`, `TAG`): numbers for counts
    /// and probabilities, a word for words, a locale for a tag, a path in the current directory
    /// (ending in `fileExtension`) for the rest.
    static func substitute(_ word: String, fileExtension: String) -> String {
        guard let first = word.first, first.isLetter, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { return word }
        switch word {
        case "N", "K", "BATCHES", "SECONDS": return "1000"
        case "P": return "0.1"
        case "WORD", "A", "B", "C", "W1", "W2": return "king"
        case "STAGE": return "vectors"
        case "TYPE": return "train"
        case "TAG": return "en"
        case "NAME": return "text"
        default: return word.lowercased() + fileExtension
        }
    }

    /// Why `arguments` (after `wordpipe`) do not parse, or nil when they do.
    static func parseFailure(_ arguments: [String]) -> String? {
        do {
            _ = try WordPipe.parseAsRoot(arguments)
            return nil
        } catch {
            return WordPipe.message(for: error)
        }
    }

    /// Checks one shown line: every variant must parse. A line that only names a command
    /// (`wordpipe inspect [--verify]`, nothing required given) may lack its required arguments.
    static func problems(in shown: Shown) -> [String] {
        let nodes: [Node]
        do {
            nodes = try parse(tokens(shown.text))
        } catch {
            return ["\(shown): \(error)"]
        }
        guard nodes.first == .word("wordpipe") else { return ["\(shown): does not start with wordpipe"] }
        let body = Array(nodes.dropFirst())
        let mention = body.dropFirst().allSatisfy { if case .group = $0 { true } else { false } }
        var problems: [String] = []
        variant: for variant in variants(body) {
            var failures: [(arguments: [String], failure: String)] = []
            for fileExtension in extensions {
                let arguments = variant.map { substitute($0, fileExtension: fileExtension) }
                guard let failure = parseFailure(arguments) else { continue variant }
                if mention && failure.hasPrefix("Missing expected argument") {
                    // Only the command is named: its options must still be the command's.
                    let unknown = unknownOptions(variant)
                    if unknown.isEmpty { continue variant }
                    failures.append((arguments, "not options of wordpipe \(variant[0]): \(unknown.joined(separator: ", "))"))
                } else {
                    failures.append((arguments, failure))
                }
            }
            let first = failures[0]
            problems.append("\(shown)\n    wordpipe \(first.arguments.joined(separator: " ")): \(first.failure)")
        }
        return problems
    }

    /// The options of `variant` (a subcommand and its arguments) that its help does not list.
    static func unknownOptions(_ variant: [String]) -> [String] {
        guard let name = variant.first else { return [] }
        guard let command = WordPipe.configuration.subcommands.first(where: { $0._commandName == name }) else { return [name] }
        let help = WordPipe.helpMessage(for: command, columns: 10_000)
        let listed = Set(help.split(whereSeparator: { " ,\n[]()=<>".contains($0) }).map(String.init).filter { $0.hasPrefix("-") })
        return variant.dropFirst().filter { $0.hasPrefix("-") && $0 != "-" && !listed.contains($0) }
    }

    // MARK: Tests

    @Test func everyCommandLineInTheReadmeParses() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let shown = Self.commandLines(in: readme)
        // The README shows far more than this; fewer means the extraction broke.
        #expect(shown.count >= 40, "only \(shown.count) command lines found in README.md")
        var checked = 0
        var problems: [String] = []
        for command in shown {
            problems += Self.problems(in: command)
            checked += 1
        }
        #expect(problems.isEmpty, "\(problems.count) README command lines the parser rejects:\n\(problems.joined(separator: "\n"))")
        print("README command lines checked: \(checked)")
    }

    /// README.md and BENCHMARKS.md show paths relative to the repository: no absolute path of
    /// the machine where something was measured (its checkout, build folders, lock files).
    @Test func theDocsShowNoPathsOfThisMachine() throws {
        let roots = ["tmp", "work", "root", "home", "Users", "opt", "var", "usr", "srv", "mnt"]
        for name in ["README.md", "BENCHMARKS.md"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent(name), encoding: .utf8)
            let found = Self.absolutePaths(in: text, roots: roots)
            #expect(found.isEmpty, "\(name) shows absolute paths of a machine: \(found.map { "line \($0.line): \($0.path)" }.joined(separator: ", "))")
        }
        #expect(Self.absolutePaths(in: "run `WORDPIPE=/tmp/wordpipe-bench x` and see /work/main/x", roots: roots).map(\.path)
                == ["/tmp/wordpipe-bench", "/work/main/x"])
        #expect(Self.absolutePaths(in: "Fuzz/work/ and /dev/zero and corpora/tmp/x", roots: roots).isEmpty)
    }

    /// Absolute paths under one of `roots` (a `/` not preceded by a path character).
    static func absolutePaths(in text: String, roots: [String]) -> [(line: Int, path: String)] {
        var result: [(line: Int, path: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let characters = Array(line)
            for position in characters.indices where characters[position] == "/" {
                if position > 0, characters[position - 1].isLetter || characters[position - 1].isNumber || "._~-/".contains(characters[position - 1]) { continue }
                var end = position + 1
                while end < characters.count, !" `)'\",;".contains(characters[end]) { end += 1 }
                let path = String(characters[position ..< end])
                if roots.contains(where: { path.hasPrefix("/\($0)/") }) { result.append((index + 1, path)) }
            }
        }
        return result
    }

    /// The checker rejects what it should: the line the issue found, an unknown option, a
    /// value outside an enumeration, and accepts the synopsis forms.
    @Test func theCheckerCatchesWhatTheIssueFound() {
        func check(_ text: String) -> [String] { Self.problems(in: Shown(line: 1, text: text)) }
        #expect(!check("wordpipe train-tagger --train FILE --dev FILE [--cell lstm|gru|rnn] -o MODEL").isEmpty)
        #expect(check("wordpipe train-tagger --train FILE --dev FILE [--cell lstm|gru|rnn-tanh|rnn-relu] -o MODEL").isEmpty)
        #expect(!check("wordpipe nearest --vectors V [--no-such-option]").isEmpty)
        #expect(!check("wordpipe no-such-command FILE").isEmpty)
        #expect(check("wordpipe train CORPUS... -o VECTORS").isEmpty)
        #expect(!check("wordpipe train CORPUS... [--model skipgram|cbow|glove]").isEmpty)
        #expect(check("wordpipe inspect [--verify]").isEmpty)
        #expect(!check("wordpipe inspect [--verify-all]").isEmpty)
        #expect(check("wordpipe train-tagger --train FILE --dev FILE [--bidirectional | --no-bidirectional] [--checkpoint DIR [--checkpoint-every BATCHES]] -o MODEL").isEmpty)
        #expect(!check("wordpipe train-tagger --train FILE --dev FILE [--checkpoint DIR [--checkpoint-every-n BATCHES]] -o MODEL").isEmpty)
    }

    @Test func extractionFindsBlocksContinuationsAndInlineCode() {
        let markdown = """
            Use `wordpipe vocab CORPUS -o vocab.tsv` or `echo x | wordpipe tag --model m.wpm
            --format text`; errors read `wordpipe tag: error: …`.

            ```
            $ wordpipe tokenize INPUT [-o OUT]
                [--lowercase]
            wordpipe nearest --vectors V   # a comment
            tokens: done
            ```

            ```yaml
            wordpipe run x
            ```
            """
        let shown = Self.commandLines(in: markdown).map(\.text)
        #expect(shown == ["wordpipe vocab CORPUS -o vocab.tsv", "wordpipe tag --model m.wpm --format text",
                          "wordpipe tokenize INPUT [-o OUT] [--lowercase]", "wordpipe nearest --vectors V"])
    }
}
