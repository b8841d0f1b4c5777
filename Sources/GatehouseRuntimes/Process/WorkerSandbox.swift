import Foundation

/// How workers are isolated on this machine, probed once: bubblewrap when it is installed and
/// works here (it needs user namespaces), else plain processes with resource limits only, which
/// every function's status then warns of. Under bubblewrap, where this machine allows each:
/// when Gatehouse is root, bubblewrap itself runs as the host user `nobody` (so the worker's uid
/// 65534 is 65534 on the host too, not root, and RLIMIT_NPROC applies), nested user namespaces
/// are disabled (`--disable-userns`) and the `WorkerSeccomp` filter applies.
struct WorkerSandbox: Sendable {
    /// The `bwrap` executable, when it works.
    let bubblewrap: String?
    let merged: Bool
    /// The host uid bubblewrap and the workers run as, when Gatehouse is root (nil: Gatehouse's own).
    var hostUser: uid_t? = nil
    /// bubblewrap's `--disable-userns` (bubblewrap 0.8 and later).
    var disablesUserNamespaces = false
    /// The compiled system-call filter (nil: none could be compiled or loaded here).
    var seccomp: [UInt8]? = nil

    static let notIsolated =
        "bubblewrap (bwrap) is not available here, so workers run as plain processes: resource limits apply, but not filesystem or network isolation (install the Debian package 'bubblewrap')"

    /// `nobody`, the host user workers run as under a root Gatehouse.
    static let nobody: uid_t = 65534

    static func probe() -> WorkerSandbox {
        let merged = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/bin")) != nil
        let plain = WorkerSandbox(bubblewrap: nil, merged: merged)
        guard let bwrap = Executables.find("bwrap") else { return plain }
        var strongest = WorkerSandbox(bubblewrap: bwrap, merged: merged)
        if geteuid() == 0, Executables.find("setpriv") != nil, Executables.find("unshare") != nil, Executables.find("mount") != nil {
            strongest.hostUser = nobody
        }
        strongest.disablesUserNamespaces = Executables.output(of: bwrap, ["--help"])?.contains("--disable-userns") == true
        strongest.seccomp = WorkerSeccomp.compile()
        // The strongest sandbox this machine runs, else bubblewrap alone, else none.
        for candidate in [strongest, WorkerSandbox(bubblewrap: bwrap, merged: merged)] where candidate.works() {
            return candidate
        }
        return plain
    }

    /// Starts `/bin/true` in this sandbox and says whether it ran.
    private func works() -> Bool {
        let filter = seccomp.flatMap { Self.writeFilter($0, in: FileManager.default.temporaryDirectory.path) }
        defer { if let filter { unlink(filter) } }
        let (executable, all) = command(
            binding: [], views: FileManager.default.temporaryDirectory, filter: filter, bubblewrap: systemBinds() + ["--tmpfs", "/tmp"],
            inner: ["/bin/true"])
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: executable)
        probe.arguments = all
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    /// Writes the filter to a new 0400 file in `directory`, which a launch opens; its path, or nil.
    static func writeFilter(_ program: [UInt8], in directory: String) -> String? {
        let path = directory + "/gatehouse-seccomp-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).bpf"
        return FileManager.default.createFile(atPath: path, contents: Data(program), attributes: [.posixPermissions: 0o400]) ? path : nil
    }

    /// The command that starts `inner` in bubblewrap with `arguments`, each of `binds` bound
    /// read-only, and the filter file loaded. A shell, still Gatehouse's user, opens the filter as
    /// descriptor 3 and then becomes bubblewrap. The binds:
    /// - as Gatehouse's own user, bubblewrap binds descriptors the shell opened (4, 5, ...);
    /// - as `hostUser`, which may not reach the sources' paths (a 0700 data directory, an
    ///   interpreter under /root), the shell runs in a mount namespace of its own and first binds
    ///   each source onto a directory under `views` that `nobody` can reach; bubblewrap, under
    ///   setpriv, binds those.
    func command(
        binding binds: [(source: String, destination: String)], views: URL, filter: String?, bubblewrap arguments: [String],
        inner: [String]
    ) -> (executable: String, arguments: [String]) {
        var flags = arguments
        if disablesUserNamespaces { flags.append("--disable-userns") }
        var positional: [String] = []
        var script: [String] = []
        if let filter {
            positional.append(filter)
            script.append("exec 3<\"$1\" || exit 126;")
            flags += ["--seccomp", "3"]
        }
        if let hostUser, let setpriv = Executables.find("setpriv"), let unshare = Executables.find("unshare") {
            for (index, bind) in binds.enumerated() {
                let view = views.appendingPathComponent(String(index)).path
                positional += [bind.source, view]
                script.append("mount --bind \"$\(positional.count - 1)\" \"$\(positional.count)\" || exit 126;")
                flags += ["--ro-bind", view, bind.destination]
            }
            script.append("shift \(positional.count); exec \"$@\"")
            let user = [setpriv, "--reuid=\(hostUser)", "--regid=\(hostUser)", "--clear-groups", "--pdeathsig", "KILL", "--"]
            return (unshare, ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script.joined(separator: " "), "gatehouse-sandbox"] + positional + user + [bubblewrap ?? "bwrap"] + flags + ["--"] + inner)
        }
        for bind in binds {
            positional.append(bind.source)
            script.append("exec \(positional.count + 2)<\"$\(positional.count)\" || exit 126;")
            flags += ["--ro-bind-fd", String(positional.count + 2), bind.destination]
        }
        script.append("shift \(positional.count); exec \"$@\"")
        return ("/bin/sh", ["-c", script.joined(separator: " "), "gatehouse-sandbox"] + positional + [bubblewrap ?? "bwrap"] + flags + ["--"] + inner)
    }

    /// How many descriptors `command` leaves open for bubblewrap (3 and up): the worker closes them.
    func openedDescriptors(binds: Int, filter: Bool) -> Int { (filter ? 1 : 0) + (hostUser == nil ? binds : 0) }

    /// A read-only system, a fresh /proc and /dev, nothing of the host's users, as `nobody` in
    /// new namespaces (network too: `--share-net` is added when a function asks).
    func systemBinds() -> [String] {
        var arguments = [
            "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
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
            output(of: found, arguments)?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let executable = ask(probe), let prefix = ask(prefixProbe), !executable.isEmpty else { return nil }
        return (URL(fileURLWithPath: executable).resolvingSymlinksInPath().path, prefix)
    }
}

extension Executables {
    /// What `executable` prints on stdout when it exits 0, or nil.
    static func output(of executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the server logs once at start when workers cannot be isolated here.
public enum WorkerSandboxNotice {
    public static let text = WorkerSandbox.notIsolated
}
