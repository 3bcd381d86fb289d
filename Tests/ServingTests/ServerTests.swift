import Foundation
import Models
@testable import Serving
import Testing

@Suite struct ProjectionTests {
    /// Points that lie on a plane inside 6-D space: their map keeps every pairwise distance
    /// (PCA on two components is exact for them, up to rotation and reflection).
    @Test func pointsOnAPlaneKeepTheirDistances() {
        let plane: [(Double, Double)] = [(0, 0), (3, 1), (-2, 4), (1, -5), (6, 6), (-4, -1), (2, 2)]
        // Two orthonormal directions in 6-D and an offset.
        let u: [Double] = [1, 2, 0, -1, 1, 0].map { $0 / 7.0.squareRoot() }
        let w: [Double] = [0, 1, 3, 2, 0, -1].map { $0 / 15.0.squareRoot() }
        let dot = zip(u, w).reduce(0) { $0 + $1.0 * $1.1 }
        let v = zip(w, u).map { $0 - dot * $1 }
        let vn = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let rows: [[Float]] = plane.map { p in (0..<6).map { Float(0.5 + p.0 * u[$0] + p.1 * v[$0] / vn) } }
        let map = Projection.principalPlane(rows)
        #expect(map.count == plane.count)
        for i in 0..<plane.count {
            for j in 0..<plane.count {
                let want = hypot(plane[i].0 - plane[j].0, plane[i].1 - plane[j].1)
                let got = hypot(map[i].x - map[j].x, map[i].y - map[j].y)
                #expect(abs(want - got) < 1e-3, "\(i) \(j): \(got) vs \(want)")
            }
        }
    }

    @Test func degenerateInputsMapToTheOrigin() {
        #expect(Projection.principalPlane([]).isEmpty)
        let same = Projection.principalPlane([[1, 0], [1, 0], []])
        #expect(same.allSatisfy { abs($0.x) < 1e-9 && abs($0.y) < 1e-9 })
    }
}

@Suite struct RequestDecodingTests {
    struct Probe: Decodable { var k: Int?; var words: [String]?; var word: String }

    func field(_ json: String) -> String?? {
        do {
            _ = try JSONDecoder().decode(Probe.self, from: Data(json.utf8))
            return .none
        } catch let error as DecodingError {
            return .some(Server.decodingFailure(error).field)
        } catch {
            return .none
        }
    }

    @Test func errorsNameTheField() {
        #expect(field(#"{"word": "a", "k": "x"}"#) == .some("k"))
        #expect(field(#"{"k": 1}"#) == .some("word"))
        #expect(field(#"{"word": "a", "words": ["b", 3]}"#) == .some("words[1]"))
        #expect(field("{oops") == .some(nil))
    }
}

@Suite struct OpenAPIDocumentTests {
    @Test func everyRouteAndSchemaIsThere() throws {
        let text = OpenAPI.document(verbs: [OpenAPI.Verb(name: "classify", options: Classifier.optionFields, answer: Classifier.answerSchema),
                                            OpenAPI.Verb(name: "tag", options: Tagger.optionFields, answer: Tagger.answerSchema)])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.0.3")
        let paths = try #require(document["paths"] as? [String: Any])
        #expect(Set(paths.keys) == ["/healthz", "/v1/models", "/v1/nearest", "/v1/analogy", "/v1/similarity", "/v1/tag", "/v1/classify"])
        // Every $ref resolves.
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let refs = text.components(separatedBy: "#/components/schemas/").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!refs.isEmpty)
        for ref in refs { #expect(schemas[ref] != nil, "\(ref)") }
        // The classifier's own option is in its request schema.
        let request = try #require(schemas["ClassifyRequest"] as? [String: Any])
        #expect(Set(((request["properties"] as? [String: Any]) ?? [:]).keys) == ["text", "texts", "model", "top"])
    }
}
