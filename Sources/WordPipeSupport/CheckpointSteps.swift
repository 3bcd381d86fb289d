import Foundation

/// A checkpoint directory as `train`, `train-tagger` and `train-classifier` keep it: each
/// checkpoint is a step folder `DIR/step-…/` holding `state.json` and weight files, and
/// `DIR/latest` names the newest. A step is written under a temporary name and renamed, then
/// `latest` is replaced, so a kill at any moment leaves the previous checkpoint usable.
public enum CheckpointSteps {
    /// Writes the step `name` into `directory`: `fill` writes its files into the folder it is
    /// given (a temporary one, renamed into place when `fill` returns); then `latest` names the
    /// step and the older steps go.
    public static func write(name: String, into directory: String, fill: (String) throws -> Void) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = TemporaryPath.beside(directory + "/" + name)
        try? manager.removeItem(atPath: temporary)
        try TemporaryFiles.shared.creating(temporary, isDirectory: true) {
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        }
        var placed = false
        defer {
            if !placed { try? manager.removeItem(atPath: temporary) }
            TemporaryFiles.shared.unregister(temporary)
        }
        try fill(temporary)
        let final = directory + "/" + name
        try? manager.removeItem(atPath: final)
        try manager.moveItem(atPath: temporary, toPath: final)
        placed = true
        try OutputFile.writeAtomically(Data((name + "\n").utf8), to: directory + "/latest")
        FaultInjection.reach("checkpoint-written")
        for entry in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] where entry.hasPrefix("step-") && entry != name {
            try? manager.removeItem(atPath: directory + "/" + entry)
        }
    }

    /// Why the latest step could not be read: where, and what. `damaged` is false only when
    /// the directory holds no checkpoint at all.
    public struct ReadFailure: Error {
        public var location: SourceLocation
        public var message: String
        public var damaged: Bool
    }

    /// The latest step folder of `directory` and its decoded `state.json`. `latest` must name a
    /// step folder beside it (`step-…`, nothing else); `pattern` describes the step names for
    /// the message (`step-EPOCH-WORDS`).
    public static func latest<State: Decodable>(_: State.Type, in directory: String, pattern: String) throws -> (step: String, stateFile: String, state: State) {
        guard let latest = try? String(contentsOfFile: directory + "/latest", encoding: .utf8) else {
            throw ReadFailure(location: SourceLocation(path: directory), message: "no checkpoint here (no 'latest' file)", damaged: false)
        }
        let name = latest.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.hasPrefix("step-"), !name.contains("/"), name != "." && name != ".." else {
            throw ReadFailure(location: SourceLocation(path: directory + "/latest"),
                              message: "'\(name)' is not a checkpoint step name (\(pattern))", damaged: true)
        }
        let step = directory + "/" + name
        let stateFile = step + "/state.json"
        do {
            return (step, stateFile, try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: stateFile))))
        } catch {
            throw ReadFailure(location: SourceLocation(path: stateFile), message: "unreadable checkpoint: \(describe(error))", damaged: true)
        }
    }

    /// A decoding error as a sentence naming the field.
    public static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func field(_ path: [CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "field '\(field(context.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let context): return "field '\(field(context.codingPath))' is not of type \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "field '\(field(context.codingPath))' is null, expected \(type)"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return context.codingPath.isEmpty ? "not valid JSON: \(context.debugDescription)\(underlying)"
                : "field '\(field(context.codingPath))': \(context.debugDescription)\(underlying)"
        @unknown default: return "\(error)"
        }
    }
}
