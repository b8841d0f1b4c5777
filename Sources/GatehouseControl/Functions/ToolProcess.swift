import Foundation

/// Runs one of the machine's tools (tar, python3, node) on uploaded code and collects what it
/// wrote, for the code's unpacking and build checks. Blocking: call it off the event loops
/// and the cooperative pool.
enum ToolProcess {
    struct Finished {
        var status: Int32
        var output: String
        var errors: String
    }

    enum StartFailure: Error, CustomStringConvertible {
        case noTemporaryFile
        case notStarted(String, any Error)

        var description: String {
            switch self {
            case .noTemporaryFile: "a temporary file could not be created"
            case .notStarted(let tool, let error): "\(tool) could not be started: \(error)"
            }
        }
    }

    /// `arguments[0]` is looked up on PATH.
    static func run(_ arguments: [String]) throws(StartFailure) -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        // stderr goes to an unlinked file, not a second pipe: reading one pipe to its end while
        // the tool fills the other would leave both waiting for ever.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-tool-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: errorPath, contents: nil, attributes: [.posixPermissions: 0o600]),
            let errors = FileHandle(forUpdatingAtPath: errorPath)
        else { throw .noTemporaryFile }
        unlink(errorPath)
        defer { try? errors.close() }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .notStarted(arguments.first ?? "a tool", error)
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errors.seek(toOffset: 0)
        let err = (try? errors.readToEnd()) ?? Data()
        return Finished(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            errors: String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
