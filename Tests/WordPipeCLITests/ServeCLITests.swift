import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import Embeddings
import Vocabulary

/// A `wordpipe serve` process on a free loopback port: started with `--port 0`, its port read
/// from its first stderr line, stopped with SIGTERM. A watchdog kills it after `limit` seconds,
/// so a server that does not stop fails the test instead of hanging it.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let reader: ArrivingLines
    private let watchdog: DispatchWorkItem

    struct NotListening: Error, CustomStringConvertible { var description: String }

    init(_ arguments: [String], limit: Double = 300) throws {
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        reader = ArrivingLines(errors.fileHandleForReading)
        var seen: [String] = []
        while let line = reader.next() {
            seen.append(line)
            if let range = line.range(of: "listening on http://127.0.0.1:") {
                port = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
                return
            }
        }
        throw NotListening(description: "serve ended before listening: \(seen.joined(separator: "\n"))")
    }

    /// Sends SIGTERM and waits: the exit status and the log lines written after the start.
    func stop() -> (status: Int32, log: [String]) {
        kill(process.processIdentifier, SIGTERM)
        var lines: [String] = []
        while let line = reader.next() { lines.append(line) }
        process.waitUntilExit()
        watchdog.cancel()
        return (process.terminationStatus, lines)
    }

    /// One request: the status and the body.
    func request(_ method: String, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func post(_ path: String, _ object: [String: Any]) async throws -> (status: Int, json: Any) {
        let answer = try await request("POST", path, body: try JSONSerialization.data(withJSONObject: object))
        return (answer.status, try JSONSerialization.jsonObject(with: answer.body))
    }
}

/// A minimal OpenAPI 3 schema check: `$ref`, `oneOf`, `nullable`, object `required` and
/// `additionalProperties: false`, arrays and scalar types. Returns what does not match.
struct SchemaCheck {
    let schemas: [String: Any]

    init(document: Any) throws {
        let root = try #require(document as? [String: Any])
        schemas = try #require((root["components"] as? [String: Any])?["schemas"] as? [String: Any])
    }

    func problems(_ value: Any, _ schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = schemas[String(ref.split(separator: "/").last ?? "")] as? [String: Any] else { return ["\(path): unknown \(ref)"] }
            return problems(value, target, at: path)
        }
        if let options = schema["oneOf"] as? [[String: Any]] {
            return options.contains { problems(value, $0, at: path).isEmpty } ? [] : ["\(path): matches no oneOf option"]
        }
        if value is NSNull { return schema["nullable"] as? Bool == true ? [] : ["\(path): null"] }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path): not an object"] }
            var result: [String] = []
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { result.append("\(path).\(key): missing") }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, item) in object {
                if let property = properties[key] as? [String: Any] {
                    result += problems(item, property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    result.append("\(path).\(key): not in the schema")
                }
            }
            return result
        case "array":
            guard let array = value as? [Any] else { return ["\(path): not an array"] }
            let items = schema["items"] as? [String: Any] ?? [:]
            return array.enumerated().flatMap { problems($1, items, at: "\(path)[\($0)]") }
        case "string": return value is String ? [] : ["\(path): not a string"]
        // (On Linux a JSON number may also read as Bool, so numbers are not told from booleans.)
        case "integer", "number": return value is NSNumber ? [] : ["\(path): not a number"]
        case "boolean": return value is Bool ? [] : ["\(path): not a boolean"]
        default: return []
        }
    }

    /// The 200 schema of `method path` in the document.
    static func answerSchema(_ document: Any, _ method: String, _ path: String) -> [String: Any]? {
        let paths = (document as? [String: Any])?["paths"] as? [String: Any]
        let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
        let ok = (operation?["responses"] as? [String: Any])?["200"] as? [String: Any]
        return ((ok?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }
}

/// Random unit-ish vectors for 300 words (seeded), as word2vec text, converted to native.
private func servedVectors(in directory: URL) throws -> String {
    var generator = SplitMix64(seed: 20)
    var text = "300 16\n"
    for index in 0..<300 {
        text += "w\(index) " + (0..<16).map { _ in String(format: "%.5f", Double(generator.next() % 2001) / 1000 - 1) }.joined(separator: " ") + "\n"
    }
    let vec = try ModelCLITests.write(text, "words.vec", in: directory)
    let native = directory.appendingPathComponent("words.wpv").path
    let converted = try CLI.run(["convert", vec, "-o", native])
    #expect(converted.status == 0, "\(converted.stderr)")
    return native
}

@Suite(.serialized) struct ServeCLITests {
    @Test("serve answers nearest, tag and classify as the command line does, each answer matching the OpenAPI document")
    func answersAsTheCommandLine() async throws {
        let models = try RawTextModels.shared.get()
        let vectors = try servedVectors(in: models.directory)
        let server = try ServeProcess(["--vectors", vectors, "--model", models.tagger, "--model", models.classifier])
        let document = try JSONSerialization.jsonObject(with: try await server.request("GET", "/openapi.json").body)
        let check = try SchemaCheck(document: document)
        func expectMatches(_ json: Any, _ method: String, _ path: String) {
            guard let schema = SchemaCheck.answerSchema(document, method, path) else {
                Issue.record("\(method) \(path) is not in /openapi.json")
                return
            }
            let problems = check.problems(json, schema)
            #expect(problems.isEmpty, "\(path): \(problems)")
        }

        let health = try await server.request("GET", "/healthz")
        #expect(health.status == 200)
        expectMatches(try JSONSerialization.jsonObject(with: health.body), "GET", "/healthz")

        // Nearest: the same neighbours and scores as `wordpipe nearest --json`.
        let words = ["w0", "w17", "w123", "w299"]
        let cli = try CLI.run(["nearest", "--vectors", vectors, "-k", "10", "--json"], stdin: Data((words.joined(separator: "\n") + "\n").utf8))
        #expect(cli.status == 0, "\(cli.stderr)")
        let lines = cli.stdout.split(separator: "\n")
        #expect(lines.count == words.count)
        for (word, line) in zip(words, lines) {
            let expected = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let answer = try await server.post("/v1/nearest", ["word": word, "k": 10])
            #expect(answer.status == 200)
            expectMatches(answer.json, "POST", "/v1/nearest")
            let got = try #require((answer.json as? [String: Any])?["neighbours"] as? [[String: Any]])
            let want = try #require(expected["neighbours"] as? [[String: Any]])
            #expect(got.map { $0["word"] as? String } == want.map { $0["word"] as? String }, "\(word)")
            for (g, w) in zip(got, want) {
                #expect(abs(((g["score"] as? Double) ?? 9) - ((w["score"] as? Double) ?? 0)) < 1e-6)
            }
        }
        // The map: one point per neighbour, after the query.
        let mapped = try await server.post("/v1/nearest", ["word": "w5", "k": 7, "map": true])
        expectMatches(mapped.json, "POST", "/v1/nearest")
        let map = try #require((mapped.json as? [String: Any])?["map"] as? [[String: Any]])
        #expect(map.count == 8)
        #expect(map.first?["word"] as? String == "w5")

        // Tag and classify: the same records as `tag --format text --json` and `classify --json --top 2`.
        let texts = ["John Smith went to Paris", "Zoë Čapek saw Mary in Zürich 😀", "the man went to New York"]
        let tagged = try CLI.run(["tag", "--model", models.tagger, "--format", "text", "--json"], stdin: Data((texts.joined(separator: "\n") + "\n").utf8))
        #expect(tagged.status == 0, "\(tagged.stderr)")
        for (text, line) in zip(texts, tagged.stdout.split(separator: "\n")) {
            let expected = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? NSDictionary
            let answer = try await server.post("/v1/tag", ["text": text])
            #expect(answer.status == 200)
            expectMatches(answer.json, "POST", "/v1/tag")
            #expect((answer.json as? NSDictionary) == expected, "\(text)")
        }
        let spans = try await server.post("/v1/tag", ["text": texts[1]])
        let entities = (spans.json as? [String: Any])?["entities"] as? [[String: Any]] ?? []
        #expect(entities.contains { $0["text"] as? String == "Zoë Čapek" && $0["start"] as? Int == 0 && $0["end"] as? Int == 9 }, "\(entities)")

        let reviews = ["the film was great", "an awful story"]
        let classified = try CLI.run(["classify", "--model", models.classifier, "--format", "text", "--json", "--top", "2"],
                                     stdin: Data((reviews.joined(separator: "\n") + "\n").utf8))
        let batch = try await server.post("/v1/classify", ["texts": reviews, "top": 2])
        #expect(batch.status == 200)
        expectMatches(batch.json, "POST", "/v1/classify")
        let answers = (batch.json as? [String: Any])?["answers"] as? [NSDictionary] ?? []
        let expected = try classified.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        #expect(answers.map { Optional($0) } == expected)

        let loaded = try await server.request("GET", "/v1/models")
        let artifacts = try JSONSerialization.jsonObject(with: loaded.body)
        expectMatches(artifacts, "GET", "/v1/models")
        #expect((artifacts as? [[String: Any]])?.compactMap { $0["kind"] as? String } == ["vectors", "tagger", "classifier"])

        // The page: one file, nothing fetched from elsewhere.
        let page = String(decoding: try await server.request("GET", "/").body, as: UTF8.self)
        #expect(page.contains("<title>wordpipe serve</title>"))
        #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("@import"))

        let (status, log) = server.stop()
        #expect(status == 0)
        #expect(log.filter { $0.hasPrefix("serve: POST /v1/") || $0.hasPrefix("serve: GET /") }.count >= 14, "\(log)")
        #expect(log.last == "serve: stopped on SIGTERM")
    }

    @Test("malformed, mistyped, oversized and unknown requests get a JSON error with a 4xx status naming the field; no 5xx")
    func badRequests() async throws {
        let models = try RawTextModels.shared.get()
        let vectors = try servedVectors(in: models.directory)
        let server = try ServeProcess(["--vectors", vectors, "--model", models.tagger, "--max-text", "1000"])
        let big = Data(#"{"word": ""#.utf8) + Data(repeating: 0x61, count: 10 << 20) + Data(#""}"#.utf8)
        let cases: [(String, String, Data?, Int, String?)] = [
            ("POST", "/v1/nearest", Data("{not json".utf8), 400, nil),
            ("POST", "/v1/nearest", Data(#"{"word": 5}"#.utf8), 400, "word"),
            ("POST", "/v1/nearest", Data(#"{"word": "w1", "k": "ten"}"#.utf8), 400, "k"),
            ("POST", "/v1/nearest", Data(#"{"word": "w1", "k": 1000000000}"#.utf8), 400, "k"),
            ("POST", "/v1/nearest", Data(#"{"word": "w1", "k": 0}"#.utf8), 400, "k"),
            ("POST", "/v1/nearest", Data(#"{"word": "w1", "restrict": -1}"#.utf8), 400, "restrict"),
            ("POST", "/v1/nearest", Data(#"{"word": "nowhere"}"#.utf8), 422, "word"),
            ("POST", "/v1/nearest", Data(#"{}"#.utf8), 400, "word"),
            ("POST", "/v1/nearest", Data(#"[1, 2]"#.utf8), 400, nil),
            ("POST", "/v1/nearest", big, 413, nil),
            ("POST", "/v1/analogy", Data(#"{"a": "w1", "b": "w2"}"#.utf8), 400, "c"),
            ("POST", "/v1/analogy", Data(#"{"a": "w1", "b": "w2", "c": "nowhere"}"#.utf8), 422, "c"),
            ("POST", "/v1/analogy", Data(#"{"a": "w1", "b": "w2", "c": "w3", "method": "div"}"#.utf8), 400, "method"),
            ("POST", "/v1/similarity", Data(#"{"first": "w1", "second": null}"#.utf8), 400, "second"),
            ("POST", "/v1/tag", Data(#"{"text": "a", "texts": ["b"]}"#.utf8), 400, "texts"),
            ("POST", "/v1/tag", Data(#"{"texts": [1]}"#.utf8), 400, "texts[0]"),
            ("POST", "/v1/tag", Data(#"{"text": "John", "model": "other"}"#.utf8), 404, "model"),
            ("POST", "/v1/tag", try JSONSerialization.data(withJSONObject: ["text": String(repeating: "Paris ", count: 200)]), 413, "text"),
            ("POST", "/v1/classify", Data(#"{"text": "x"}"#.utf8), 404, nil),
            ("GET", "/v1/nearest", nil, 404, nil),
            ("GET", "/etc/passwd", nil, 404, nil),
            ("DELETE", "/v1/models", nil, 404, nil),
        ]
        for (method, path, body, status, field) in cases {
            let answer = try await server.request(method, path, body: body)
            let label = "\(method) \(path) \(String(decoding: (body ?? Data()).prefix(60), as: UTF8.self))"
            #expect(answer.status == status, "\(label): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
            let error = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["status"] as? Int == status, "\(label)")
            #expect(error?["field"] as? String == field, "\(label): \(String(describing: error))")
            let message = error?["message"] as? String ?? ""
            #expect(message.count > 5, "\(label)")
        }
        // Still serving after all of them.
        #expect(try await server.request("GET", "/healthz").status == 200)
        let (status, log) = server.stop()
        #expect(status == 0)
        #expect(!log.contains { $0.range(of: #" 5\d\d "#, options: .regularExpression) != nil }, "\(log)")
    }

    @Test("a language model is served at /v1/generate with no server change: seeded samples equal generate --json, sampling options checked")
    func generates() async throws {
        let directory = try SharedData.temporaryDirectory()
        let train = try LanguageModelCLITests.write(LanguageModelCLITests.text(300, offset: 0), "train.txt", in: directory)
        let dev = try LanguageModelCLITests.write(LanguageModelCLITests.text(30, offset: 5), "valid.txt", in: directory)
        let model = directory.appendingPathComponent("lm.wpm").path
        let trained = try CLI.run(["train-lm", "--train", train, "--dev", dev, "-o", model] + LanguageModelCLITests.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let cli = try CLI.run(["generate", "--model", model, "--prompt", "the cat", "--seed", "7", "--max-tokens", "12", "--top-k", "3", "--json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let expected = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary

        let server = try ServeProcess(["--model", model])
        let document = try JSONSerialization.jsonObject(with: try await server.request("GET", "/openapi.json").body)
        let answer = try await server.post("/v1/generate", ["text": "the cat", "seed": 7, "max_tokens": 12, "top_k": 3])
        #expect(answer.status == 200)
        #expect((answer.json as? NSDictionary) == expected)
        let schema = try #require(SchemaCheck.answerSchema(document, "POST", "/v1/generate"))
        #expect(try SchemaCheck(document: document).problems(answer.json, schema).isEmpty)
        let bad = try await server.post("/v1/generate", ["text": "the cat", "top_p": -1])
        #expect(bad.status == 400)
        #expect(((bad.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "top_p")
        let mistyped = try await server.post("/v1/generate", ["text": "the cat", "temperature": "hot"])
        #expect(((mistyped.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "temperature")
        // The listing gives the vocabulary's size, not its words.
        let listed = try JSONSerialization.jsonObject(with: try await server.request("GET", "/v1/models").body)
        let artifact = (listed as? [[String: Any]])?.first
        #expect(artifact?["kind"] as? String == "language-model" && artifact?["labels"] == nil, "\(listed)")
        // The training text's words, and <pad>, <unk>, <eos>.
        let words = Set(LanguageModelCLITests.text(300, offset: 0).split(whereSeparator: \.isWhitespace)).count + 3
        #expect(artifact?["words"] as? Int == words, "\(listed)")
        #expect(server.stop().status == 0)
    }

    /// A field of /proc/PID/status in bytes (Linux), or nil.
    static func status(_ pid: Int32, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    @Test("serving a large mapped vector file keeps no full float32 copy: resident memory stays under the file's size above a tiny file's")
    func residentMemoryStaysBelowTheFile() async throws {
        guard Self.status(getpid(), "RssAnon") != nil else {
            print("skipped: /proc/PID/status has no RssAnon on this system")
            return
        }
        let directory = try SharedData.temporaryDirectory()
        let rows = 150_000, dim = 128  // 76.8 MB of rows
        var generator = SplitMix64(seed: 7)
        let matrix = (0 ..< rows * dim).map { _ in Float(Double(generator.next() % 20001) / 10000 - 1) }
        let big = directory.appendingPathComponent("big.wpv").path
        try WordVectors(vocabulary: Vocabulary(words: (0..<rows).map { "w\($0)" }, counts: (0..<rows).map { Int64(rows - $0) }),
                        dim: dim, matrix: matrix).write(to: big, format: .native)
        let tiny = try servedVectors(in: directory)
        /// RssAnon and VmRSS of a server on `path` after nearest, both analogies and similarity.
        func measure(_ path: String) async throws -> (anonymous: Int, resident: Int) {
            let server = try ServeProcess(["--vectors", path])
            for word in ["w1", "w2", "w3", "w200", "w150"] {
                #expect(try await server.post("/v1/nearest", ["word": word, "k": 10]).status == 200)
            }
            #expect(try await server.post("/v1/analogy", ["a": "w1", "b": "w2", "c": "w3"]).status == 200)
            #expect(try await server.post("/v1/analogy", ["a": "w1", "b": "w2", "c": "w3", "method": "mul"]).status == 200)
            #expect(try await server.post("/v1/similarity", ["first": "w1", "second": "w2"]).status == 200)
            let pid = server.process.processIdentifier
            let figures = (Self.status(pid, "RssAnon") ?? 0, Self.status(pid, "VmRSS") ?? 0)
            #expect(server.stop().status == 0)
            return figures
        }
        let small = try await measure(tiny)
        let large = try await measure(big)
        let rowBytes = rows * dim * 4
        // A float32 normalized copy alone is rowBytes of anonymous memory; the int8 copy with its
        // scales, errors and row scales is 27%, the vocabulary of 150,000 words a little more.
        #expect(large.anonymous - small.anonymous < rowBytes * 3 / 4,
                "anonymous: \(large.anonymous) bytes against \(small.anonymous) for a tiny file; rows \(rowBytes) bytes")
        // The mapped pages read to build the int8 copy are released; rescoring keeps at most an eighth.
        #expect(large.resident - small.resident < rowBytes,
                "resident: \(large.resident) bytes against \(small.resident) for a tiny file; rows \(rowBytes) bytes")
    }

    @Test("vectors with subwords answer unseen words from their n-grams (nearest with its map, similarity)")
    func unseenWordsFromNgrams() async throws {
        let directory = try SharedData.temporaryDirectory()
        let corpus = directory.appendingPathComponent("c.txt")
        let animals = ["horse", "donkey", "camel", "zebra"], colours = ["crimson", "scarlet", "violet", "yellow"]
        let lines = (0..<2000).map { index in
            index % 2 == 0 ? "the \(animals[(index / 2) % 4]) eats grass fast" : "a \(colours[(index / 2) % 4]) paint colour bright"
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: corpus)
        let vectors = directory.appendingPathComponent("v.wpv").path
        let train = try CLI.run(["train", corpus.path, "-o", vectors, "--min-count", "1", "--dim", "16", "--epochs", "3",
                                 "--subwords", "3-6", "--buckets", "5000", "--threads", "1", "--progress", "never"])
        #expect(train.status == 0, "\(train.stderr)")
        let cli = try CLI.run(["nearest", "--vectors", vectors, "horses", "-k", "3", "--json"])
        #expect(cli.status == 0, "\(cli.stderr)")

        let server = try ServeProcess(["--vectors", vectors])
        let nearest = try await server.post("/v1/nearest", ["word": "horses", "k": 3])
        #expect(nearest.status == 200, "\(String(describing: nearest.json))")
        let neighbours = ((nearest.json as? [String: Any])?["neighbours"] as? [[String: Any]])?.compactMap { $0["word"] as? String } ?? []
        #expect(neighbours.count == 3 && !neighbours.contains("horses"), "\(String(describing: nearest.json))")
        let mapped = try await server.post("/v1/nearest", ["word": "horses", "k": 3, "map": true])
        #expect(mapped.status == 200, "\(String(describing: mapped.json))")
        let points = ((mapped.json as? [String: Any])?["map"] as? [[String: Any]])?.compactMap { $0["word"] as? String } ?? []
        #expect(points.first == "horses" && points.count == 4, "\(String(describing: mapped.json))")
        // The unseen word is placed by its n-gram vector: not at the origin the empty row gave it.
        let first = ((mapped.json as? [String: Any])?["map"] as? [[String: Any]])?.first
        #expect(abs(first?["x"] as? Double ?? 0) + abs(first?["y"] as? Double ?? 0) > 1e-6, "\(String(describing: mapped.json))")
        let similarity = try await server.post("/v1/similarity", ["first": "horses", "second": "horse"])
        #expect(similarity.status == 200, "\(String(describing: similarity.json))")
        #expect(server.stop().status == 0)
    }

    @Test("an encoder-decoder is served at /v1/translate with no server change: answers equal translate --json, options checked")
    func translates() async throws {
        let directory = try SharedData.temporaryDirectory()
        let source = try Seq2SeqCLITests.write(Seq2SeqCLITests.german, "train.de", in: directory)
        let target = try Seq2SeqCLITests.write(Seq2SeqCLITests.english, "train.en", in: directory)
        let model = directory.appendingPathComponent("m.wpm").path
        let trained = try CLI.run(["train-seq2seq", "--source", source, "--target", target, "--dev-source", source, "--dev-target", target,
                                   "-o", model] + Seq2SeqCLITests.small)
        #expect(trained.status == 0, "\(trained.stderr)")
        let cli = try CLI.run(["translate", "--model", model, "--json", "--beam", "3"], stdin: Data("ein hund läuft\n".utf8))
        #expect(cli.status == 0, "\(cli.stderr)")
        let expected = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? NSDictionary

        let server = try ServeProcess(["--model", model])
        let document = try JSONSerialization.jsonObject(with: try await server.request("GET", "/openapi.json").body)
        let answer = try await server.post("/v1/translate", ["text": "ein hund läuft", "beam": 3])
        #expect(answer.status == 200, "\(String(describing: answer.json))")
        // The CLI's record, and the text.
        let answered = (answer.json as? [String: Any]) ?? [:]
        #expect(answered["text"] as? String == "ein hund läuft")
        #expect(NSDictionary(dictionary: answered.filter { $0.key != "text" }) == expected, "\(String(describing: answer.json)) against \(cli.stdout)")
        let schema = try #require(SchemaCheck.answerSchema(document, "POST", "/v1/translate"))
        #expect(try SchemaCheck(document: document).problems(answer.json, schema).isEmpty)
        let bad = try await server.post("/v1/translate", ["text": "ein hund", "beam": 0])
        #expect(bad.status == 400)
        #expect(((bad.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "beam", "\(String(describing: bad.json))")
        let listed = try JSONSerialization.jsonObject(with: try await server.request("GET", "/v1/models").body)
        let artifact = (listed as? [[String: Any]])?.first
        #expect(artifact?["kind"] as? String == "seq2seq" && artifact?["labels"] == nil && artifact?["words"] is Int, "\(listed)")
        #expect(server.stop().status == 0)
    }

    @Test("serve refuses nothing to serve, bad settings and a file of another kind before listening")
    func refusesBadStarts() throws {
        let models = try RawTextModels.shared.get()
        let nothing = try CLI.run(["serve"])
        #expect(nothing.status != 0 && nothing.stderr.contains("nothing to serve"), "\(nothing.stderr)")
        let port = try CLI.run(["serve", "--model", models.tagger, "--port", "70000"])
        #expect(port.status != 0 && port.stderr.contains("--port"), "\(port.stderr)")
        let kind = try CLI.run(["serve", "--vectors", models.tagger])
        #expect(kind.status != 0 && kind.stderr.contains("model"), "\(kind.stderr)")
        let missing = try CLI.run(["serve", "--model", models.directory.appendingPathComponent("none.wpm").path])
        #expect(missing.status != 0 && missing.stderr.contains("none.wpm"), "\(missing.stderr)")
    }
}
