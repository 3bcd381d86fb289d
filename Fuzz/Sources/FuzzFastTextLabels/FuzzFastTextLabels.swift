// libFuzzer target: FastTextLabels labelled data (`--format fasttext`), read from a scratch file like the CLI reads it.
import Corpora
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    let path = FuzzFiles.write(data, count, name: "input.txt")
    for requireLabels in [true, false] {
        do {
            let file = try ClassificationFile.read(path: path, format: .fasttext, requireLabels: requireLabels)
            blackHole(file)
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
