// libFuzzer target: pipeline files (YAML): the structure (`PipelineFile`), then every stage's
// `with:` settings decoded and validated by its stage type, as planning does, with errors
// mapped back to their positions. Inputs are not expanded (a fuzzed `/` would walk the disk).
import FuzzSupport
import Foundation
@testable import Pipeline

let directory: String = {
    let path = FuzzFiles.directory + "/pipeline"
    try? FileManager.default.createDirectory(atPath: path + "/data", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: path + "/data/c.txt", contents: Data("a b c\n".utf8))
    return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ pointer: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = pointer ?? emptyInput
    let path = directory + "/pipeline.yaml"
    FuzzFiles.write(UnsafeRawBufferPointer(start: data, count: count), to: path)
    do {
        let file = try PipelineFile(path: path)
        for stage in file.stages {
            guard let type = StageType.named(stage.type) else { continue }
            do {
                let configuration = try type.configure(stage.settings, file.directory)
                blackHole(type.dataFiles(configuration, file.directory))
            } catch {
                blackHole(file.explain(error, in: stage).description)
            }
        }
    } catch {
        blackHole(String(describing: error))
    }
    return 0
}

@main
enum Main {
    static func main() { runFuzzer(fuzz) }
}
