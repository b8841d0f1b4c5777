import Foundation

/// A worker's Unix socket, opened as an `O_PATH` descriptor without following a final symbolic
/// link and checked to be a socket, then connected to through `/proc/self/fd/N`. The worker
/// owns the directory its socket is in: if Gatehouse connected by path, a worker could replace
/// the socket with a link to any socket of the host and have Gatehouse send requests there.
struct WorkerSocket {
    private let descriptor: Int32
    /// The path to connect to (short, whatever the socket's real path).
    var path: String { "/proc/self/fd/\(descriptor)" }

    struct NotYet: Error {}

    /// O_PATH, which Glibc exports to Swift only under _GNU_SOURCE (the value of x86-64 and arm64).
    private static let pathOnly: Int32 = 0o10_000_000

    /// The first of `candidates` that is a socket now, or nil.
    init?(firstOf candidates: [String]) {
        for candidate in candidates {
            let descriptor = open(candidate, Self.pathOnly | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            var status = stat()
            if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK {
                self.descriptor = descriptor
                return
            }
            close(descriptor)
        }
        return nil
    }

    func release() { close(descriptor) }
}
