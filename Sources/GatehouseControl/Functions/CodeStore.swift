import Crypto
import Foundation
import GatehouseModel

/// Uploaded code, content-addressed under `<data dir>/code`: the upload as it came in
/// `blobs/<sha256>`, unpacked in `<sha256>/`. The same bytes are kept and unpacked once,
/// whichever functions use them; runtimes read the unpacked directory (`DeployedFunction`).
struct CodeStore: Sendable {
    let root: URL

    var blobs: URL { root.appendingPathComponent("blobs", isDirectory: true) }

    func directory(for code: Function.Code) -> URL { root.appendingPathComponent(code.directoryName, isDirectory: true) }
    func blob(for code: Function.Code) -> URL { blobs.appendingPathComponent(code.hex) }

    /// Stores `bytes` and unpacks them; returns what the function records of its code.
    func store(_ bytes: [UInt8], format: Function.Code.Format, filename: String?) throws -> Function.Code {
        let hex = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let code = Function.Code(digest: "sha256:" + hex, size: bytes.count, format: format, filename: filename, uploadedAt: Date())
        let manager = FileManager.default
        try manager.createDirectory(at: blobs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let blob = self.blob(for: code)
        if !manager.fileExists(atPath: blob.path) {
            let temporary = blobs.appendingPathComponent(".upload-\(UUID().uuidString)")
            guard manager.createFile(atPath: temporary.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw CodeArchive.Failure.unreadable("the upload could not be written")
            }
            try manager.moveItem(at: temporary, to: blob)
        }
        let target = directory(for: code)
        if manager.fileExists(atPath: target.path) { return code }
        let staging = root.appendingPathComponent(".unpack-\(UUID().uuidString)", isDirectory: true)
        try manager.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        do {
            try CodeArchive.unpack(blob, format: format, filename: filename, into: staging)
            // Readable by the worker processes, which may run as another user under bubblewrap.
            _ = try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: staging.path)
            do {
                try manager.moveItem(at: staging, to: target)
            } catch where manager.fileExists(atPath: target.path) {
                try? manager.removeItem(at: staging)  // a concurrent upload of the same bytes won
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
        return code
    }
}
