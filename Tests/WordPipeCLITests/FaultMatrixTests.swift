import Foundation
import Testing
import TestSupport

/// The fault matrix of issue 13. Every stage type is killed with SIGKILL (through the
/// `WORDPIPE_FAULT` test hook of WordPipeSupport's `FaultInjection`) at four points, then the
/// pipeline is run again; and, where a tmpfs can be mounted, a disk runs full under every stage
/// type. After each fault: no file at a final path that is not complete, `status` true, and
/// after the rerun every stage up to date with no temporary left in the workspace or in the
/// temporary directory the runs were given.
@Suite(.serialized) struct FaultMatrixTests {
    /// One stage of every type, in the order the runner runs them.
    static let stages: [(name: String, type: String)] = [
        ("tokens", "tokenize"), ("phrased", "phrases"), ("vocab", "vocab"), ("vectors", "train"),
        ("eval", "evaluate"), ("ner", "train-tagger"), ("sentiment", "train-classifier"),
    ]

    static let yaml = """
    version: 1
    stages:
      tokens:
        type: tokenize
        inputs: [data/corpus.txt]
        with: { lowercase: true }
      phrased:
        type: phrases
        inputs: [tokens]
        with: { min_count: 2, threshold: 1 }
      vocab:
        type: vocab
        inputs: [phrased]
        with: { min_count: 1 }
      vectors:
        type: train
        inputs: [phrased, vocab]
        with: { dim: 8, epochs: 1, seed: 1, window: 2 }
      eval:
        type: evaluate
        inputs: [vectors]
        with: { pairs: [data/pairs.tsv] }
      ner:
        type: train-tagger
        inputs: [vectors]
        with: { train: data/ner.txt, dev: data/ner.txt, hidden: 8, epochs: 1, batch: 8 }
      sentiment:
        type: train-classifier
        inputs: [vectors]
        with: { train: data/sentiment.tsv, dev: data/sentiment.tsv, hidden: 8, epochs: 1, batch: 8 }

    """

    /// Where a stage is killed.
    enum Point: String, CaseIterable {
        /// The stage made its temporary directory and wrote nothing yet.
        case start = "stage-start"
        /// The stage wrote its first block of output (the encoded corpus, for `train`).
        case middle = "output-write:1"
        /// The stage's first output file is complete and synced, not yet renamed.
        case fileRename = "output-rename:1"
        /// The stage finished; its old directory is gone and the new one not yet renamed.
        case rename = "stage-rename"
    }

    /// Whether the stage had never run before it was killed, or was forced over a complete output.
    enum Variant: String { case firstRun = "first run", forced = "forced rerun" }

    // MARK: - The workspace

    /// A pipeline directory (pipe.yaml, data/, build/) and its own temporary directory.
    struct Workspace {
        let directory: URL
        /// Given to every wordpipe process as TMPDIR: whatever is left in it leaked.
        let temporary: URL
        /// The work directory (default build/ beside the pipeline file).
        var workdir: URL
        var pipeline: String { directory.appendingPathComponent("pipe.yaml").path }

        init() throws {
            let root = try SharedData.temporaryDirectory()
            directory = root.appendingPathComponent("pipe")
            temporary = root.appendingPathComponent("tmp")
            workdir = directory.appendingPathComponent("build")
            let data = directory.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            var corpus = ""
            let animals = ["cat", "dog", "cow", "horse"], colors = ["red", "blue", "green", "pink"]
            for index in 0..<600 {
                corpus += index % 2 == 0 ? "The \(animals[index % 4]) runs fast in New York.\n" : "A \(colors[index % 4]) paint dries slowly.\n"
            }
            try Data(corpus.utf8).write(to: data.appendingPathComponent("corpus.txt"))
            try Data("cat\tdog\t8\nred\tblue\t7\ncat\tred\t1\ndog\tpaint\t2\ncow\thorse\t8\n".utf8).write(to: data.appendingPathComponent("pairs.tsv"))
            try Data(ModelCLITests.conll(24, offset: 0).utf8).write(to: data.appendingPathComponent("ner.txt"))
            var rows = "label\tsentence\n"
            for index in 0..<32 {
                rows += index % 2 == 0 ? "pos\tthe \(animals[index % 4]) was great\n" : "neg\ta \(colors[index % 4]) paint was awful\n"
            }
            try Data(rows.utf8).write(to: data.appendingPathComponent("sentiment.tsv"))
            try Data(FaultMatrixTests.yaml.utf8).write(to: URL(fileURLWithPath: pipeline))
        }

        private init(directory: URL, temporary: URL, workdir: URL) {
            self.directory = directory
            self.temporary = temporary
            self.workdir = workdir
        }

        /// A copy in a fresh directory (the lock records paths relative to the pipeline file).
        func copy() throws -> Workspace {
            let root = try SharedData.temporaryDirectory()
            let copy = Workspace(directory: root.appendingPathComponent("pipe"), temporary: root.appendingPathComponent("tmp"),
                                 workdir: root.appendingPathComponent("pipe/build"))
            try FileManager.default.copyItem(at: directory, to: copy.directory)
            try FileManager.default.createDirectory(at: copy.temporary, withIntermediateDirectories: true)
            return copy
        }

        /// Deletes the workspace (its pipeline directory and TMPDIR share one parent).
        func remove() {
            try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
        }

        /// `wordpipe ARGS` with this workspace's TMPDIR and, when given, an armed fault point.
        func wordpipe(_ arguments: [String], fault: String? = nil) throws -> Outcome {
            try FaultMatrixTests.wordpipe(arguments, fault: fault, temporary: temporary)
        }

        var workdirArguments: [String] {
            workdir == directory.appendingPathComponent("build") ? [] : ["--workdir", workdir.path]
        }

        func run(_ extra: [String], fault: String? = nil) throws -> Outcome {
            try wordpipe(["run", pipeline, "--threads", "1", "--progress", "never"] + workdirArguments + extra, fault: fault)
        }

        /// `wordpipe status`, as stage name → state.
        func status() throws -> [String: String] {
            let result = try wordpipe(["status", pipeline] + workdirArguments)
            #expect(result.status == 0, "status failed: \(result.stderr)")
            var states: [String: String] = [:]
            for line in result.stdout.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                states[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return states
        }

        /// Every file at a final path (no hidden component) under the work directory, with its bytes.
        func finalFiles() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for path in FaultMatrixTests.walk(workdir) where !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let url = workdir.appendingPathComponent(path)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files[path] = try Data(contentsOf: url)
                }
            }
            return files
        }

        /// Temporaries left behind: anything in TMPDIR, and any name in the workspace that is a
        /// partial output or carries the id of one of `pids` (temporaries are named by owner).
        func leftovers(pids: [Int32]) throws -> [String] {
            var found = FaultMatrixTests.walk(temporary).map { "TMPDIR/" + $0 }
            let patterns = try pids.map { try Regex("(^|[^0-9])\($0)([^0-9]|$)") }
            for path in FaultMatrixTests.walk(directory) {
                let name = path.split(separator: "/").last.map(String.init) ?? path
                if name.contains(".partial-") || patterns.contains(where: { name.contains($0) }) { found.append(path) }
            }
            if !workdir.path.hasPrefix(directory.path + "/") {
                for path in FaultMatrixTests.walk(workdir) {
                    let name = path.split(separator: "/").last.map(String.init) ?? path
                    if name.contains(".partial-") || patterns.contains(where: { name.contains($0) }) { found.append("WORKDIR/" + path) }
                }
            }
            return found.sorted()
        }
    }

    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var pid: Int32
        var stdout: String
        var stderr: String
        var killed: Bool { reason == .uncaughtSignal && status == SIGKILL }
    }

    /// Runs the built binary with TMPDIR set to `temporary` and WORDPIPE_FAULT set to `fault`
    /// (or unset), its output captured in files (no pipe to fill up).
    static func wordpipe(_ arguments: [String], fault: String?, temporary: URL) throws -> Outcome {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary.path
        environment["WORDPIPE_FAULT"] = fault
        process.environment = environment
        let capture = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: capture) }
        let out = capture.appendingPathComponent("stdout"), err = capture.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Outcome(status: process.terminationStatus, reason: process.terminationReason, pid: process.processIdentifier,
                       stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                       stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    /// Relative paths of every entry under `root`, hidden ones included; empty when absent.
    static func walk(_ root: URL) -> [String] {
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: root.path) else { return [] }
        return names.sorted()
    }

    /// What `status` must say when the stages before `index` are complete, the one at `index`
    /// is in `state`, and the later ones never ran.
    static func expectedStatus(through index: Int, state: String) -> [String: String] {
        var expected: [String: String] = [:]
        for (position, stage) in stages.enumerated() {
            expected[stage.name] = position < index ? "up to date" : position == index ? state : "never run"
        }
        return expected
    }

    /// The checks after a kill: the process died by SIGKILL at the armed point; every final
    /// file is one that was there before, byte for byte (only the killed stage's directory may
    /// be gone, and then wholly); the lock still parses; `status` says `state` for the stage.
    static func expectKilled(_ outcome: Outcome, in workspace: Workspace, before: [String: Data], stage index: Int,
                             state: String, label: String) throws {
        let stage = stages[index].name
        #expect(outcome.killed, "\(label): not killed (status \(outcome.status)): \(outcome.stderr)")
        #expect(outcome.stderr.contains("fault injection: SIGKILL"), "\(label): the fault point was not reached: \(outcome.stderr)")
        let after = try workspace.finalFiles()
        for (path, data) in after {
            #expect(before[path] == data, "\(label): \(path) at a final path is new or changed after the kill")
        }
        let missing = Set(before.keys).subtracting(after.keys)
        if !missing.isEmpty {
            #expect(missing.allSatisfy { $0.hasPrefix(stage + "/") }, "\(label): files of other stages vanished: \(missing.sorted())")
            #expect(!after.keys.contains { $0.hasPrefix(stage + "/") }, "\(label): \(stage)/ is partly there: \(after.keys.sorted())")
        }
        if let lock = FileManager.default.contents(atPath: workspace.directory.appendingPathComponent("wordpipe.lock").path) {
            #expect((try? JSONSerialization.jsonObject(with: lock)) != nil, "\(label): wordpipe.lock is not complete JSON")
        }
        #expect(try workspace.status() == expectedStatus(through: index, state: state), "\(label): status after the kill")
        if state == "up to date" {
            #expect(!missing.contains { $0.hasPrefix(stage + "/") }, "\(label): status says up to date but \(stage)/ is gone")
        }
    }

    /// The checks after a rerun: it succeeded, every stage through `index` is up to date and the
    /// later ones never ran, and no temporary is left.
    static func expectRecovered(_ rerun: Outcome, in workspace: Workspace, killed: Int32, stage index: Int,
                                label: String) throws {
        #expect(rerun.status == 0 && rerun.reason == .exit, "\(label): rerun failed: \(rerun.stderr)")
        #expect(try workspace.status() == expectedStatus(through: index + 1, state: "never run"), "\(label): status after the rerun")
        let left = try workspace.leftovers(pids: [killed, rerun.pid])
        #expect(left.isEmpty, "\(label): temporaries left after the rerun: \(left)")
    }

    // MARK: - Tests

    /// SIGKILL at each point of each stage type (start, middle, the first file's rename, the
    /// stage directory's rename): once in a stage that never ran, once in a
    /// stage forced over its complete output. The stages before it were built by the previous
    /// rounds and are reused; the stages after it stay unbuilt.
    @Test func killedStagesLeaveNothingIncompleteAndRecover() throws {
        let clock = ContinuousClock.now
        var base = try Workspace()
        var made = [base]
        defer { for workspace in made { workspace.remove() } }
        for (index, stage) in Self.stages.enumerated() {
            var last = base
            for point in Point.allCases {
                let workspace = try base.copy()
                made.append(workspace)
                for variant in [Variant.firstRun, .forced] {
                    let label = "\(stage.type) (\(stage.name)) killed at \(point.rawValue), \(variant.rawValue)"
                    let before = try workspace.finalFiles()
                    let killed = try workspace.run(["--only", stage.name] + (variant == .forced ? ["--force", stage.name] : []),
                                                   fault: point.rawValue)
                    // Forced and killed before the rename, the old output is whole and still recorded.
                    let state = variant == .forced && point != .rename ? "up to date" : "never run"
                    try Self.expectKilled(killed, in: workspace, before: before, stage: index, state: state, label: label)
                    let rerun = try workspace.run(["--until", stage.name])
                    try Self.expectRecovered(rerun, in: workspace, killed: killed.pid, stage: index, label: label)
                    // The stage must have run in the first round, and not again in the forced one
                    // unless its output was lost (killed at the rename).
                    #expect(rerun.stdout.contains("\(stage.name): running") == (variant == .firstRun || point == .rename),
                            "\(label): \(rerun.stdout)")
                }
                last = workspace
            }
            base = last
        }
        print("fault matrix: \(Self.stages.count) stage types × \(Point.allCases.count) points × 2 variants took \(ContinuousClock.now - clock)")
    }
}

extension FaultMatrixTests {
    /// The hook itself: `POINT:N` fires on the N-th time, `POINT@FILE` only for that file, and
    /// a value that names no point (or a count below 1) arms nothing. `tokenize -o OUT` commits
    /// OUT, then `OUT.json`.
    @Test func faultHookCountsAndMatchesFileNames() throws {
        let directory = try SharedData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.txt")
        try CLI.writeCorpus(corpus, lines: 50)
        for (index, fault) in ["output-rename:2", "output-rename@out0.txt.json", "output-rename:0", "no-such-point", "output-rename@other.txt"].enumerated() {
            let out = directory.appendingPathComponent("out\(index).txt").path
            let result = try Self.wordpipe(["tokenize", corpus.path, "-o", out, "--progress", "never"], fault: fault.replacingOccurrences(of: "out0", with: "out\(index)"),
                                           temporary: directory)
            let fires = index < 2
            #expect(result.killed == fires, "\(fault): \(result.status) \(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: out), "\(fault): the first output is missing")
            #expect(FileManager.default.fileExists(atPath: out + ".json") == !fires, "\(fault)")
        }
    }

    /// SIGKILL while `wordpipe.lock` is replaced (new content synced, not yet renamed), at
    /// either write of a stage run: the one that drops the stage's entry before its directory
    /// moves, and the one that records it after. The lock stays whole, `status` tells the truth
    /// (a stage moved into place but not recorded is "never run", and runs again), the rerun
    /// recovers; a directory the killed run moved into place was complete (the rerun writes the
    /// same bytes).
    @Test(arguments: [1, 2]) func killedWhileTheLockIsWritten(write: Int) throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let built = try workspace.run(["--until", "tokens"])
        #expect(built.status == 0, "\(built.stderr)")
        for variant in [Variant.firstRun, .forced] {
            let label = "phrases killed at write \(write) of wordpipe.lock, \(variant.rawValue)"
            let before = try workspace.finalFiles()
            let killed = try workspace.run(["--only", "phrased"] + (variant == .forced ? ["--force", "phrased"] : []),
                                           fault: "output-rename@wordpipe.lock:\(write)")
            #expect(killed.killed, "\(label): not killed: \(killed.stderr)")
            let lock = try Data(contentsOf: workspace.directory.appendingPathComponent("wordpipe.lock"))
            #expect((try? JSONSerialization.jsonObject(with: lock)) != nil, "\(label): wordpipe.lock is not complete JSON")
            let after = try workspace.finalFiles()
            for (path, data) in before where !path.hasPrefix("phrased/") {
                #expect(after[path] == data, "\(label): \(path) changed")
            }
            let state = variant == .forced && write == 1 ? "up to date" : "never run"
            #expect(try workspace.status() == Self.expectedStatus(through: 1, state: state), "\(label): status after the kill")
            if state == "up to date" {
                #expect(after == before, "\(label): status says up to date, but the files changed")
            }
            let rerun = try workspace.run(["--until", "phrased"])
            try Self.expectRecovered(rerun, in: workspace, killed: killed.pid, stage: 1, label: label)
            let rebuilt = try workspace.finalFiles()
            for (path, data) in after where path.hasPrefix("phrased/") {
                #expect(rebuilt[path] == data, "\(label): \(path), moved into place by the killed run, differs from the rerun's")
            }
        }
    }
}

// MARK: - Full disk

/// Mounting a small tmpfs (root with CAP_SYS_ADMIN, as on CI).
enum Tmpfs {
    /// Whether a tmpfs can be mounted here (tried once).
    static let available: Bool = {
        guard geteuid() == 0, let directory = try? SharedData.temporaryDirectory() else { return false }
        defer { try? FileManager.default.removeItem(at: directory) }
        guard mount("tmpfs", directory.path, "tmpfs", 0, "size=1m") == 0 else { return false }
        umount(directory.path)
        return true
    }()

    /// Fills the file system holding `directory` with one file until writing fails; returns the file.
    static func fill(_ directory: URL) -> URL {
        let url = directory.appendingPathComponent("filler")
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let block = [UInt8](repeating: 0x5A, count: 1 << 16)
        for size in [block.count, 4096, 1] {
            while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, size) }) > 0 {}
        }
        close(descriptor)
        return url
    }
}

extension FaultMatrixTests {
    /// Each stage type runs on a full disk (the work directory and TMPDIR on a small tmpfs
    /// filled up first): it fails with an error naming the file and "No space left on device",
    /// leaves no output and no temporary, `status` says so, and once space is freed it runs.
    @Test(.enabled(if: Tmpfs.available, "needs root and a mountable tmpfs (mount -t tmpfs failed or not root): full-disk checks skipped"))
    func fullDiskFailsCleanlyAndRecovers() throws {
        let clock = ContinuousClock.now
        var workspace = try Workspace()
        defer { workspace.remove() }
        let mountPoint = try SharedData.temporaryDirectory()
        try #require(mount("tmpfs", mountPoint.path, "tmpfs", 0, "size=16m") == 0, "mount: \(String(cString: strerror(errno)))")
        defer {
            umount(mountPoint.path)
            try? FileManager.default.removeItem(at: mountPoint)
        }
        workspace.workdir = mountPoint.appendingPathComponent("build")
        let temporary = mountPoint.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        workspace = Workspace(copyOf: workspace, temporary: temporary)
        for (index, stage) in Self.stages.enumerated() {
            let label = "\(stage.type) (\(stage.name)) on a full disk"
            let filler = Tmpfs.fill(mountPoint)
            let failed = try workspace.run(["--until", stage.name])
            #expect(failed.status != 0 && failed.reason == .exit, "\(label): \(failed.stdout)\(failed.stderr)")
            #expect(failed.stderr.contains("No space left on device"), "\(label): \(failed.stderr)")
            #expect(failed.stderr.contains(mountPoint.path + "/"), "\(label): the error names no file on the full disk: \(failed.stderr)")
            // The first stage may fail while the work directory itself is claimed (its marker):
            // that error names the marker file, not a stage.
            #expect(failed.stderr.contains("stage '\(stage.name)'") || failed.stderr.contains(".wordpipe-workdir:"),
                    "\(label): the error names no stage: \(failed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: workspace.workdir.appendingPathComponent(stage.name).path), "\(label): output left")
            #expect(try workspace.status() == Self.expectedStatus(through: index, state: "never run"), "\(label): status after the failure")
            #expect(try workspace.leftovers(pids: [failed.pid]) == [], "\(label): temporaries left after the failure")
            try FileManager.default.removeItem(at: filler)
            let rerun = try workspace.run(["--until", stage.name])
            #expect(rerun.status == 0, "\(label): rerun after freeing space failed: \(rerun.stderr)")
            #expect(try workspace.status() == Self.expectedStatus(through: index + 1, state: "never run"), "\(label): status after the rerun")
            #expect(try workspace.leftovers(pids: [failed.pid, rerun.pid]) == [], "\(label): temporaries left after the rerun")
        }
        print("full disk: \(Self.stages.count) stage types took \(ContinuousClock.now - clock)")
    }
}

extension FaultMatrixTests.Workspace {
    /// The same workspace with another TMPDIR.
    init(copyOf other: Self, temporary: URL) {
        self.init(directory: other.directory, temporary: temporary, workdir: other.workdir)
    }
}
