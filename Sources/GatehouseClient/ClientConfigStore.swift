import Foundation
import GatehouseIdentity

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes the CLI's config file. Writes replace the file atomically with mode 0600
/// (it may hold tokens), under an exclusive lock (`<file>.lock`) that read-modify-write cycles
/// and token refreshes hold, so two CLI processes never spend one refresh token twice (which
/// the server takes for a stolen login, revoking it) or lose each other's writes.
public struct ClientConfigStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The file's settings; empty when there is no file.
    public func read() throws(ClientSettingsError) -> ClientConfigFile {
        guard FileManager.default.fileExists(atPath: path) else { return ClientConfigFile() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "cannot read it: \(error.localizedDescription)")
        }
        return try ClientConfigFile.parse(text, path: path)
    }

    /// Reads the file, lets `change` edit it, and writes the result, all under the lock.
    @discardableResult
    public func update<T>(
        isolation: isolated (any Actor)? = #isolation, _ change: (inout ClientConfigFile) async throws -> T
    ) async throws -> T {
        let lock = try FileLock(path: path + ".lock")
        defer { lock.release() }
        var file = try read()
        let result = try await change(&file)
        try write(file)
        return result
    }

    /// Replaces the file atomically, mode 0600 (its directory is created 0700 if missing).
    func write(_ file: ClientConfigFile) throws {
        do {
            try AtomicFileWriter.replace(Array(try file.yaml().utf8), at: URL(fileURLWithPath: path))
        } catch let error as AtomicFileWriter.Failure {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: error.description)
        }
    }
}

/// An exclusive `flock(2)` on a file of its own, held until `release` (or the process ends).
private final class FileLock {
    private let descriptor: Int32

    init(path: String) throws(ClientSettingsError) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "cannot open the lock: \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw ClientSettingsError.invalidConfigFile(path: path, reason: "cannot lock it: \(reason)")
            }
        }
    }

    func release() {
        close(descriptor)
    }
}
