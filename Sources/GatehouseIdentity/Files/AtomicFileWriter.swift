import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a file atomically: a temporary file created with its final mode (a private key is
/// never readable by others, even briefly), written, synced, then renamed over the target.
/// Readers see the old file or the new one, never a mix. The one writer for Gatehouse's own
/// files: signing keys here, certificates, the admin token and listeners.json in the control
/// plane, the CLI's config file in the client (both depend on this module).
public enum AtomicFileWriter {
    public static let ownerOnly: mode_t = 0o600
    public static let worldReadable: mode_t = 0o644

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var operation: String
        public var path: String
        public var reason: String
        public var description: String { "cannot \(operation) \(path): \(reason)" }
    }

    public static func replace(_ bytes: some Collection<UInt8>, at url: URL, permissions: mode_t = ownerOnly) throws(Failure) {
        let path = url.path
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(operation: "create the directory of", path: path, reason: "\(error)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        func failure(_ operation: String, _ file: String) -> Failure {
            Failure(operation: operation, path: file, reason: String(cString: strerror(errno)))
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        var isOpen = true
        defer { if isOpen { close(descriptor) } }
        do throws(Failure) {
            // The umask may have narrowed the mode given to open; set it exactly.
            guard fchmod(descriptor, permissions) == 0 else { throw failure("set the mode of", temporary) }
            let content = Array(bytes)
            var written = 0
            while written < content.count {
                let result = content[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", temporary)
                }
                written += result
            }
            guard fsync(descriptor) == 0 else { throw failure("sync", temporary) }
            isOpen = false
            guard close(descriptor) == 0 else { throw failure("close", temporary) }
            guard rename(temporary, path) == 0 else { throw failure("replace", path) }
        } catch {
            unlink(temporary)
            throw error
        }
        // Make the rename durable; best effort, as some file systems refuse to sync a directory.
        let directoryDescriptor = open(directory.path, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
