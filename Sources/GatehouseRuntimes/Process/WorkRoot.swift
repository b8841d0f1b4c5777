import Foundation

/// Where workers' private directories live: `/tmp/gatehouse-<pid>-<random>/`, short because a
/// Unix socket's path has at most 107 bytes, and named by the Gatehouse process that owns it so
/// that what a killed Gatehouse left behind (sockets, temp files, secret files) can be found.
enum WorkRoot {
    static func makeDefault(parent: String = "/tmp") -> URL {
        URL(fileURLWithPath: "\(parent)/gatehouse-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
    }

    /// Removes a private directory or a whole work root. Secret files sit in 0500 directories,
    /// which only root may empty as they are: each directory is made writable first.
    static func remove(_ url: URL) {
        let manager = FileManager.default
        // A stopping worker may remove its own directory inside `url` meanwhile, which fails a
        // pass half-way: the next one finishes.
        for pass in 0..<5 where manager.fileExists(atPath: url.path) {
            if pass > 0 { usleep(20_000) }
            if let walker = manager.enumerator(at: url, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey]) {
                _ = chmod(url.path, 0o700)
                for case let entry as URL in walker {
                    let values = try? entry.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
                    if values?.isDirectory == true, values?.isSymbolicLink != true { _ = chmod(entry.path, 0o700) }
                }
            }
            try? manager.removeItem(at: url)
        }
    }

    /// Removes the work roots in `parent` of Gatehouse processes that no longer exist (killed
    /// with SIGKILL, or crashed: their workers died with them, bubblewrap's `--die-with-parent`
    /// or `setpriv --pdeathsig`, but the directories stay). A root whose process is alive, or
    /// whose process id was reused since, is left alone. Returns how many were removed.
    @discardableResult
    static func removeAbandoned(in parent: String = "/tmp") -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return 0 }
        var removed = 0
        for name in names {
            guard let pid = owner(of: name), pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            remove(URL(fileURLWithPath: parent).appendingPathComponent(name, isDirectory: true))
            removed += 1
        }
        return removed
    }

    /// The process id in a work root's name (`gatehouse-<pid>-<digits>`), or nil for any other name.
    static func owner(of name: String) -> pid_t? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "gatehouse", UInt32(parts[2]) != nil, let pid = pid_t(parts[1]), pid > 0
        else { return nil }
        return pid
    }
}
