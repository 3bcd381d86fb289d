import Testing
@testable import Models

@Suite struct ModelsModuleTests {
    @Test func moduleLoads() {
        #expect(String(describing: Models.self) == "Models")
    }
}
