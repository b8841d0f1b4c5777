import Foundation
import GatehouseIdentity

/// The control plane's files (certificates, keys, the admin token, listeners.json), written by
/// the shared `AtomicFileWriter` with the permissions set before any byte is written; failures
/// are reported as `TLSMaterialError` naming the file.
enum AtomicFile {
    static let privateKeyPermissions = AtomicFileWriter.ownerOnly
    static let publicPermissions = AtomicFileWriter.worldReadable

    /// Writes `text` to a new file next to `url`, flushes it, then renames it over `url`.
    static func store(_ text: String, at url: URL, permissions: mode_t) throws(TLSMaterialError) {
        do {
            try AtomicFileWriter.replace(text.utf8, at: url, permissions: permissions)
        } catch {
            throw TLSMaterialError(path: error.path, reason: "cannot \(error.operation): \(error.reason)")
        }
    }
}
