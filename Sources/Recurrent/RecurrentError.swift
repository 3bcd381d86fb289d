/// Errors of the recurrent module that a user can cause (as opposed to shape mismatches, which
/// are programming errors and stop with a precondition).
public enum RecurrentError: Error, Equatable, CustomStringConvertible {
    /// A word that is not in the embedding's vocabulary, when there is no `<unk>` to map it to.
    case unknownWord(String, unknownToken: String)
    /// A parameter file that cannot be read: where, and why.
    case malformedFile(path: String, reason: String)
    /// A parameter file that does not fit the model: which parameter, and how.
    case mismatchedFile(path: String, reason: String)
    /// An optimizer state (from a checkpoint) that does not fit the parameters: how.
    case mismatchedOptimizerState(String)

    /// The message for the user.
    public var description: String {
        switch self {
        case .unknownWord(let word, let unknownToken):
            return "'\(word)' is not in the vocabulary, which has no '\(unknownToken)' token to stand for unknown words"
        case .malformedFile(let path, let reason):
            return "\(path): not a readable parameter file: \(reason)"
        case .mismatchedFile(let path, let reason):
            return "\(path): parameters do not fit this model: \(reason)"
        case .mismatchedOptimizerState(let reason):
            return "the optimizer state does not fit this model: \(reason)"
        }
    }
}
