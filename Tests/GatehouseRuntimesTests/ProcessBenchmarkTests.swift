import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import GatehouseRuntimes

/// The issue's performance targets for `process`, measured and printed (never asserted: the
/// machine is shared). Run with `GATEHOUSE_BENCH=1 swift test --filter ProcessBenchmark`;
/// figures go to `bench/README.md`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["GATEHOUSE_BENCH"] != nil))
struct ProcessBenchmarkTests {
    static let hello = "def handle(request):\n    return 'hello'\n"

    /// Warm invocations through the runtime (pool, deadline timer, log drain) against the same
    /// NIO client calling a worker's socket directly; blocks alternate to share the noise.
    @Test func warmInvocationOverhead() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(["main.py": Self.hello], process: #""language":"python3","handler":"main.handle""#)
        let direct = try await DirectWorker.start(code: function.codeDirectory!)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        head.headers.add(name: "host", value: "worker")
        head.headers.add(name: "content-length", value: "0")
        _ = try await fixture.invoke(function)
        var (throughRuntime, directly) = ([Double](), [Double]())
        for _ in 0..<10 {
            for _ in 0..<200 {
                let start = ContinuousClock.now
                let (response, _) = try await direct.connection.exchange(head, body: [], maxBodyBytes: 1 << 20)
                directly.append(Self.microseconds(ContinuousClock.now - start))
                #expect(response.status == .ok)
            }
            for _ in 0..<200 {
                let request = ProcessFixture.request(function)
                let start = ContinuousClock.now
                let response = try await fixture.runtime.invoke(request, function: function)
                throughRuntime.append(Self.microseconds(ContinuousClock.now - start))
                #expect(response.status == 200)
            }
        }
        direct.stop()
        let (p50Runtime, p50Direct) = (Self.percentile(throughRuntime, 0.5), Self.percentile(directly, 0.5))
        print(
            String(
                format: "process warm (python3, %d each, isolated: %@): direct p50 %.0f µs p99 %.0f µs; runtime p50 %.0f µs p99 %.0f µs; overhead p50 %.0f µs",
                directly.count, "\(fixture.runtime.isolated)", p50Direct, Self.percentile(directly, 0.99), p50Runtime,
                Self.percentile(throughRuntime, 0.99), p50Runtime - p50Direct))
        await fixture.close()
    }

    /// First invocation of a fresh function: spawn (sh + bubblewrap when it works), the
    /// interpreter's start, import, socket ready, connect, answer.
    @Test(arguments: [true, false])
    func pythonColdStart(bubblewrap: Bool) async throws {
        let fixture = try ProcessFixture(bubblewrap: bubblewrap)
        var samples: [Double] = []
        for _ in 0..<15 {
            let function = try fixture.deploy(["main.py": Self.hello], process: #""language":"python3","handler":"main.handle""#)
            let request = ProcessFixture.request(function)
            let start = ContinuousClock.now
            let response = try await fixture.runtime.invoke(request, function: function)
            samples.append(Self.microseconds(ContinuousClock.now - start))
            #expect(response.status == 200)
            await fixture.runtime.retain(only: [])
        }
        print(
            String(
                format: "process cold start (python3, isolated: %@, %d runs): p50 %.1f ms, min %.1f ms, max %.1f ms",
                "\(fixture.runtime.isolated)", samples.count, Self.percentile(samples, 0.5) / 1000, samples.min()! / 1000,
                samples.max()! / 1000))
        await fixture.close()
    }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

/// A python3 bootstrap started by hand (no pool, no sandbox, no limits), for the baseline.
private struct DirectWorker {
    let process: Process
    let connection: WorkerConnection
    let directory: URL

    static func start(code: URL) async throws -> DirectWorker {
        let directory = URL(fileURLWithPath: "/tmp/ghd-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let python = try #require(
            Executables.interpreter("python3", probe: ["-c", "import sys; print(sys.executable)"], prefixProbe: ["-c", "print(1)"]))
        let bootstrap = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/GatehouseRuntimes/Resources/runtimes/python3/bootstrap.py").standardized.path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.executable)
        process.arguments = [bootstrap, "main", "handle"]
        process.currentDirectoryURL = code
        process.environment = ["GATEHOUSE_SOCKET": directory.appendingPathComponent("sock").path, "PATH": "/usr/bin:/bin"]
        try process.run()
        let connection = try await WorkerConnection.connect(
            candidates: { [directory.appendingPathComponent("sock").path] }, group: MultiThreadedEventLoopGroup.singleton,
            deadline: .now + .seconds(10), stillStarting: { process.isRunning })
        return DirectWorker(process: process, connection: connection, directory: directory)
    }

    func stop() {
        connection.close()
        kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}
