// libFuzzer target: CoNLLU labelled data (`--format conllu`), read from a scratch file like the CLI reads it.
import Corpora
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    // Reads with the tag column found from the data and with a given one, with and without
    // required tags, and renders the tags back (what `tag` writes).
    let path = FuzzFiles.write(data, count, name: "input.txt")
    let column: Int? = count > 0 ? Int(data[0] % 12) : nil
    for (tagColumn, requireTags) in [(nil, true), (column, false)] {
        do {
            let file = try TaggedFile.read(path: path, format: .conllu, tagColumn: tagColumn, requireTags: requireTags)
            for sentence in file.sentences {
                blackHole(TagSchemes.fromBIOES(TagSchemes.toBIOES(TagSchemes.toIOB2(sentence.tags))))
            }
            blackHole(try file.rendered(predictions: file.sentences.map(\.tags)))
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
