import Foundation
import WordPipeSupport
import Yams

/// An error in a pipeline file, with its position and the stage it concerns.
public struct PipelineError: Error, Equatable, CustomStringConvertible {
    /// Where: `file:line:column`.
    public var location: SourceLocation
    /// The stage concerned, when there is one.
    public var stage: String?
    /// What is wrong (with the valid alternatives when there are some).
    public var message: String

    /// Creates an error.
    public init(_ location: SourceLocation, stage: String? = nil, _ message: String) {
        self.location = location
        self.stage = stage
        self.message = message
    }

    public var description: String {
        "\(location): " + (stage.map { "stage '\($0)': " } ?? "") + message
    }
}

/// One input of a stage as written: a path or glob, or the name of another stage.
public struct StageInput: Sendable, Equatable {
    /// The text as written.
    public var text: String
    /// Where it is written.
    public var location: SourceLocation
}

/// One stage as written in the pipeline file.
public struct StageDefinition {
    /// The stage's name (its key under `stages`).
    public var name: String
    /// The stage type as written (`train`).
    public var type: String
    /// Its inputs.
    public var inputs: [StageInput]
    /// The `with` mapping, converted to JSON for the configuration decoder.
    public var settings: Data
    /// Where each `with` key path is written (for errors from decoding the configuration).
    var settingsNode: Node?
    /// Where the stage is written.
    public var location: SourceLocation
    /// Where `type` is written.
    public var typeLocation: SourceLocation
}

/// A pipeline file: `version: 1`, an optional `workdir`, and `stages`.
///
///     version: 1
///     workdir: build            # optional; default `build` beside this file
///     stages:
///       tokens:
///         type: tokenize
///         inputs: [corpora/cache/demo]
///         with: { normalize: nfkc-casefold, numbers: token }
///       vocab:
///         type: vocab
///         inputs: [tokens]      # a stage name means that stage's output
///         with: { min_count: 5 }
public struct PipelineFile {
    /// The path it was read from.
    public var path: String
    /// The directory relative paths are resolved against.
    public var directory: String
    /// The work directory (absolute).
    public var workdir: String
    /// The stages, in file order.
    public var stages: [StageDefinition]
    /// Where the work directory is set (the `workdir` value, or the file for `--workdir` and the default).
    public var workdirLocation: SourceLocation

    /// The deepest nesting allowed inside a `with` mapping (settings need two or three levels).
    static let maximumDepth = 64
    /// The most values one stage's `with` may hold once YAML aliases are expanded.
    static let maximumValuesPerStage = 10_000
    /// The most values all `with` mappings of a file may hold once YAML aliases are expanded.
    static let maximumValues = 1_000_000

    static let topKeys = ["version", "workdir", "stages"]
    static let stageKeys = ["type", "inputs", "with"]

    /// Reads and checks the structure of a pipeline file (types and inputs are checked by
    /// `PipelinePlan`). Every error has a `file:line:column`.
    public init(path: String, workdir override: String? = nil) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        directory = url.deletingLastPathComponent().path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(SourceLocation(path: path), "cannot read the pipeline file")
        }
        let text = String(decoding: data, as: UTF8.self)
        try YAMLGuard.checkKeys(text, path: path)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw PipelineError(SourceLocation(path: path, line: 1, column: 1), "the file is empty") }
            root = node
        } catch let error as YamlError {
            throw Self.translate(error, path: path)
        }
        func location(_ node: Node?) -> SourceLocation {
            SourceLocation(path: path, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0)
        }
        guard let top = root.mapping else { throw PipelineError(location(root), "expected a mapping with version and stages") }
        try Self.checkKeys(top, allowed: Self.topKeys, path: path, stage: nil, what: "top-level key")
        guard let versionNode = top["version"] else { throw PipelineError(location(root), "missing 'version: 1'") }
        guard versionNode.int == 1 else {
            throw PipelineError(location(versionNode), "unsupported version '\(versionNode.string ?? "?")'; this wordpipe reads version 1")
        }
        if let override {
            workdir = URL(fileURLWithPath: override, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).absoluteURL.standardized.path
            workdirLocation = SourceLocation(path: path)
        } else if let workdirNode = top["workdir"] {
            guard let value = workdirNode.string, !value.isEmpty else { throw PipelineError(location(workdirNode), "workdir must be a path") }
            workdir = URL(fileURLWithPath: value, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).absoluteURL.standardized.path
            workdirLocation = location(workdirNode)
        } else {
            workdir = URL(fileURLWithPath: "build", relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).absoluteURL.standardized.path
            workdirLocation = SourceLocation(path: path)
        }
        // A run makes a folder per stage in the work directory: never in / or the home directory.
        let home = URL(fileURLWithPath: NSHomeDirectory()).standardized.path
        var refused = ["/": "the root folder"]
        for folder in [home, Ownership.canonical(home)] where folder != "/" { refused[folder] = "the home directory" }
        if let what = refused[workdir] ?? refused[Ownership.canonical(workdir)] {
            throw PipelineError(workdirLocation, (override == nil ? "" : "--workdir: ")
                                + "the work directory cannot be \(what) (\(workdir)): a run writes a folder per stage there; use a folder of its own, such as build/")
        }
        guard let stagesNode = top["stages"] else { throw PipelineError(location(root), "missing 'stages'") }
        guard let stagesMapping = stagesNode.mapping, !stagesMapping.isEmpty else {
            throw PipelineError(location(stagesNode), "'stages' must be a mapping of stage names to stages")
        }
        var stages: [StageDefinition] = []
        var budget = Self.maximumValues
        for (keyNode, stageNode) in stagesMapping {
            guard let name = keyNode.string, !name.isEmpty else { throw PipelineError(location(keyNode), "a stage name must be a string") }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw PipelineError(location(keyNode), stage: name, "stage names may hold letters, digits, '_' and '-' only")
            }
            guard let mapping = stageNode.mapping else { throw PipelineError(location(stageNode), stage: name, "expected a mapping with type, inputs and with") }
            try Self.checkKeys(mapping, allowed: Self.stageKeys, path: path, stage: name, what: "key")
            // One pass over the keys (Yams' subscript compares nodes with tag resolution, a regex each).
            var fields: [String: Node] = [:]
            for (key, value) in mapping { if let name = key.string { fields[name] = value } }
            guard let typeNode = fields["type"], let type = typeNode.string else {
                throw PipelineError(location(stageNode), stage: name, "missing 'type'")
            }
            var inputs: [StageInput] = []
            if let inputsNode = fields["inputs"] {
                let items: [Node]
                if let sequence = inputsNode.sequence { items = Array(sequence) } else { items = [inputsNode] }
                for item in items {
                    guard let text = item.string, item.scalar != nil else {
                        throw PipelineError(location(item), stage: name, "an input must be a path, a glob or a stage name")
                    }
                    inputs.append(StageInput(text: text, location: location(item)))
                }
            }
            var settingsNode: Node?
            var settings = Data("{}".utf8)
            if let withNode = fields["with"] {
                guard withNode.mapping != nil || withNode.null != nil else {
                    throw PipelineError(location(withNode), stage: name, "'with' must be a mapping of settings")
                }
                if let withMapping = withNode.mapping {
                    settingsNode = withNode
                    var object: [String: Any] = [:]
                    var stageBudget = Self.maximumValuesPerStage
                    for (key, value) in withMapping {
                        let keyName = key.string ?? ""
                        var limits = Limits(key: keyName, location: location(key), stage: name, values: min(stageBudget, budget))
                        object[keyName] = try Self.plain(value, depth: 1, limits: &limits)
                        let used = min(stageBudget, budget) - limits.values
                        stageBudget -= used
                        budget -= used
                    }
                    settings = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
                }
            }
            stages.append(StageDefinition(name: name, type: type, inputs: inputs, settings: settings, settingsNode: settingsNode,
                                          location: location(keyNode), typeLocation: location(typeNode)))
        }
        self.stages = stages
    }

    /// Unknown keys are errors naming the closest valid one and listing them all.
    static func checkKeys(_ mapping: Node.Mapping, allowed: [String], path: String, stage: String?, what: String) throws {
        for (key, _) in mapping {
            guard let name = key.string, !allowed.contains(name) else { continue }
            var message = "unknown \(what) '\(name)'"
            if let guess = StrictKeys.closest(to: name, in: allowed) { message += " (did you mean '\(guess)'?)" }
            message += "; valid: \(allowed.joined(separator: ", "))"
            throw PipelineError(SourceLocation(path: path, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0), stage: stage, message)
        }
    }

    /// What converting one `with` key may still use: values left (aliases counted each time
    /// they are used) and the key, its position and the stage for the error.
    struct Limits {
        var key: String
        var location: SourceLocation
        var stage: String
        var values: Int
    }

    /// A YAML node as plain JSON-compatible values, scalars typed by YAML's core schema.
    /// Refuses, at the `with` key, nesting deeper than `maximumDepth` and more values than
    /// `limits.values`: a YAML alias bomb (`&a [*b, *b, …]` nested) stops after that many
    /// values instead of expanding to gigabytes.
    static func plain(_ node: Node, depth: Int, limits: inout Limits) throws -> Any {
        limits.values -= 1
        if limits.values < 0 {
            throw PipelineError(limits.location, stage: limits.stage,
                                "'with' key '\(limits.key)' holds too many values once YAML aliases (*name) are expanded: a stage may have "
                                + "\(maximumValuesPerStage), a file \(maximumValues); write the settings out instead of repeating aliases")
        }
        if depth > maximumDepth, node.mapping != nil || node.sequence != nil {
            throw PipelineError(limits.location, stage: limits.stage,
                                "'with' key '\(limits.key)' nests lists or mappings more than \(maximumDepth) levels deep; the limit is \(maximumDepth) levels")
        }
        if let mapping = node.mapping {
            var result: [String: Any] = [:]
            for (key, value) in mapping { result[key.string ?? ""] = try plain(value, depth: depth + 1, limits: &limits) }
            return result
        }
        if let sequence = node.sequence {
            var result: [Any] = []
            for value in sequence { result.append(try plain(value, depth: depth + 1, limits: &limits)) }
            return result
        }
        if node.null != nil { return NSNull() }
        if let value = node.bool { return value }
        if let value = node.int { return value }
        if let value = node.float { return value }
        return node.string ?? ""
    }

    static func translate(_ error: YamlError, path: String) -> PipelineError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            // libyaml's own limit, in words that do not name its C function.
            let text = problem.hasPrefix("Maximum nesting level") ? "lists or mappings nested more than 1000 levels deep (the YAML reader's limit)" : problem
            return PipelineError(SourceLocation(path: path, line: mark.line, column: mark.column), "malformed YAML: \(text)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return PipelineError(SourceLocation(path: path), "duplicated keys: \(duplicates.joined(separator: ", "))")
        default:
            return PipelineError(SourceLocation(path: path), "malformed YAML: \(error)")
        }
    }

    /// The position of a decoding error inside a stage's `with` mapping, and its message.
    func explain(_ error: Error, in stage: StageDefinition) -> PipelineError {
        var path: [CodingKey] = []
        var message = "\(error)"
        var current: Error? = error
        // Errors thrown inside init(from:) come back wrapped; unwrap to the innermost one.
        while let decoding = current as? DecodingError {
            switch decoding {
            case .typeMismatch(let type, let context):
                path = context.codingPath
                message = "\(context.codingPath.last?.stringValue ?? "value"): expected \(Self.describe(type))"
                current = context.underlyingError
            case .valueNotFound(let type, let context):
                path = context.codingPath
                message = "\(context.codingPath.last?.stringValue ?? "value"): expected \(Self.describe(type)), found null"
                current = context.underlyingError
            case .keyNotFound(let key, let context):
                path = context.codingPath
                message = "missing key '\(key.stringValue)'"
                current = context.underlyingError
            case .dataCorrupted(let context):
                path = context.codingPath
                message = context.debugDescription
                if message.hasPrefix("Cannot initialize") {
                    let key = context.codingPath.last?.stringValue ?? "value"
                    message = "\(key): \(message)"
                }
                current = context.underlyingError
            @unknown default:
                current = nil
            }
            if current == nil { break }
        }
        if let inner = current, !(inner is DecodingError) { message = "\(inner)" }
        // A setting's own check names its key: point at its value.
        if path.isEmpty, let setting = (current as? InvalidSettingError)?.invalidSetting { path = [setting.key] }
        // Walk the coding path through the YAML nodes to find the position.
        var node = stage.settingsNode
        for key in path {
            if let mapping = node?.mapping, let child = mapping[key.stringValue] {
                // Point at the key for unknown keys, at the value otherwise.
                if message.hasPrefix("unknown key"), let keyNode = mapping.first(where: { $0.key.string == key.stringValue })?.key {
                    node = keyNode
                } else {
                    node = child
                }
            } else if let sequence = node?.sequence, let index = key.intValue, index < sequence.count {
                node = sequence[index]
            }
        }
        let mark = node?.mark
        return PipelineError(SourceLocation(path: self.path, line: mark?.line ?? stage.location.line, column: mark?.column ?? stage.location.column),
                             stage: stage.name, message)
    }

    /// The position of the setting that names the file `path` (a `with` value, or an item of a
    /// `with` list, resolved against the pipeline's directory); the stage's position otherwise.
    func settingLocation(_ path: String, in stage: StageDefinition) -> SourceLocation {
        for (_, value) in stage.settingsNode?.mapping ?? [:] {
            for node in [value] + Array(value.sequence ?? []) {
                if let text = node.scalar?.string, resolve(text, in: directory) == path, let mark = node.mark {
                    return SourceLocation(path: self.path, line: mark.line, column: mark.column)
                }
            }
        }
        return stage.location
    }

    static func describe(_ type: Any.Type) -> String {
        let name = "\(type)"
        switch name {
        case "Int", "Int64", "UInt64", "Int32": return "an integer"
        case "Double", "Float": return "a number"
        case "Bool": return "true or false"
        case "String": return "a string"
        default: return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "a mapping" : "a \(name)"
        }
    }
}
