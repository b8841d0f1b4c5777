import ArgumentParser
import Foundation
import GatehouseClient

/// What `--code PATH` and `function code upload` send: a directory packed as `.tar.gz` (by GNU
/// tar, which every machine running the CLI has), a `.tar.gz`/`.tgz` or `.zip` as it is, any other
/// file as a single file under its own name.
enum CodePackage {
    static func make(from path: String) async throws -> AdminClient.CodeUpload {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(path): no such file or directory")
        }
        if isDirectory.boolValue { return AdminClient.CodeUpload(bytes: try await packDirectory(path), format: .tarGzip) }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read it") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let lowered = name.lowercased()
        if lowered.hasSuffix(".tar.gz") || lowered.hasSuffix(".tgz") { return AdminClient.CodeUpload(bytes: bytes, format: .tarGzip) }
        if lowered.hasSuffix(".zip") { return AdminClient.CodeUpload(bytes: bytes, format: .zip) }
        return AdminClient.CodeUpload(bytes: bytes, format: .file, filename: name)
    }

    /// `tar -czf` into a temporary file, awaited without holding a thread.
    private static func packDirectory(_ path: String) async throws -> Data {
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-code-\(UUID().uuidString).tar.gz")
        defer { try? FileManager.default.removeItem(at: archive) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Entries relative to the directory (`./main.py`), owners dropped: the server ignores them.
        process.arguments = ["tar", "-czf", archive.path, "--owner=0", "--group=0", "-C", path, "."]
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: ValidationError("cannot run tar to pack \(path): \(error)"))
            }
        }
        guard status == 0, let data = FileManager.default.contents(atPath: archive.path) else {
            throw ValidationError("tar could not pack \(path) (exit \(status))")
        }
        return data
    }
}
