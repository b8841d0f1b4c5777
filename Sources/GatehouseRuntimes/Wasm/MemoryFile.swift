#if canImport(Glibc)
import Glibc
#endif

/// An anonymous file in memory (created in /dev/shm and unlinked at once): the module's stdin,
/// stdout and stderr. A pipe would deadlock once the module wrote more than the pipe holds,
/// since the module runs on the thread that would read it.
final class MemoryFile {
    let fd: Int32

    init(_ name: String) throws(RuntimeError) {
        var template = ((access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/gatehouse-\(name)-XXXXXX").utf8CString
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system("no temporary file for the module's \(name) (errno \(errno))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    /// A file holding `bytes`, positioned at its start (stdin).
    convenience init(_ name: String, holding bytes: [UInt8]) throws(RuntimeError) {
        try self.init(name)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw .system("writing the module's stdin failed (errno \(errno))") }
            written += count
        }
        lseek(fd, 0, SEEK_SET)
    }

    /// Everything written, at most `limit` bytes; `truncated` when there was more.
    func contents(limit: Int) -> (bytes: [UInt8], truncated: Bool) {
        let size = Int(lseek(fd, 0, SEEK_END))
        lseek(fd, 0, SEEK_SET)
        let wanted = min(size, limit)
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let count = bytes[done...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            done += count
        }
        return (Array(bytes[..<done]), size > limit)
    }

    deinit { close(fd) }
}
