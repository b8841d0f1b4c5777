import Foundation

/// How workers are isolated on this machine, probed once: bubblewrap when it is installed and
/// works here (it needs user namespaces), else plain processes with resource limits only, which
/// every function's status then warns of.
struct WorkerSandbox: Sendable {
    /// The `bwrap` executable, when it works.
    let bubblewrap: String?
    let merged: Bool

    static let notIsolated =
        "bubblewrap (bwrap) is not available here, so workers run as plain processes: resource limits apply, but not filesystem or network isolation (install the Debian package 'bubblewrap')"

    static func probe() -> WorkerSandbox {
        let merged = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/bin")) != nil
        guard let bwrap = Executables.find("bwrap") else { return WorkerSandbox(bubblewrap: nil, merged: merged) }
        let sandbox = WorkerSandbox(bubblewrap: bwrap, merged: merged)
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: bwrap)
        probe.arguments = sandbox.systemBinds(extra: []) + ["--", "/bin/true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do {
            try probe.run()
            probe.waitUntilExit()
        } catch {
            return WorkerSandbox(bubblewrap: nil, merged: merged)
        }
        return probe.terminationStatus == 0 ? sandbox : WorkerSandbox(bubblewrap: nil, merged: merged)
    }

    /// A read-only system, a fresh /proc, /dev and /tmp, nothing of the host's users, as
    /// `nobody` in new namespaces (network too: `--share-net` is added when a function asks).
    func systemBinds(extra readOnly: [String]) -> [String] {
        var arguments = [
            "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        ]
        if merged {
            arguments += ["--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/sbin", "/sbin"]
            if FileManager.default.fileExists(atPath: "/usr/lib64") { arguments += ["--symlink", "usr/lib64", "/lib64"] }
        } else {
            for dir in ["/bin", "/lib", "/lib64", "/sbin"] where FileManager.default.fileExists(atPath: dir) {
                arguments += ["--ro-bind", dir, dir]
            }
        }
        // Name resolution and TLS roots, for functions allowed the network.
        for file in ["/etc/resolv.conf", "/etc/hosts", "/etc/ssl", "/etc/ca-certificates", "/etc/nsswitch.conf", "/etc/localtime"]
        where FileManager.default.fileExists(atPath: file) {
            arguments += ["--ro-bind", file, file]
        }
        for path in readOnly where !path.hasPrefix("/usr/") && path != "/usr" {
            arguments += ["--ro-bind", path, path]
        }
        return arguments
    }
}

/// Finding executables on the gatehouse process's own PATH (workers get a minimal one).
enum Executables {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// An interpreter's real executable and the directory tree it needs, asked of the
    /// interpreter itself: a version manager's shim (pyenv) would not run in a cleared
    /// environment or a sandbox.
    static func interpreter(_ name: String, probe: [String], prefixProbe: [String]) -> (executable: String, prefix: String)? {
        guard let found = find(name) else { return nil }
        func ask(_ arguments: [String]) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: found)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { return nil }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let executable = ask(probe), let prefix = ask(prefixProbe), !executable.isEmpty else { return nil }
        return (URL(fileURLWithPath: executable).resolvingSymlinksInPath().path, prefix)
    }
}

/// What the server logs once at start when workers cannot be isolated here.
public enum WorkerSandboxNotice {
    public static let text = WorkerSandbox.notIsolated
}
