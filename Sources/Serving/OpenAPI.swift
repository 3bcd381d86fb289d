import Foundation
import Models

/// The OpenAPI 3 document of the API, served at `/openapi.json`: every route the server
/// registers (the model verbs of the loaded models included) with its request and answer
/// schemas. The tests check each route against it.
enum OpenAPI {
    /// A model verb of the API: its options (beside `text`, `texts` and `model`) and the schema of
    /// one answer, both given by the model type.
    struct Verb {
        var name: String
        var options: [OptionField]
        var answer: [String: Any]
    }

    static func document(verbs: [Verb]) -> String {
        var paths: [String: Any] = [
            "/healthz": ["get": operation("Liveness", response: ref("Health"), body: nil)],
            "/v1/models": ["get": operation("What is loaded", response: ["type": "array", "items": ref("LoadedArtifact")], body: nil)],
            "/v1/nearest": ["post": operation("Nearest words by cosine similarity (gensim's most_similar)",
                                              response: ref("NearestAnswer"), body: ref("NearestRequest"))],
            "/v1/analogy": ["post": operation("a is to b as c is to ?", response: ref("AnalogyAnswer"), body: ref("AnalogyRequest"))],
            "/v1/similarity": ["post": operation("Cosine similarity of two words", response: ref("SimilarityAnswer"), body: ref("SimilarityRequest"))],
        ]
        var schemas = self.schemas
        for verb in verbs {
            let name = verb.name.prefix(1).uppercased() + verb.name.dropFirst()
            schemas["\(name)Answer"] = verb.answer
            var properties: [String: Any] = ["text": string, "texts": strings, "model": string]
            for option in verb.options { properties[option.name] = ["type": option.type, "description": option.description] }
            schemas["\(name)Request"] = object(properties)
            let one = ref("\(name)Answer")
            paths["/v1/\(verb.name)"] = ["post": operation("Apply the \(verb.name) model to text: one answer for \"text\", {model, answers} for \"texts\"",
                                                           response: ["oneOf": [one, ["type": "object", "required": ["model", "answers"],
                                                                                      "properties": ["model": string, "answers": ["type": "array", "items": one]]]]],
                                                           body: ref("\(name)Request"))]
        }
        let document: [String: Any] = [
            "openapi": "3.0.3",
            "info": ["title": "wordpipe serve", "version": "1",
                     "description": "Word vectors and models behind JSON. Errors: {\"error\": {\"status\", \"field\", \"message\"}}."],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    nonisolated(unsafe) static let string: [String: Any] = ["type": "string"]
    nonisolated(unsafe) static let integer: [String: Any] = ["type": "integer"]
    nonisolated(unsafe) static let number: [String: Any] = ["type": "number"]
    nonisolated(unsafe) static let strings: [String: Any] = ["type": "array", "items": string]

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func object(_ properties: [String: Any], required: [String] = []) -> [String: Any] {
        var result: [String: Any] = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { result["required"] = required }
        return result
    }

    static func operation(_ summary: String, response: [String: Any], body: [String: Any]?) -> [String: Any] {
        let error: [String: Any] = ["description": "The field at fault and what to do",
                                    "content": ["application/json": ["schema": ref("Error")]]]
        var result: [String: Any] = [
            "summary": summary,
            "responses": ["200": ["description": "The answer", "content": ["application/json": ["schema": response]]],
                          "400": error, "404": error, "413": error, "422": error, "503": error],
        ]
        if let body {
            result["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
        }
        return result
    }

    nonisolated(unsafe) static let neighbour = object(["word": string, "score": number], required: ["word", "score"])

    nonisolated(unsafe) static let schemas: [String: Any] = [
        "Health": object(["status": string], required: ["status"]),
        "Error": object(["error": object(["status": integer, "field": ["type": "string", "nullable": true], "message": string],
                                         required: ["status", "message"])], required: ["error"]),
        "LoadedArtifact": object(["name": string, "kind": string, "endpoint": strings, "file": string, "words": integer,
                                  "dimension": integer, "labels": strings, "tokenizer": ["type": "object"]],
                                 required: ["name", "kind", "endpoint", "file"]),
        "NearestRequest": object(["word": string, "words": strings, "subtract": strings,
                                  "k": ["type": "integer", "minimum": 1, "default": 10], "restrict": ["type": "integer", "minimum": 1],
                                  "map": ["type": "boolean", "default": false]]),
        "NearestAnswer": object(["query": strings, "subtract": strings, "neighbours": ["type": "array", "items": neighbour],
                                 "map": ["type": "array", "items": object(["word": string, "x": number, "y": number], required: ["word", "x", "y"])],
                                 "projection": string],
                                required: ["query", "subtract", "neighbours"]),
        "AnalogyRequest": object(["a": string, "b": string, "c": string, "k": ["type": "integer", "minimum": 1, "default": 5],
                                  "method": ["type": "string", "enum": ["add", "mul"]], "restrict": ["type": "integer", "minimum": 1]],
                                 required: ["a", "b", "c"]),
        "AnalogyAnswer": object(["query": strings, "method": string, "neighbours": ["type": "array", "items": neighbour]],
                                required: ["query", "method", "neighbours"]),
        "SimilarityRequest": object(["first": string, "second": string], required: ["first", "second"]),
        "SimilarityAnswer": object(["first": string, "second": string, "similarity": number], required: ["first", "second", "similarity"]),
    ]
}
