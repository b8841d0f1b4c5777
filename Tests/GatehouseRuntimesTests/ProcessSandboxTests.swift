import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

/// What bubblewrap and the limits hold a worker to on disk, in memory and in the kernel: files
/// past `fileSizeMB`, temp space past `tmpMB` (in /tmp and TMPDIR alike), the system calls the
/// filter refuses, nested user namespaces, descriptors of the host's directories. Each worker
/// that tries fails cleanly and the next invocation is served.
@Suite struct ProcessSandboxTests {
    /// Deploys the handler both these tests and the end-to-end ones use, with `limits` added to
    /// its process block.
    static func deploy(_ fixture: ProcessFixture, limits: String = "") throws -> DeployedFunction {
        let probe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../EndToEnd/sandbox_probe.py")
        return try fixture.deploy(["main.py": String(contentsOf: probe, encoding: .utf8)], process: #""language":"python3","handler":"main.handle""# + limits)
    }

    @Test func aFileLargerThanFileSizeMBFailsWithEFBIG() async throws {
        let fixture = try ProcessFixture()
        let function = try Self.deploy(fixture, limits: #","fileSizeMB":2,"tmpMB":16"#)
        let result = try await fixture.invoke(function, path: "/fill", query: "TMPDIR,8").json()
        #expect(result["errno"] as? String == "EFBIG", "\(result)")
        #expect(result["written"] as? Int == 2, "\(result)")
        #expect(try await fixture.invoke(function).text == "ok")
        await fixture.close()
    }

    @Test(arguments: ["/tmp", "TMPDIR"]) func temporarySpaceIsATmpfsOfTmpMB(directory: String) async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated, "bubblewrap must work here: the test script installs it")
        let function = try Self.deploy(fixture, limits: #","fileSizeMB":64,"tmpMB":4"#)
        let result = try await fixture.invoke(function, path: "/fill", query: "\(directory),32").json()
        #expect(result["errno"] as? String == "ENOSPC", "\(result)")
        #expect((result["written"] as? Int ?? 99) <= 4, "\(result)")
        let mounts = try await fixture.invoke(function, path: "/mounts").text
        let privateMount = try #require(mounts.split(separator: "\n").first { $0.contains(" /gatehouse tmpfs ") }, "\(mounts)")
        #expect(privateMount.contains("size=4096k"), "\(privateMount)")
        #expect(try await fixture.invoke(function).text == "ok")
        await fixture.close()
    }

    @Test func refusedSystemCallsFailWithEPERM() async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated)
        let function = try Self.deploy(fixture)
        let traced = try await fixture.invoke(function, path: "/ptrace").json()
        #expect(traced["result"] as? Int == -1 && traced["errno"] as? String == "EPERM", "\(traced)")
        #expect(try await fixture.invoke(function).text == "ok")
        await fixture.close()
    }

    @Test func aNestedUserNamespaceCannotBeMade() async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated)
        let function = try Self.deploy(fixture)
        let nested = try await fixture.invoke(function, path: "/unshare").json()
        #expect(nested["result"] as? Int == -1 && nested["errno"] as? String == "EPERM", "\(nested)")
        await fixture.close()
    }

    /// The descriptors bubblewrap bound the code, bootstraps and secrets from, and the filter's,
    /// are closed: a worker holding a host directory could walk out of its sandbox.
    @Test func noDescriptorOfTheHostReachesTheWorker() async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated)
        let function = try Self.deploy(fixture)
        let fds = try await fixture.invoke(function, path: "/fds").json()
        let targets = fds.values.compactMap { $0 as? String }
        #expect(!targets.isEmpty)
        #expect(targets.allSatisfy { !$0.hasPrefix("/") || $0.hasPrefix("/proc/") || $0 == "/dev/null" }, "\(fds)")
        await fixture.close()
    }

    @Test func theFilterCompilesAndRefusesNamespaceCalls() throws {
        let program = try #require(WorkerSeccomp.compile())
        // Classic BPF: 8 bytes an instruction, at least one per refused call.
        #expect(program.count % 8 == 0 && program.count / 8 > WorkerSeccomp.refused.count)
        #expect(WorkerSeccomp.refused.contains("unshare") && WorkerSeccomp.refused.contains("setns"))
    }
}

/// The worker's uid as the host sees it: `nobody` (65534) when Gatehouse is root, which maps
/// bubblewrap itself to it; Gatehouse's own uid otherwise. Read from the host's /proc.
@Suite struct ProcessHostUserTests {
    @Test func workersRunAsAnUnprivilegedHostUser() async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated)
        let function = try fixture.deploy(["main.py": "def handle(request):\n    return 'ok'\n"], process: #""language":"python3","handler":"main.handle""#)
        #expect(try await fixture.invoke(function).text == "ok")
        let pids = ProcessFixture.processes(of: function)
        try #require(!pids.isEmpty)
        let expected = geteuid() == 0 ? "65534" : String(getuid())
        for pid in pids {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let uids = try #require(status.split(separator: "\n").first { $0.hasPrefix("Uid:") }).split(whereSeparator: \.isWhitespace).dropFirst()
            #expect(Set(uids.map(String.init)) == [expected], "process \(pid): \(uids)")
        }
        await fixture.close()
    }

    /// RLIMIT_NPROC holds per worker: past maxProcesses a fork fails with EAGAIN, and the worker
    /// still answers.
    @Test func forkingPastMaxProcessesFailsWithEAGAIN() async throws {
        let fixture = try ProcessFixture()
        try #require(fixture.runtime.isolated)
        let function = try ProcessSandboxTests.deploy(fixture, limits: #","maxProcesses":16"#)
        let result = try await fixture.invoke(function, path: "/fork").json()
        #expect(result["errno"] as? String == "EAGAIN", "\(result)")
        #expect((result["forked"] as? Int ?? 99) < 16, "\(result)")
        #expect(try await fixture.invoke(function, path: "/fork").json()["errno"] as? String == "EAGAIN")
        await fixture.close()
    }
}
