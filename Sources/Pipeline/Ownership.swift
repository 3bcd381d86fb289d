import Foundation
import WordPipeSupport

/// What in a work directory is wordpipe's own, so that a run never removes or replaces anything
/// it did not create (DVC's rule that outputs never overwrite what they do not own).
///
/// - The work directory holds the marker `.wordpipe-workdir` when wordpipe made it (or found it
///   empty, or found the run lock `.wordpipe-run.lock` of an earlier wordpipe in it). A run
///   writes into no other folder: an existing folder holding other files is refused.
/// - Each stage directory `WORKDIR/STAGE` holds the marker `.wordpipe-stage`, written into the
///   temporary directory before the stage runs, so it moves into place with the outputs. A
///   path at `WORKDIR/STAGE` without it (a folder, a file, a link) is never removed: the run
///   stops and says so. Markers are not outputs (they are not hashed into the lock).
enum Ownership {
    /// The marker of a work directory that wordpipe made.
    static let workdirMarker = ".wordpipe-workdir"
    /// The marker of a stage directory that wordpipe made.
    static let stageMarker = ".wordpipe-stage"
    /// The run lock that earlier wordpipes (without markers) left in their work directories.
    static let legacyRunLock = ".wordpipe-run.lock"

    /// Whether `name` (an entry of a stage directory) is a marker rather than an output.
    static func isMarker(_ name: String) -> Bool { name == stageMarker || name == workdirMarker }

    /// Whether `path` is a directory (not a symbolic link) holding the regular file `marker`.
    static func isMarked(_ path: String, marker: String) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return false }
        guard lstat(path + "/" + marker, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFREG
    }

    /// Writes `marker` into the directory `path`.
    static func mark(_ path: String, marker: String) throws {
        let text = "This folder was made by wordpipe, which may replace or delete it on a later run.\n"
        let file = path + "/" + marker
        // POSIX calls, so that a full disk reads "No space left on device" (strerror), as the
        // other writers say it.
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        var failure = descriptor < 0 ? errno : 0
        if descriptor >= 0 {
            let written = text.utf8.withContiguousStorageIfAvailable { write(descriptor, $0.baseAddress, $0.count) } ?? -1
            if written != text.utf8.count { failure = written < 0 ? errno : ENOSPC }
            if close(descriptor) != 0 && failure == 0 { failure = errno }
            if failure != 0 { unlink(file) }
        }
        if failure != 0 {
            throw PipelineError(SourceLocation(path: file), "cannot write wordpipe's marker: \(String(cString: strerror(failure)))")
        }
    }

    /// Makes `workdir` wordpipe's own before a run writes into it: creates it (with its marker)
    /// when missing; marks it when it is empty or an earlier wordpipe's work directory; refuses
    /// a folder that holds other files, or a path that is not a folder.
    static func claim(workdir: String) throws {
        let manager = FileManager.default
        var status = stat()
        if stat(workdir, &status) != 0 {
            do {
                try manager.createDirectory(atPath: workdir, withIntermediateDirectories: true)
            } catch {
                throw PipelineError(SourceLocation(path: workdir), "cannot create the work directory: \(error.localizedDescription)")
            }
            try mark(workdir, marker: workdirMarker)
            return
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw PipelineError(SourceLocation(path: workdir), "the work directory is a file, not a folder; set another workdir")
        }
        var markerStatus = stat()
        if lstat(workdir + "/" + workdirMarker, &markerStatus) == 0, markerStatus.st_mode & S_IFMT == S_IFREG { return }
        let entries: [String]
        do {
            entries = try manager.contentsOfDirectory(atPath: workdir)
        } catch {
            throw PipelineError(SourceLocation(path: workdir), "cannot list the work directory: \(error.localizedDescription)")
        }
        guard entries.isEmpty || entries.contains(legacyRunLock) else {
            let shown = entries.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (entries.count > 3 ? ", …" : "")
            throw PipelineError(SourceLocation(path: workdir),
                                "the work directory holds files not made by wordpipe (\(shown)) and no \(workdirMarker) marker; "
                                + "wordpipe writes only into a folder of its own: set another workdir (a new or empty folder, such as build/ beside the pipeline file)")
        }
        try mark(workdir, marker: workdirMarker)
    }

    /// Checks that `path` (`WORKDIR/STAGE`) may be replaced: it is absent, or a stage directory
    /// wordpipe made. An unmarked folder whose files are all outputs the lock records for this
    /// stage (same size and modification time) was made by an earlier wordpipe without markers:
    /// it is marked and accepted.
    static func checkStageDirectory(_ path: String, stage: String, recorded: [FileRecord], base: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if isMarked(path, marker: stageMarker) { return }
        if status.st_mode & S_IFMT == S_IFDIR, !recorded.isEmpty,
           let entries = try? FileManager.default.contentsOfDirectory(atPath: path) {
            // Same size and nanosecond modification time as recorded: the file is that output.
            let outputs = Dictionary(recorded.map { (resolve($0.path, in: base), $0) }, uniquingKeysWith: { a, _ in a })
            let made = entries.allSatisfy { entry in
                guard let record = outputs[path + "/" + entry],
                      let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + entry) else { return false }
                return (attributes[.size] as? NSNumber)?.int64Value == record.size
                    && (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == record.modified
            }
            if !entries.isEmpty && made {
                try mark(path, marker: stageMarker)
                return
            }
        }
        let what = status.st_mode & S_IFMT == S_IFDIR ? "a folder" : status.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "a file"
        throw PipelineError(SourceLocation(path: path), stage: stage,
                            "the output path is \(what) not made by wordpipe (it has no \(stageMarker) marker), so wordpipe will not replace it; "
                            + "move it away (or delete it if it is yours to delete), rename the stage, or set another workdir")
    }

    /// `path` with symbolic links resolved in the part that exists (the rest appended as is).
    static func canonical(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            rest.append(PathNames.lastComponent(existing))
            existing = PathNames.parent(existing)
        }
        return path
    }
}
