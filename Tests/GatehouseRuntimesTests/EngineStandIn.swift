import Foundation

/// A stand-in engine from `Tests/EndToEnd/faas_engines.py`, run as a real process with the
/// end-to-end tests' virtualenv (it needs PyYAML). It stops when its stdin closes; `stop()`
/// returns the requests it found off the engine's API description.
final class EngineStandIn: Sendable {
    let process: Process
    let stdin: Pipe
    let stderr: Pipe
    let info: [String: String]

    var url: String { info["url"] ?? "" }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `.venv/bin/python`, which `scripts/test` and CI create before `swift test`.
    static var python: URL? {
        let python = packageRoot.appendingPathComponent(".venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: python.path) ? python : nil
    }

    static var available: Bool { python != nil }

    init(_ engine: String) throws {
        guard let python = Self.python else { throw StandInError.noVirtualenv }
        process = Process()
        process.executableURL = python
        process.arguments = [Self.packageRoot.appendingPathComponent("Tests/EndToEnd/faas_engines.py").path, engine]
        stdin = Pipe()
        stderr = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // The first line announces the URL once the server listens.
        var line: [UInt8] = []
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else { break }
            if first == 0x0A { break }
            line.append(first)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: String] else {
            process.terminate()
            throw StandInError.noAnnouncement(String(decoding: line, as: UTF8.self))
        }
        info = object
    }

    /// Stops the stand-in; returns its contract violations (empty when every request matched).
    func stop() -> String {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    enum StandInError: Error {
        case noVirtualenv
        case noAnnouncement(String)
    }
}
