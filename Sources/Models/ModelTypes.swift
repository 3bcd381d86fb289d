/// The model types a model file's task section can name, looked up by `TrainableModel.typeName`:
/// the one list a new model type is added to, for `wordpipe inspect` and for the error that
/// names the command reading a model of another type. Loading a model of a known type needs no
/// entry here: the type reads its own section.
enum ModelTypes {
    /// Every model type of the library.
    static let all: [any TrainableModel.Type] = [Tagger.self, Classifier.self, LanguageModel.self, Seq2Seq.self]

    /// The model type named `name`; an error naming `path` and the type when this build does not
    /// know it (a model of a newer wordpipe).
    static func named(_ name: String, path: String) throws -> any TrainableModel.Type {
        for type in all where type.typeName == name { return type }
        throw ModelError.badModel(
            path: path,
            reason: "a model of task type '\(name)', which this wordpipe does not know (it reads \(names.joined(separator: ", "))); a newer wordpipe may read it")
    }

    /// The names of the model types, in the order of `all`.
    static var names: [String] {
        var names: [String] = []
        for type in all { names.append(type.typeName) }
        return names
    }
}
