// libFuzzer target: the XML corpus reader (`--format xml`), through CorpusReader on a scratch file.
import Corpora
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    readCorpus(data, count, format: .xml, name: "input.xml")
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
