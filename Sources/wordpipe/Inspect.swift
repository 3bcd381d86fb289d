import ArgumentParser
import Models
import WordPipeSupport

/// `wordpipe inspect`: what a WordPipe binary file is, and with `--verify` whether it is intact.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell what a WordPipe file is (vectors, encoded corpus, model, parameters, HNSW index, vocabulary) and check it.",
        discussion: """
        Shows the kind, the format version, the sizes (words × dim, tokens and sentences, task and \
        labels, vocabulary words and counts, an index's graph settings and the vectors it was built \
        from), a model's configuration, training record and \
        tokenizer configuration, a vocabulary's side file, and the checksums. The header and its checksum are always checked; --verify also \
        computes the payload's checksum and compares the header with the payload, and exits 1 \
        with the reason on any mismatch. Files of format version 1 have no checksums: they still \
        load, and the command that made them writes the current version.
        """)

    @Argument(help: "A .wpv vector file, .wpc encoded corpus, model file, parameter file, .wph index or vocabulary.")
    var file: String

    @Flag(help: "Compute every checksum and compare the header with the payload.")
    var verify = false

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        let description: ArtifactDescription
        do {
            description = try Artifact.describe(path: file, verify: verify)
        } catch {
            throw StageFailure(stage: "inspect", underlying: error)
        }
        if json { printJSON(Self.dictionary(description)) } else { Self.lines(description).forEach { emit($0) } }
    }

    /// The text form: one `name: value` line per fact.
    static func lines(_ description: ArtifactDescription) -> [String] {
        var lines = ["\(description.path): \(description.kind), \(description.magic) format version \(description.version)"]
        lines += fieldLines(description.fields, indent: "  ")
        if description.checksums.isEmpty && description.kind == "vocabulary" {
            lines.append("  checksums: none (a text file; every line was read and checked)")
        } else if description.checksums.isEmpty {
            lines.append("  checksums: none (format version \(description.version)); \(upgradeHint(description))")
        }
        for checksum in description.checksums {
            lines.append("  checksum of the \(checksum.part): \(checksum.algorithm) \(CRC32C.hex(checksum.stored)), \(checksum.verified ? "verified" : "not computed (use --verify)")")
        }
        if description.verified && description.kind == "vocabulary" {
            lines.append("verified: every line reads as a word and its count, and the side file agrees with the file")
        } else if description.verified {
            lines.append(description.checksums.isEmpty
                ? "verified: the header agrees with the payload (no checksum to compute in format version \(description.version))"
                : "verified: every checksum matches and the header agrees with the payload")
        }
        return lines
    }

    /// `name: value` lines, an object's members on the lines after its name, indented further.
    static func fieldLines(_ fields: [ArtifactDescription.Field], indent: String) -> [String] {
        fields.flatMap { field -> [String] in
            switch field.value {
            case .integer(let number): return ["\(indent)\(field.name): \(number)"]
            case .number(let number): return ["\(indent)\(field.name): \(number)"]
            case .text(let text): return ["\(indent)\(field.name): \(text)"]
            case .flag(let flag): return ["\(indent)\(field.name): \(flag ? "yes" : "no")"]
            case .list(let items):
                let value = items.count > 20 ? items.prefix(20).joined(separator: ", ") + ", … (\(items.count))" : items.joined(separator: ", ")
                return ["\(indent)\(field.name): \(value)"]
            case .object(let members): return ["\(indent)\(field.name):"] + fieldLines(members, indent: indent + "  ")
            }
        }
    }

    /// How to get a file of the current format version.
    static func upgradeHint(_ description: ArtifactDescription) -> String {
        switch description.kind {
        case "vectors": return "`wordpipe convert \(description.path) -o NEW.wpv --format native` writes version \(description.currentVersion) with checksums"
        case "encoded corpus": return "`wordpipe encode` writes version \(description.currentVersion) with checksums"
        default: return "training again writes version \(description.currentVersion) with checksums"
        }
    }

    /// The JSON form (snake_case keys, as the other commands' JSON).
    static func dictionary(_ description: ArtifactDescription) -> [String: Any] {
        let fields = jsonObject(description.fields)
        return [
            "path": description.path, "kind": description.kind, "magic": description.magic,
            "version": description.version, "current_version": description.currentVersion, "fields": fields,
            "checksums": description.checksums.map {
                ["part": $0.part, "algorithm": $0.algorithm, "stored": CRC32C.hex($0.stored), "verified": $0.verified] as [String: Any]
            },
            "verified": description.verified,
        ]
    }

    /// Fields as a JSON object: names with `_` for spaces.
    static func jsonObject(_ fields: [ArtifactDescription.Field]) -> [String: Any] {
        var object: [String: Any] = [:]
        for field in fields {
            let key = field.name.replacingOccurrences(of: " ", with: "_")
            switch field.value {
            case .integer(let number): object[key] = number
            case .number(let number): object[key] = number
            case .text(let text): object[key] = text
            case .flag(let flag): object[key] = flag
            case .list(let items): object[key] = items
            case .object(let members): object[key] = jsonObject(members)
            }
        }
        return object
    }
}
