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
        // Bytes stored before are touched: the collector spares what was used lately, and the
        // function that will name them is not written yet.
        if manager.fileExists(atPath: blob.path) {
            try? manager.setAttributes([.modificationDate: Date()], ofItemAtPath: blob.path)
        } else {
            let temporary = blobs.appendingPathComponent(".upload-\(UUID().uuidString)")
            guard manager.createFile(atPath: temporary.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw CodeArchive.Failure.unreadable("the upload could not be written")
            }
            try manager.moveItem(at: temporary, to: blob)
        }
        let target = directory(for: code)
        if manager.fileExists(atPath: target.path) {
            try? manager.setAttributes([.modificationDate: Date()], ofItemAtPath: target.path)
            return code
        }
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

    /// Removes stored code no function uses: blobs and unpacked directories whose digest is not
    /// in `used`, and abandoned staging entries, all only when last changed before `cutoff` (an
    /// upload in progress has stored its bytes but not yet written its function). Returns the
    /// number of entries removed.
    @discardableResult
    func removeUnused(keeping used: [Function.Code], changedBefore cutoff: Date) -> Int {
        let manager = FileManager.default
        let directories = Set(used.map(\.directoryName))
        let hexes = Set(used.map(\.hex))
        var removed = 0
        func sweep(_ folder: URL, keep: (String) -> Bool) {
            guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { return }
            for name in names where !keep(name) {
                let entry = folder.appendingPathComponent(name)
                guard let changed = (try? manager.attributesOfItem(atPath: entry.path))?[.modificationDate] as? Date,
                    changed < cutoff
                else { continue }
                if (try? manager.removeItem(at: entry)) != nil { removed += 1 }
            }
        }
        sweep(root) { $0 == "blobs" || directories.contains($0) }
        sweep(blobs) { hexes.contains($0) }
        return removed
    }
}
