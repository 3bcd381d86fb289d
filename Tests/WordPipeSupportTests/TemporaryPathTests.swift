import Foundation
import Testing
import TestSupport
import WordPipeSupport

/// `TemporaryPath`: one naming scheme for temporaries, and the sweep that removes a dead
/// process's leftovers and nothing else.
@Suite struct TemporaryPathTests {
    @Test func namesAreBesideTheOutputAndCarryTheOwner() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = TemporaryPath.beside(directory.path + "/vectors.wpv")
        #expect(path == directory.path + "/.vectors.wpv.partial-\(getpid())-\(TemporaryPath.processStart)")
        #expect(TemporaryPath.processStart > 0, "no start time from /proc/self/stat")
        let side = TemporaryPath.beside(directory.path + "/out.txt", suffix: ".phrases-pass1")
        #expect(side.hasPrefix(directory.path + "/.out.txt.phrases-pass1.partial-"))
    }

    @Test(arguments: [
        (".v.wpv.partial-123-456", true, Int32(123), UInt64(456) as UInt64?),
        (".vectors.partial-77", true, 77, nil),
        ("..x.partial-1-2.partial-9-10", true, 9, 10),
        ("v.wpv.partial-123-456", false, 0, nil),     // not hidden
        (".partial-123-456", false, 0, nil),           // no name
        (".v.partial-12a", false, 0, nil),
        (".v.partial-1-2-3", false, 0, nil),
        (".v.partial-", false, 0, nil),
        (".v.partial-0", false, 0, nil),
        (".notes.txt", false, 0, nil),
    ])
    func parsesOnlyTheScheme(name: String, matches: Bool, pid: Int32, start: UInt64?) {
        let owner = TemporaryPath.owner(ofEntry: name)
        #expect((owner != nil) == matches, "\(name)")
        if let owner {
            #expect(owner.pid == pid)
            #expect(owner.start == start)
        }
    }

    /// A process that has exited, for a PID that is certainly dead (until reused).
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func sweepRemovesDeadOwnersAndKeepsLiveOnesAndOthers() throws {
        let directory = try SharedData.temporaryDirectory()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer {
            kill(sleeper.processIdentifier, SIGKILL)
            sleeper.waitUntilExit()
        }
        let live = sleeper.processIdentifier
        let liveStart = try #require(TemporaryPath.startTime(of: live))
        let dead = try Self.deadPID()
        let names = [
            "dead-file": ".a.txt.partial-\(dead)-\(liveStart)",
            "dead-folder": ".stage.partial-\(dead)-1",
            "dead-legacy": ".b.txt.partial-\(dead)",
            // PID reuse: the PID runs, but it is another process (another start time).
            "reused": ".c.txt.partial-\(live)-\(liveStart + 12345)",
            "live": ".d.txt.partial-\(live)-\(liveStart)",
            "live-legacy": ".e.txt.partial-\(live)",
            "self": ".f.txt.partial-\(getpid())-\(TemporaryPath.processStart)",
            "user-file": "notes.partial-\(dead)-1",
            "user-hidden": ".notes",
        ]
        for (key, name) in names {
            let path = directory.appendingPathComponent(name).path
            if key == "dead-folder" {
                try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
                try Data("x".utf8).write(to: URL(fileURLWithPath: path + "/inner/state.json"))
            } else {
                try Data("x".utf8).write(to: URL(fileURLWithPath: path))
            }
        }
        let removed = Set(TemporaryPath.removeStale(in: directory.path))
        #expect(removed == Set(["dead-file", "dead-folder", "dead-legacy", "reused"].compactMap { names[$0] }))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(left == Set(["live", "live-legacy", "self", "user-file", "user-hidden"].compactMap { names[$0] }))
    }

    /// Creating a temporary under the registry's lock registers it; a failure unregisters it.
    @Test func registryFollowsCreation() throws {
        let directory = try SharedData.temporaryDirectory()
        let path = TemporaryPath.beside(directory.path + "/x.bin")
        let file = try OutputFile(path: directory.path + "/x.bin")
        #expect(TemporaryFiles.shared.registered.contains(path))
        #expect(FileManager.default.fileExists(atPath: path))
        try file.write([1, 2, 3])
        try file.commit()
        #expect(!TemporaryFiles.shared.registered.contains(path))
        #expect(!FileManager.default.fileExists(atPath: path))
        struct Failure: Error {}
        #expect(throws: Failure.self) { try TemporaryFiles.shared.creating("/nonexistent/y") { throw Failure() } }
        #expect(!TemporaryFiles.shared.registered.contains("/nonexistent/y"))
    }
}

/// `PathNames`: the component splits that Foundation's `NSString` methods trap on for some paths.
@Suite struct PathNamesTests {
    @Test func splitsPathsFoundationTrapsOn() {
        // `("/b/é/////l////" as NSString).lastPathComponent` stops with an illegal instruction.
        #expect(PathNames.lastComponent("/b/é/////l////") == "l")
        #expect(PathNames.parent("/b/é/////l////") == "/b/é")
        #expect(PathNames.parent(PathNames.parent("/b/é/////l////")) == "/b")
    }

    @Test func matchesTheUsualMeanings() {
        #expect(PathNames.lastComponent("a/b.txt") == "b.txt")
        #expect(PathNames.lastComponent("/") == "")
        #expect(PathNames.parent("/a") == "/")
        #expect(PathNames.parent("a") == "")
        #expect(PathNames.parent("a/b/") == "a")
        #expect(PathNames.appending("/tmp/", "x/y") == "/tmp/x/y")
        #expect(PathNames.pathExtension("v/x.tar.gz") == "gz")
        #expect(PathNames.pathExtension("v/.hidden") == "")
        #expect(PathNames.stem("models/ner.wpm") == "ner")
    }
}
