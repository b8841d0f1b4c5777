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

    /// What the function will record of `bytes`, before anything is written.
    static func code(of bytes: [UInt8], format: Function.Code.Format, filename: String?) -> Function.Code {
        let hex = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return Function.Code(digest: "sha256:" + hex, size: bytes.count, format: format, filename: filename, uploadedAt: Date())
    }

    /// The entries of `code` in the code directory, as `CodeHolds` names them.
    static func entries(of code: Function.Code) -> [String] { [code.hex, code.directoryName] }

    /// Stores `bytes` and unpacks them (at most `maxUnpackedBytes`); returns what the function
    /// records of its code, its unpacked size measured. The caller holds `entries(of:)`: on a
    /// failure what was written stays for the next collection pass, which the caller runs.
    func store(_ bytes: [UInt8], as code: Function.Code, maxUnpackedBytes: Int) throws -> Function.Code {
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
        var stored = code
        let target = directory(for: code)
        if !manager.fileExists(atPath: target.path) {
            let staging = root.appendingPathComponent(".unpack-\(UUID().uuidString)", isDirectory: true)
            try manager.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            do {
                try CodeArchive.unpack(
                    blob, format: code.format, filename: code.filename, into: staging, maxUnpackedBytes: maxUnpackedBytes)
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
        }
        stored.unpackedBytes = Self.bytes(under: target)
        return stored
    }

    /// The sizes of the regular files under `directory` (links count nothing).
    static func bytes(under directory: URL) -> Int {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey])
        else { return 0 }
        var total = 0
        for case let file as URL in walker {
            guard let values = try? file.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey]), values.isRegularFile == true
            else { continue }
            total += values.fileSize ?? 0
        }
        return total
    }

    /// Removes stored code no function uses: blobs and unpacked directories whose digest is not
    /// in `used` nor in `spared` (what uploads in progress hold), and staging entries an upload
    /// abandoned (left when the server stopped mid-upload) last changed before `abandonedBefore`.
    /// Returns the number of entries removed.
    @discardableResult
    func removeUnused(keeping used: [Function.Code], sparing spared: Set<String>, abandonedBefore cutoff: Date) -> Int {
        let manager = FileManager.default
        let kept = Set(used.flatMap(Self.entries(of:))).union(spared)
        var removed = 0
        func sweep(_ folder: URL, keep: (String) -> Bool) {
            guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { return }
            for name in names where !keep(name) {
                let entry = folder.appendingPathComponent(name)
                if name.hasPrefix(".") {
                    guard let changed = (try? manager.attributesOfItem(atPath: entry.path))?[.modificationDate] as? Date,
                        changed < cutoff
                    else { continue }
                }
                if (try? manager.removeItem(at: entry)) != nil { removed += 1 }
            }
        }
        sweep(root) { $0 == "blobs" || kept.contains($0) }
        sweep(blobs) { kept.contains($0) }
        return removed
    }
}
