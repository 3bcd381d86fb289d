// libFuzzer target: model files (`WPMODEL`, written by `train-tagger` / `train-classifier`),
// loaded as a tagger and as a classifier; a model that loads is run on one short input, as
// `tag` and `classify` would.
import FuzzSupport
import Foundation
import Models

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeIfAsked { directory in
        let scratch = FuzzFiles.directory
        // Tagged and labelled data made from the seed sentences.
        let tags = ["the": "DET", "a": "DET", "cat": "NOUN", "dog": "NOUN", "fox": "NOUN", "mat": "NOUN", "log": "NOUN"]
        let conll = Seeds.sentences.map { sentence in
            sentence.split(separator: " ").map { "\($0) \(tags[String($0)] ?? "X")" }.joined(separator: "\n")
        }.joined(separator: "\n\n") + "\n"
        try conll.write(toFile: scratch + "/tagged.conll", atomically: true, encoding: .utf8)
        let tsv = Seeds.sentences.enumerated().map { "\($0.offset % 2)\t\($0.element)" }.joined(separator: "\n") + "\n"
        try tsv.write(toFile: scratch + "/labelled.tsv", atomically: true, encoding: .utf8)
        for (name, characters, crf) in [("tagger", "none", true), ("tagger-chars", "cnn", false)] {
            var configuration = try JSONDecoder().decode(TaggerConfiguration.self, from: Data("{\"char_features\": \"\(characters)\"}".utf8))
            configuration.crf = crf
            configuration.encoder.hidden = 4
            configuration.encoder.dim = 4
            configuration.encoder.epochs = 1
            let result = try TaggerTraining.run(trainPath: scratch + "/tagged.conll", devPath: scratch + "/tagged.conll", vectorsPath: nil,
                                                configuration: configuration, options: ModelTrainingOptions())
            try result.tagger.save(to: directory + "/\(name).wpm", record: result.record)
        }
        var configuration = ClassifierConfiguration()
        configuration.encoder.hidden = 4
        configuration.encoder.dim = 4
        configuration.encoder.epochs = 1
        let result = try ClassifierTraining.run(trainPath: scratch + "/labelled.tsv", devPath: scratch + "/labelled.tsv", vectorsPath: nil,
                                                configuration: configuration, options: ModelTrainingOptions())
        try result.classifier.save(to: directory + "/classifier.wpm", record: result.record)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: "model.wpm")
    do {
        blackHole(try ModelFile.task(of: path))
    } catch {
        blackHole(String(describing: error))
    }
    do {
        let (tagger, _) = try Tagger.load(from: path)
        blackHole(tagger.tag([["the", "cat", "Sat", "x"]]))
    } catch {
        blackHole(String(describing: error))
    }
    do {
        let (classifier, _) = try Classifier.load(from: path)
        blackHole(classifier.classify([["the", "cat", "Sat", "x"]]))
    } catch {
        blackHole(String(describing: error))
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
