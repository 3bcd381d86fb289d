// libFuzzer target: vocabulary files (`vocab -o`, `train --vocab`, `encode --vocab`), read in both
// formats, then turned into the tables training builds from the counts.
import FuzzSupport
import Foundation
import Vocabulary

/// `WORDPIPE_FUZZ_PARSE_ONLY=1` stops after reading (to fuzz the reader past a known defect of the tables).
let parseOnly = ProcessInfo.processInfo.environment["WORDPIPE_FUZZ_PARSE_ONLY"] == "1"

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    Seeds.makeIfAsked { directory in
        try Seeds.vocabulary().write(to: directory + "/small.tsv", format: .tsv)
        try Seeds.vocabulary().write(to: directory + "/small.word2vec.txt", format: .word2vec)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: "vocab.tsv")
    for format in VocabularyFormat.allCases {
        do {
            let vocabulary = try Vocabulary.read(from: path, format: format)
            blackHole(vocabulary.fingerprint)
            if parseOnly { continue }
            blackHole(SubsamplingTable(vocabulary: vocabulary, sample: 1e-3).keepProbabilities.count)
            blackHole(NoiseDistribution(vocabulary: vocabulary, exponent: 0.75).aliases.count)
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
