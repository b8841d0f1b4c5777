import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that readers never see half done, with the permissions set before any byte
/// is written (a private key must never exist, even briefly, with group or world access).
enum AtomicFile {
    static let privateKeyPermissions: mode_t = 0o600
    static let publicPermissions: mode_t = 0o644

    /// Writes `text` to a new file next to `url`, flushes it, then renames it over `url`.
    static func store(_ text: String, at url: URL, permissions: mode_t) throws(TLSMaterialError) {
        let path = url.path
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        func failure(_ action: String, at file: String = path) -> TLSMaterialError {
            TLSMaterialError(path: file, reason: "cannot \(action): \(String(cString: strerror(errno)))")
        }

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw failure("create a temporary file", at: temporary) }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do throws(TLSMaterialError) {
            // The umask may have narrowed the mode given to open; set it exactly.
            guard fchmod(descriptor, permissions) == 0 else { throw failure("set permissions", at: temporary) }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", at: temporary)
                }
                written += result
            }
            guard fsync(descriptor) == 0 else { throw failure("flush", at: temporary) }
            closed = true
            guard close(descriptor) == 0 else { throw failure("close", at: temporary) }
            guard rename(temporary, path) == 0 else { throw failure("replace") }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
