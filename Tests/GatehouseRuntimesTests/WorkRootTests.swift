import Foundation
import Testing

@testable import GatehouseRuntimes

/// Work roots left by a Gatehouse that was killed (sockets, temp files, secret files in 0500
/// directories) are removed by the next one; those of running processes are not.
@Suite struct WorkRootTests {
    @Test func onlyWorkRootNamesHaveAnOwner() {
        #expect(WorkRoot.owner(of: "gatehouse-1234-987654321") == 1234)
        #expect(WorkRoot.owner(of: "gatehouse-stdin-AbC123") == nil)  // the wasm runtime's memory files
        #expect(WorkRoot.owner(of: "gatehouse-1234") == nil)
        #expect(WorkRoot.owner(of: "gatehouse-0-1") == nil)
        #expect(WorkRoot.owner(of: "gatehouse-12-x") == nil)
        #expect(WorkRoot.owner(of: "other-1234-1") == nil)
        let made = WorkRoot.makeDefault(parent: "/tmp").lastPathComponent
        #expect(WorkRoot.owner(of: made) == getpid())
    }

    @Test func abandonedRootsAreRemovedWithTheirSecretsAndLiveOnesKept() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("wr-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: parent) }
        let dead = try Self.exitedProcessID()
        let abandoned = try Self.makeRoot(in: parent, name: "gatehouse-\(dead)-42")
        let mine = try Self.makeRoot(in: parent, name: "gatehouse-\(getpid())-7")
        let alive = try Self.makeRoot(in: parent, name: "gatehouse-1-7")  // init never exits
        let unrelated = try Self.makeRoot(in: parent, name: "gatehouse-stdin-x1y2z3")

        #expect(WorkRoot.removeAbandoned(in: parent.path) == 1)
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        for kept in [mine, alive, unrelated] { #expect(FileManager.default.fileExists(atPath: kept.path)) }
        // The removal copes with the read-only secret directories a worker's private directory has.
        WorkRoot.remove(mine)
        #expect(!FileManager.default.fileExists(atPath: mine.path))
    }

    /// `<root>/<pool>/w1/secrets/db/password` laid out as `WorkerLaunch` does (0400 in 0500).
    private static func makeRoot(in parent: URL, name: String) throws -> URL {
        let root = parent.appendingPathComponent(name, isDirectory: true)
        let secret = root.appendingPathComponent("abc/w1/secrets/db", isDirectory: true)
        try FileManager.default.createDirectory(at: secret, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: secret.appendingPathComponent("password").path, contents: Data("pw".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: secret.appendingPathComponent("password").path)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: secret.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: secret.deletingLastPathComponent().path)
        return root
    }

    /// The id of a process that has exited and been reaped.
    private static func exitedProcessID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
