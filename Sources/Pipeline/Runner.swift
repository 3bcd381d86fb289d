import Corpora
import Foundation
import WordPipeSupport

/// Options of `wordpipe run` that do not change what the stages compute.
public struct PipelineRunOptions: Sendable {
    /// Stages to rerun even when up to date: nil none, empty all.
    public var force: Set<String>?
    /// Stop after this stage.
    public var until: String?
    /// Run only these stages (others are used as they are).
    public var only: Set<String>?
    /// Print the plan without running.
    public var dryRun: Bool
    /// Threads for every stage.
    public var threads: Int
    /// Progress lines.
    public var progress: ProgressMode
    /// Seconds between progress lines when stderr is not a terminal.
    public var logEvery: Double = 10

    /// Creates options.
    public init(force: Set<String>? = nil, until: String? = nil, only: Set<String>? = nil, dryRun: Bool = false,
                threads: Int? = nil, progress: ProgressMode = .auto) {
        self.force = force
        self.until = until
        self.only = only
        self.dryRun = dryRun
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.progress = progress
    }
}

/// A stage after validation: its type, canonical configuration and resolved inputs.
struct PlannedStage {
    var definition: StageDefinition
    var type: StageType
    var configuration: Data
    /// Raw input files (expanded), and the upstream stages with the kind each provides.
    var rawFiles: [String]
    var upstream: [(stage: String, kind: ArtifactKind)]
    /// Data files named in the settings (hashed, not passed as inputs).
    var dataFiles: [String] = []
    var name: String { definition.name }
}

/// Why a stage runs (or does not).
public enum StageState: Sendable, Equatable, CustomStringConvertible {
    case upToDate
    case neverRun
    case changed([String])
    case forced

    public var description: String {
        switch self {
        case .upToDate: return "up to date"
        case .neverRun: return "never run"
        case .changed(let reasons): return "changed (\(reasons.joined(separator: "; ")))"
        case .forced: return "forced"
        }
    }
}

/// One line of a run's record.
public struct StageRun: Sendable {
    public var name: String
    public var type: String
    public var state: StageState
    public var ran: Bool
    public var seconds: Double
    /// Peak resident memory of the process after the stage, MB.
    public var peakMemoryMB: Double
    public var metrics: [String: Double]
    public var notes: [String]
    public var artifacts: [FileRecord]
    public var lossCurve: [(progress: Double, loss: Double)]
    /// The curves the report plots.
    public var curves: [ReportCurve]
    /// The stage's typed result (nil for a stage that did not run, recorded by a wordpipe
    /// before issue 14).
    public var result: (any StageResult)?

    init(name: String, type: String, state: StageState, ran: Bool, seconds: Double, peakMemoryMB: Double,
         metrics: [String: Double], artifacts: [FileRecord], result: (any StageResult)?) {
        self.name = name
        self.type = type
        self.state = state
        self.ran = ran
        self.seconds = seconds
        self.peakMemoryMB = peakMemoryMB
        self.metrics = metrics
        self.notes = result?.notes ?? []
        self.artifacts = artifacts
        self.lossCurve = (result?.lossCurve ?? []).map { (progress: $0.progress, loss: $0.loss) }
        self.curves = result?.curves ?? []
        self.result = result
    }
}

/// Validates a pipeline file, decides what is up to date, and runs the rest in dependency
/// order, each stage writing into a temporary directory renamed into place on success.
public final class PipelineRunner {
    public let file: PipelineFile
    let stages: [PlannedStage]
    /// The position of each stage in `stages`, by name.
    let position: [String: Int]
    var lockPath: String { file.directory + "/wordpipe.lock" }
    /// This pipeline's section name in the lock file (its sections are per work directory).
    var lockSection: String { URL(fileURLWithPath: file.path).lastPathComponent }

    /// Reads and validates everything before anything runs: unknown stage types, settings
    /// (unknown keys, wrong types), references to stages that do not exist, cycles, missing
    /// input files, inputs that are not regular files (devices, FIFOs), inputs of the wrong kind,
    /// and stage output directories that overlap an input. Each error names `file:line:column`
    /// and the stage. Takes time linear in the number of stages and inputs.
    public init(path: String, workdir: String? = nil) throws {
        file = try PipelineFile(path: path, workdir: workdir)
        let names = Set(file.stages.map(\.name))
        let definitions = Dictionary(file.stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let overlaps = OverlapCheck(workdir: file.workdir, stages: file.stages.map(\.name))
        var planned: [String: PlannedStage] = [:]
        for definition in file.stages {
            guard let type = StageType.named(definition.type) else {
                var message = "unknown stage type '\(definition.type)'"
                if let guess = StrictKeys.closest(to: definition.type, in: StageType.all.map(\.name)) { message += " (did you mean '\(guess)'?)" }
                message += "; valid types: \(StageType.all.map(\.name).joined(separator: ", "))"
                throw PipelineError(definition.typeLocation, stage: definition.name, message)
            }
            let configuration: Data
            do {
                configuration = try type.configure(definition.settings, file.directory)
            } catch {
                throw file.explain(error, in: definition)
            }
            var rawFiles: [String] = []
            var upstream: [(String, ArtifactKind)] = []
            for input in definition.inputs {
                if names.contains(input.text) {
                    guard input.text != definition.name else {
                        throw PipelineError(input.location, stage: definition.name, "a stage cannot be its own input")
                    }
                    guard let producer = definitions[input.text], let producerType = StageType.named(producer.type) else {
                        continue  // reported when that stage is checked
                    }
                    upstream.append((input.text, producerType.output))
                } else {
                    if input.text.contains(where: { "*?[".contains($0) }) {
                        try overlaps.checkPattern(resolve(input.text, in: file.directory), shown: input.text, at: input.location, stage: definition.name)
                    } else {
                        try overlaps.check(resolve(input.text, in: file.directory), shown: input.text, at: input.location, stage: definition.name)
                    }
                    let matches = Self.expand(input.text, in: file.directory)
                    if matches.isEmpty {
                        let looksLikeStage = !input.text.contains("/") && !input.text.contains(".")
                        var message = looksLikeStage ? "no stage or file named '\(input.text)'" : "input '\(input.text)' does not exist"
                        if looksLikeStage, let guess = StrictKeys.closest(to: input.text, in: Array(names)) { message += " (did you mean stage '\(guess)'?)" }
                        throw PipelineError(input.location, stage: definition.name, message)
                    }
                    for match in matches {
                        try overlaps.check(match, shown: input.text, at: input.location, stage: definition.name)
                        try Self.checkRegular(match, shown: input.text, at: input.location, stage: definition.name)
                    }
                    rawFiles += matches
                }
            }
            // Kinds: every required kind present, nothing it cannot take.
            var kinds = upstream.map(\.1)
            if !rawFiles.isEmpty { kinds.append(.raw) }
            let accepted = Set(type.required + type.optional)
            func wants() -> String {
                type.required.map(\.rawValue).joined(separator: " and ") + (type.optional.isEmpty ? "" : " (and optionally " + type.optional.map(\.rawValue).joined(separator: ", ") + ")")
            }
            for (index, kind) in kinds.enumerated() where !accepted.contains(kind) {
                let what = index < upstream.count ? "stage '\(upstream[index].0)' gives a \(kind.rawValue)" : "files are raw documents"
                let location = definition.inputs.first { $0.text == (index < upstream.count ? upstream[index].0 : $0.text) }?.location ?? definition.location
                throw PipelineError(location, stage: definition.name, "wrong kind of input: \(what), but \(type.name) wants \(wants())")
            }
            for kind in type.required where !kinds.contains(kind) {
                throw PipelineError(definition.location, stage: definition.name, "missing input: \(type.name) wants \(wants())")
            }
            let dataFiles = type.dataFiles(configuration, file.directory)
            for path in dataFiles {
                let location = file.settingLocation(path, in: definition)
                try overlaps.check(path, shown: path, at: location, stage: definition.name)
                try Self.checkRegular(path, shown: path, at: location, stage: definition.name)
            }
            planned[definition.name] = PlannedStage(definition: definition, type: type, configuration: configuration,
                                                    rawFiles: rawFiles, upstream: upstream.map { (stage: $0.0, kind: $0.1) },
                                                    dataFiles: dataFiles)
        }
        stages = try Self.order(planned, file: file)
        position = Dictionary(stages.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })
        // The pipeline file and its lock are read too.
        for path in [file.path, lockPath] {
            let standardized = URL(fileURLWithPath: path).standardized.path
            if let owner = overlaps.owner(of: standardized) {
                throw PipelineError(definitions[owner]?.location ?? SourceLocation(path: file.path), stage: owner,
                                    "the output directory \(file.workdir)/\(owner) would hold '\(path)', which a run of the stage replaces; "
                                    + "rename the stage or set another workdir")
            }
        }
    }

    /// Refuses an input that is not a regular file (a device such as /dev/zero, a FIFO, a
    /// socket), which hashing and reading would never finish or never repeat.
    static func checkRegular(_ path: String, shown: String, at location: SourceLocation, stage: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { return }  // missing files are reported where they are read
        let type = status.st_mode & S_IFMT
        guard type != S_IFREG && type != S_IFDIR else { return }
        let what = type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket" : type == S_IFCHR || type == S_IFBLK ? "a device" : "a special file"
        let detail = path.hasSuffix(shown) ? "" : " ('\(path)')"
        throw PipelineError(location, stage: stage, "input '\(shown)'\(detail) is \(what), not a regular file or folder; a pipeline reads files only")
    }

    /// Paths or globs relative to `directory`; directories are expanded to their files.
    static func expand(_ pattern: String, in directory: String) -> [String] {
        let full = resolve(pattern, in: directory)
        var paths: [String] = []
        if pattern.contains(where: { "*?[".contains($0) }) {
            var result = glob_t()
            defer { globfree(&result) }
            if glob(full, 0, nil, &result) == 0 {
                for index in 0..<Int(result.gl_pathc) {
                    if let pointer = result.gl_pathv[index] { paths.append(String(cString: pointer)) }
                }
            }
        } else if FileManager.default.fileExists(atPath: full) {
            paths = [full]
        }
        return paths.flatMap { (try? CorpusReader.expand([$0])) ?? [] }
    }

    /// Topological order (file order among independent stages); a cycle is an error. An
    /// iterative depth-first search, linear in stages and inputs (a chain of 40,000 stages
    /// neither recurses 40,000 deep nor searches the path for each step).
    static func order(_ planned: [String: PlannedStage], file: PipelineFile) throws -> [PlannedStage] {
        var result: [PlannedStage] = []
        result.reserveCapacity(planned.count)
        var done = Set<String>()
        // The current path: stage names with the index of the next upstream stage to visit,
        // and each name's place on it.
        var path: [(name: String, next: Int)] = []
        var onPath: [String: Int] = [:]
        for root in file.stages.map(\.name) where !done.contains(root) && planned[root] != nil {
            path.append((root, 0))
            onPath[root] = 0
            while let (name, next) = path.last {
                guard let stage = planned[name] else { break }
                if next < stage.upstream.count {
                    path[path.count - 1].next += 1
                    let dependency = stage.upstream[next].stage
                    if done.contains(dependency) || planned[dependency] == nil { continue }
                    if let start = onPath[dependency] {
                        let cycle = path[start...].map(\.name) + [dependency]
                        throw PipelineError(planned[dependency]?.definition.location ?? SourceLocation(path: file.path), stage: dependency,
                                            "cycle: \(cycle.joined(separator: " → "))")
                    }
                    onPath[dependency] = path.count
                    path.append((dependency, 0))
                } else {
                    path.removeLast()
                    onPath[name] = nil
                    done.insert(name)
                    result.append(stage)
                }
            }
        }
        return result
    }

    /// The stage directory of `name`.
    func directory(of name: String) -> String { file.workdir + "/" + name }

    /// The files a stage passes on (its primary output file).
    func primaryOutput(of name: String) -> String? {
        position[name].map { directory(of: name) + "/" + stages[$0].type.outputFile }
    }

    /// The input files of a stage as the stage sees them, by kind.
    func inputs(of stage: PlannedStage) -> [ArtifactKind: [String]] {
        var result: [ArtifactKind: [String]] = [:]
        if !stage.rawFiles.isEmpty { result[.raw] = stage.rawFiles }
        for (name, kind) in stage.upstream {
            if let output = primaryOutput(of: name) { result[kind, default: []].append(output) }
        }
        return result
    }

    /// Every file whose content decides a stage's result: raw inputs and upstream outputs
    /// (with their side files).
    func inputFiles(of stage: PlannedStage) -> [String] {
        var files = stage.rawFiles + stage.dataFiles
        for (name, _) in stage.upstream {
            files += Self.outputNames(in: directory(of: name)).map { directory(of: name) + "/" + $0 }
        }
        return files
    }

    /// The files of a stage directory, sorted, without wordpipe's marker.
    static func outputNames(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !Ownership.isMarker($0) }.sorted()
    }

    /// This pipeline's section of the lock file for its work directory.
    func readLock() throws -> LockFile {
        try LockFile.read(lockPath, pipeline: lockSection, workdir: file.workdir, base: file.directory)
    }

    /// Whether a stage is up to date against the lock, and if not, why.
    func state(of stage: PlannedStage, lock: LockFile, hasher: FileHasher) throws -> StageState {
        guard let record = lock.stages[stage.name] else { return .neverRun }
        var reasons: [String] = []
        if record.type != stage.type.versionedName { reasons.append("type \(record.type) → \(stage.type.versionedName)") }
        let configuration = String(decoding: stage.configuration, as: UTF8.self)
        if record.configuration != configuration {
            reasons.append("settings: " + Self.changedKeys(record.configuration, configuration).joined(separator: ", "))
        }
        let current = try inputFiles(of: stage).compactMap { try hasher.record($0) }
        let old = Dictionary(record.inputs.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(current.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let changedInputs = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
        if !changedInputs.isEmpty {
            reasons.append("inputs changed: " + changedInputs.prefix(3).joined(separator: ", ") + (changedInputs.count > 3 ? " and \(changedInputs.count - 3) more" : ""))
        }
        for output in record.outputs {
            let path = resolve(output.path, in: file.directory)
            guard let now = try hasher.record(path) else {
                reasons.append("output missing: \(output.path)")
                continue
            }
            if now.sha256 != output.sha256 { reasons.append("output changed: \(output.path)") }
        }
        return reasons.isEmpty ? .upToDate : .changed(reasons)
    }

    /// A JSON value as sorted-key text, for comparing settings.
    static func canonical(_ value: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }

    static func changedKeys(_ old: String, _ new: String) -> [String] {
        let a = (try? JSONSerialization.jsonObject(with: Data(old.utf8))) as? [String: Any] ?? [:]
        let b = (try? JSONSerialization.jsonObject(with: Data(new.utf8))) as? [String: Any] ?? [:]
        let keys = Set(a.keys).union(b.keys).sorted().filter { key in
            switch (a[key], b[key]) {
            case (nil, nil): return false
            case (let x?, let y?): return canonical(x) != canonical(y)
            default: return true
            }
        }
        return keys.map { key in "\(key) \(a[key].map { canonical($0).dropFirst().dropLast() } ?? "unset") → \(b[key].map { canonical($0).dropFirst().dropLast() } ?? "unset")" }
    }

    /// Each stage's state, in order (what `wordpipe status` prints).
    public func status() throws -> [(String, StageState)] {
        let lock = try readLock()
        let hasher = FileHasher(lock: lock, base: file.directory)
        var result: [(String, StageState)] = []
        var dirty = Set<String>()
        for stage in stages {
            var state = try self.state(of: stage, lock: lock, hasher: hasher)
            if state == .upToDate, let changed = stage.upstream.first(where: { dirty.contains($0.stage) }) {
                state = .changed(["upstream stage '\(changed.stage)' will change"])
            }
            if state != .upToDate { dirty.insert(stage.name) }
            result.append((stage.name, state))
        }
        return result
    }

    /// Runs what is not up to date. Returns one record per stage considered.
    public func run(options: PipelineRunOptions, log: (String) -> Void) throws -> [StageRun] {
        if let until = options.until, !stages.contains(where: { $0.name == until }) {
            throw PipelineError(SourceLocation(path: file.path), "no stage '\(until)' to stop after; stages: \(stages.map(\.name).joined(separator: ", "))")
        }
        for name in (options.only ?? []).union(options.force ?? []) where !stages.contains(where: { $0.name == name }) {
            throw PipelineError(SourceLocation(path: file.path), "no stage '\(name)'; stages: \(stages.map(\.name).joined(separator: ", "))")
        }
        // A dry run reads only: it neither creates the work directory nor takes its run lock.
        var guardFile: WorkdirLock?
        if !options.dryRun {
            try Ownership.claim(workdir: file.workdir)
            guardFile = try WorkdirLock(directory: file.workdir)
            // Temporaries of runs that died (killed stages that will not rerun, a lock update
            // cut short) go now, not only when their stage runs again.
            TemporaryPath.removeStale(in: file.workdir)
            TemporaryPath.removeStale(in: file.directory)
        }
        defer { guardFile?.release() }
        var lock = try readLock()
        let hasher = FileHasher(lock: lock, base: file.directory)
        var runs: [StageRun] = []
        var rebuilt = Set<String>()
        for stage in stages {
            if let only = options.only, !only.contains(stage.name) { continue }
            var state = try self.state(of: stage, lock: lock, hasher: hasher)
            if let force = options.force, force.isEmpty || force.contains(stage.name) { state = .forced }
            if state == .upToDate, let changed = stage.upstream.first(where: { rebuilt.contains($0.stage) }), options.dryRun {
                state = .changed(["upstream stage '\(changed.stage)' will change"])
            }
            if state == .upToDate {
                log("\(stage.name): up to date")
                // The report shows what the stage's last run reported, kept in the lock.
                let record = lock.stages[stage.name]
                let result = record?.result.flatMap(stage.type.decodeResult)
                runs.append(StageRun(name: stage.name, type: stage.type.versionedName, state: state, ran: false, seconds: record?.seconds ?? 0,
                                     peakMemoryMB: 0, metrics: record?.metrics ?? [:], artifacts: record?.outputs ?? [], result: result))
            } else if options.dryRun {
                log("\(stage.name): would run (\(state))")
                rebuilt.insert(stage.name)
            } else {
                log("\(stage.name): running \(stage.type.name) (\(state))")
                let run = try execute(stage, state: state, options: options, lock: &lock, hasher: hasher)
                runs.append(run)
                rebuilt.insert(stage.name)
                log(String(format: "%@: done in %.1f s", stage.name, run.seconds))
            }
            if stage.name == options.until { break }
        }
        if !options.dryRun { try Report.write(runs: runs, workdir: file.workdir, pipeline: file.path) }
        return runs
    }

    /// Runs one stage into a temporary directory, renames it into place, records it in the lock.
    func execute(_ stage: PlannedStage, state: StageState, options: PipelineRunOptions, lock: inout LockFile,
                 hasher: FileHasher) throws -> StageRun {
        let manager = FileManager.default
        let final = directory(of: stage.name)
        // Only a stage directory wordpipe made is ever replaced; checked before the stage runs.
        try Ownership.checkStageDirectory(final, stage: stage.name, recorded: lock.stages[stage.name]?.outputs ?? [], base: file.directory)
        let temporary = TemporaryPath.beside(final)
        // Leftovers of interrupted runs never look complete; clear them.
        for entry in (try? manager.contentsOfDirectory(atPath: file.workdir)) ?? [] where entry.hasPrefix(".\(stage.name).partial-") {
            try? manager.removeItem(atPath: file.workdir + "/" + entry)
        }
        try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        do {
            try Ownership.mark(temporary, marker: Ownership.stageMarker)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw StageError(stage: stage.name, underlying: error)
        }
        FaultInjection.reach("stage-start")
        let inputRecords = try inputFiles(of: stage).compactMap { try hasher.record($0) }
        let context = StageContext(name: stage.name, inputs: inputs(of: stage), outputDirectory: temporary,
                                   threads: options.threads, progress: options.progress, baseDirectory: file.directory,
                                   logEvery: options.logEvery)
        let clock = MonotonicClock.now()
        let outcome: any StageResult
        do {
            outcome = try stage.type.run(context, stage.configuration)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw StageError(stage: stage.name, underlying: error)
        }
        let seconds = MonotonicClock.now() - clock
        // Undefined figures (a correlation over too few pairs) are left out of the records.
        let metrics = outcome.metrics.filter { $0.value.isFinite }
        // The lock entry goes first (removed), then the directory moves into place, then the
        // new entry is written: a kill at any point leaves a stage that reruns.
        lock.stages[stage.name] = nil
        try writeLock(lock)
        if Ownership.isMarked(final, marker: Ownership.stageMarker) { try manager.removeItem(atPath: final) }
        FaultInjection.reach("stage-rename")
        try manager.moveItem(atPath: temporary, toPath: final)
        let outputs = try Self.outputNames(in: final).compactMap { try hasher.record(final + "/" + $0) }
        lock.stages[stage.name] = StageRecord(type: stage.type.versionedName, configuration: String(decoding: stage.configuration, as: UTF8.self),
                                              inputs: inputRecords, outputs: outputs, seconds: seconds,
                                              metrics: metrics, result: StageType.encodeResult(outcome))
        try writeLock(lock)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return StageRun(name: stage.name, type: stage.type.versionedName, state: state, ran: true, seconds: seconds,
                        peakMemoryMB: Double(usage.ru_maxrss) / 1024, metrics: metrics, artifacts: outputs, result: outcome)
    }

    func writeLock(_ lock: LockFile) throws {
        try lock.write(to: lockPath, pipeline: lockSection, workdir: file.workdir, base: file.directory)
    }
}

/// An error raised by a stage while it ran.
public struct StageError: Error, CustomStringConvertible {
    public var stage: String
    public var underlying: Error
    public var description: String { "stage '\(stage)': \(underlying)" }
}

/// An exclusive lock on a work directory, so two runs never share it.
final class WorkdirLock {
    private var descriptor: Int32

    init(directory: String) throws {
        let path = directory + "/.wordpipe-run.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PipelineError(SourceLocation(path: path), "cannot create the run lock: \(String(cString: strerror(errno)))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(descriptor)
            descriptor = -1
            throw PipelineError(SourceLocation(path: directory), "another wordpipe run (pid \(holder)) is using this work directory; wait for it to finish")
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    func release() {
        if descriptor >= 0 {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }
}

/// DVC's rule for outputs that overlap dependencies: a stage's output directory
/// (`WORKDIR/STAGE`, replaced by each run of the stage) must not be, contain or lie inside
/// anything the pipeline reads from outside its own stages (input files, folders and glob
/// matches, data files named in settings, the pipeline file and its lock). Each path is compared
/// through its own ancestors with a set of output directories, so checking is linear.
struct OverlapCheck {
    /// The work directory as written and with links resolved.
    let workdirs: [String]
    /// Output directories (both forms) → stage name.
    var outputs: [String: String] = [:]
    /// The work directory and every folder above it (both forms).
    var holders = Set<String>()

    init(workdir: String, stages: [String]) {
        workdirs = Array(Set([workdir, Ownership.canonical(workdir)]))
        for name in stages {
            for workdir in workdirs { outputs[workdir + "/" + name] = name }
        }
        for workdir in workdirs {
            var folder = workdir
            while true {
                holders.insert(folder)
                let parent = PathNames.parent(folder)
                if parent == folder || parent.isEmpty { break }
                folder = parent
            }
        }
    }

    /// The stage whose output directory is or holds `path` (absolute), if any.
    func owner(of path: String) -> String? {
        for form in Set([path, Ownership.canonical(path)]) {
            var folder = form
            while !folder.isEmpty && folder != "/" {
                if let owner = outputs[folder] { return owner }
                folder = PathNames.parent(folder)
            }
        }
        return nil
    }

    /// Throws, at `location`, when the glob `pattern` (absolute) would match the work directory,
    /// a folder above it or an output directory, even one that does not exist yet.
    func checkPattern(_ pattern: String, shown: String, at location: SourceLocation, stage: String) throws {
        func matches(_ path: String) -> Bool { fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0 }
        if let holder = holders.first(where: matches) {
            try check(holder, shown: shown, at: location, stage: stage)
        }
        // Output directories are WORKDIR/STAGE: compared only when the pattern's folder part
        // matches the work directory.
        let folder = PathNames.parent(pattern)
        if workdirs.contains(where: { fnmatch(folder, $0, FNM_PATHNAME | FNM_PERIOD) == 0 }),
           let output = outputs.keys.first(where: matches) {
            try check(output, shown: shown, at: location, stage: stage)
        }
    }

    /// Throws, at `location`, when the input `path` (absolute) overlaps an output directory.
    func check(_ path: String, shown: String, at location: SourceLocation, stage: String) throws {
        let standardized = URL(fileURLWithPath: path).standardized.path
        if holders.contains(standardized) || holders.contains(Ownership.canonical(standardized)) {
            throw PipelineError(location, stage: stage,
                                "input '\(shown)' holds the work directory \(workdirs[0]), where each stage's output directory is replaced "
                                + "on every run; name the files or folders to read, or move the work directory out of it")
        }
        if let owner = owner(of: standardized) {
            throw PipelineError(location, stage: stage,
                                "input '\(shown)' is inside the output directory of stage '\(owner)' (\(workdirs[0])/\(owner)), "
                                + "which a run of that stage replaces; use the stage's name as the input, rename the stage, or set another workdir")
        }
    }
}
