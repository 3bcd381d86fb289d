import Foundation
import Recurrent
import Testing
import TestSupport
import WordPipeSupport

/// Parameter files end with a CRC-32C of everything before it (version 2).
@Suite struct ParameterIntegrityTests {
    /// Every bit of a small file, flipped: refused with a reason, and nothing loaded.
    @Test func everyBitFlipIsRefused() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("layer.wprnn").path
        let layer = RecurrentLayer<Float>(.gru, inputSize: 2, hiddenSize: 2, seed: 1)
        try ParameterFile.write(layer.parameters, to: path)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let target = RecurrentLayer<Float>(.gru, inputSize: 2, hiddenSize: 2, seed: 5)
        let before = target.parameters.map(\.value)
        for bit in 0 ..< original.count * 8 {
            var bytes = original
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                try ParameterFile.read(into: target.parameters, from: path)
                Issue.record("bit \(bit) was accepted")
            } catch {
                #expect("\(error)".hasPrefix("\(path): "), "bit \(bit)")
            }
        }
        #expect(target.parameters.map(\.value) == before)
    }

    /// Version 1 files (no checksum) still read; `structure` tells the shapes without a model.
    @Test func versionOneStillReads() throws {
        let layer = RecurrentLayer<Float>(.lstm, inputSize: 2, hiddenSize: 3, seed: 1)
        var bytes = ParameterFile.encode(layer.parameters)
        let structure = try ParameterFile.structure(bytes, path: "p")
        #expect(structure.version == 2 && structure.valueSize == 4 && structure.checksum != nil)
        #expect(structure.entries.map(\.name) == layer.parameters.map(\.name))
        bytes.removeLast(4)
        bytes[8] = 1
        let target = RecurrentLayer<Float>(.lstm, inputSize: 2, hiddenSize: 3, seed: 9)
        try ParameterFile.decode(bytes, path: "p", into: target.parameters)
        #expect(target.parameters.map(\.value) == layer.parameters.map(\.value))
        #expect(try ParameterFile.structure(bytes, path: "p").checksum == nil)
    }
}
