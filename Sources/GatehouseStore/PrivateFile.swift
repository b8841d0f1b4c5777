import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files only the server's user may read: the database and the master key.
///
/// Plain POSIX calls, because the mode has to be right from the moment the file exists —
/// Foundation creates a file first and changes its mode afterwards.
enum PrivateFile {
    struct Failure: Error, CustomStringConvertible {
        var operation: String
        var path: String
        var code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// What `stat(2)` says about an existing file (symlinks followed), or nil if there is none.
    static func status(_ path: String) throws -> (permissions: UInt32, size: Int, isRegularFile: Bool)? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw Failure(operation: "inspect", path: path, code: errno)
        }
        let mode = UInt32(info.st_mode)
        return (mode & 0o7777, Int(info.st_size), mode & 0o170000 == 0o100000)
    }

    /// Creates the directory (and its parents) if missing, readable by the owner only.
    static func createDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Creates an empty file with mode 0600 unless one exists; an existing file is left alone.
    static func createIfMissing(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(operation: "create", path: path, code: errno) }
        close(fd)
    }

    /// Writes `bytes` to `path` with mode 0600 unless `path` already exists, and reports
    /// whether it wrote. The bytes go to a temporary file that is synced and then hard-linked
    /// into place, so `path` is never seen partly written, and a concurrent writer cannot be
    /// overwritten (link(2), unlike rename(2), fails when the target exists).
    static func writeNew(_ bytes: [UInt8], to path: String) throws -> Bool {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(operation: "create", path: temporary, code: errno) }
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    write(fd, buffer.baseAddress.map { $0 + written }, bytes.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw Failure(operation: "write", path: temporary, code: errno)
                }
                written += result
            }
            guard fsync(fd) == 0 else { throw Failure(operation: "sync", path: temporary, code: errno) }
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw Failure(operation: "link", path: path, code: errno)
        }
        syncDirectory(of: path)
        return true
    }

    /// Makes a new directory entry durable. Best effort: some file systems refuse to sync a
    /// directory, and the entry is then as durable as that file system makes it anyway.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
