// libFuzzer target: encoded corpora (`.wpc`, written by `encode` and read by `train`), opened
// without and with the vocabulary they were encoded with, then walked sentence by sentence.
import FuzzSupport
import Foundation
import Vocabulary

let vocabulary = Seeds.vocabulary()

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeIfAsked { directory in
        let text = FuzzFiles.directory + "/sentences.txt"
        try Seeds.sentences.joined(separator: "\n").write(toFile: text, atomically: true, encoding: .utf8)
        _ = try EncodedCorpus.encode(inputs: [text], vocabulary: vocabulary, to: directory + "/small.wpc")
        try "the cat\n".write(toFile: text, atomically: true, encoding: .utf8)
        _ = try EncodedCorpus.encode(inputs: [text], vocabulary: vocabulary, to: directory + "/one.wpc")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: "corpus.wpc")
    for given in [nil, vocabulary] {
        do {
            let corpus = try EncodedCorpus(path: path, vocabulary: given)
            blackHole(corpus.sentences().count)
            blackHole(corpus.withIDs { ids in ids.reduce(0, &+) })
        } catch {
            blackHole(String(describing: error))
        }
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
