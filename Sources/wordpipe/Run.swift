import ArgumentParser
import Foundation
import Pipeline
import WordPipeSupport

/// `wordpipe run`: build a pipeline file's stages, rebuilding only what changed.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline file: every stage whose type, settings, inputs or outputs changed, and what depends on it.",
        discussion: "Writes each stage into WORKDIR/STAGE (default: build/ beside the pipeline file), records content hashes in wordpipe.lock beside it (per pipeline file and work directory), and writes WORKDIR/report.md and metrics.json.")

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(name: .customLong("force"), parsing: .upToNextOption, help: "Rerun these stages even when they are up to date; --force-all reruns every stage.")
    var force: [String] = []

    @Flag(help: "Rerun every stage.")
    var forceAll = false

    @Option(help: "Stop after this stage.")
    var until: String?

    @Option(parsing: .upToNextOption, help: "Run only these stages.")
    var only: [String] = []

    @Flag(help: "Print the plan without running (creates nothing, takes no lock).")
    var dryRun = false

    @Option(help: "Work directory (default: the pipeline's workdir, or build/ beside it).")
    var workdir: String?

    @OptionGroup var runOptions: RunOptionGroup<CorpusRunOffer>

    func run() throws {
        do {
            let runner = try PipelineRunner(path: pipeline, workdir: workdir)
            var options = PipelineRunOptions(force: forceAll ? [] : (force.isEmpty ? nil : Set(force)), until: until,
                                             only: only.isEmpty ? nil : Set(only), dryRun: dryRun,
                                             threads: runOptions.threads, progress: runOptions.progressMode)
            options.logEvery = runOptions.logInterval
            let clock = MonotonicClock.now()
            let runs = try runner.run(options: options) { print($0) }
            if !dryRun {
                let ran = runs.filter(\.ran).count
                for run in runs {
                    let summary = run.result?.summary ?? run.notes.first ?? ""
                    if !summary.isEmpty { print("  \(run.name): \(summary)") }
                }
                // The report's path as the user would type it: relative to the current directory when inside it.
                let current = FileManager.default.currentDirectoryPath + "/"
                let report = runner.file.workdir.hasPrefix(current) ? String(runner.file.workdir.dropFirst(current.count)) : runner.file.workdir
                print(String(format: "run: %d %@ ran, %d up to date, %.1f s; report: %@/report.md", ran, ran == 1 ? "stage" : "stages",
                             runs.count - ran, MonotonicClock.now() - clock, report))
            }
        } catch {
            throw StageFailure(stage: "run", underlying: error)
        }
    }
}

/// `wordpipe status`: what a run would do, stage by stage.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show each stage of a pipeline: up to date, changed (what changed) or never run.")

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "Work directory.")
    var workdir: String?

    func run() throws {
        do {
            let runner = try PipelineRunner(path: pipeline, workdir: workdir)
            for (name, state) in try runner.status() { print("\(name): \(state)") }
        } catch {
            throw StageFailure(stage: "status", underlying: error)
        }
    }
}
