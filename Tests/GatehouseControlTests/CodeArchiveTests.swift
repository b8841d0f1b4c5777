import Foundation
import GatehouseModel
import Testing

@testable import GatehouseControl

@Suite struct CodeArchiveTests {
    /// tar's listing (stdout) and its warnings (stderr) both outgrow a pipe's 64 KiB here: an
    /// archive whose 3,000 entries each carry an extended header tar does not know. Reading
    /// stdout to its end while tar waits to write stderr would never finish.
    @Test func aNoisyArchiveUnpacksWithoutWaitingForEver() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noisy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let blob = directory.appendingPathComponent("code.tar.gz")
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = [
            "python3", "-c",
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w:gz", format=tarfile.PAX_FORMAT) as t:
                for i in range(3000):
                    info = tarfile.TarInfo("f%d.txt" % i); info.size = 1
                    info.pax_headers = {"GATEHOUSE.noise": "y" * 10}
                    t.addfile(info, io.BytesIO(b"x"))
            """,
            blob.path,
        ]
        try maker.run()
        maker.waitUntilExit()
        #expect(maker.terminationStatus == 0)
        let target = directory.appendingPathComponent("out", isDirectory: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)

        // On a thread of its own, so a hang fails the test instead of stalling the run.
        let finished = DispatchSemaphore(value: 0)
        let outcome = UnpackOutcome()
        Thread.detachNewThread {
            do {
                try CodeArchive.unpack(blob, format: .tarGzip, filename: nil, into: target)
                outcome.set("ok")
            } catch {
                outcome.set("\(error)")
            }
            finished.signal()
        }
        let answered = await Task.detached { finished.wait(timeout: .now() + 60) == .success }.value
        #expect(answered, "unpacking never finished")
        #expect(outcome.value == "ok")
        #expect(FileManager.default.fileExists(atPath: target.appendingPathComponent("f2999.txt").path))
    }
}

private final class UnpackOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func set(_ value: String) { lock.withLock { text = value } }
    var value: String { lock.withLock { text } }
}
