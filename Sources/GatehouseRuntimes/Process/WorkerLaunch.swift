import Foundation
import GatehouseModel

/// How one function's workers are started: the command (under bubblewrap when it works here,
/// always under resource limits), the cleared environment, the private directory each gets.
struct WorkerLaunch: Sendable {
    let function: Function
    let org: String
    let process: Function.ProcessRuntime
    let codeDirectory: URL
    let runtimesDirectory: URL
    let interpreter: Interpreter?
    let sandbox: WorkerSandbox
    /// Where private directories go: short, since a Unix socket path has at most 107 bytes.
    let workRoot: URL
    let secrets: [String: [String: String]]
    let env: [String: String]
    /// The compiled system-call filter's file (see `WorkerSandbox.writeFilter`), under bubblewrap.
    let seccompFile: String?

    struct Interpreter: Sendable {
        let executable: String
        /// The tree the interpreter needs besides /usr (a pyenv installation), bound read-only.
        let prefix: String
    }

    private var sandboxed: Bool { sandbox.bubblewrap != nil }
    /// Paths as the worker sees them.
    private var code: String { sandboxed ? "/code" : codeDirectory.path }
    private var runtimes: String { sandboxed ? "/gatehouse-runtimes" : runtimesDirectory.path }
    private func inside(_ privateDirectory: URL) -> String { sandboxed ? "/gatehouse" : privateDirectory.path }

    var workingDirectory: URL { sandboxed ? URL(fileURLWithPath: "/") : codeDirectory }

    /// Where the worker's socket may be, as Gatehouse sees it. Under bubblewrap the private
    /// directory is a tmpfs inside the sandbox, reached through `/proc/<pid>/root` of one of the
    /// sandbox's processes (`pid` is the process Gatehouse started).
    func socketCandidates(privateDirectory: URL, pid: pid_t) -> [String] {
        guard sandboxed else { return [privateDirectory.appendingPathComponent("sock").path] }
        return ProcessTree.members(of: pid).dropFirst().map { "/proc/\($0)/root/gatehouse/sock" }
    }

    /// `<workRoot>/w<id>/` with `secrets/<secret>/<key>` (0400 files in 0500 directories), and,
    /// outside bubblewrap, `tmp/` and the socket: the worker's only writable place there, removed
    /// when it stops. Under bubblewrap only `secrets/` is used (bound read-only into the
    /// worker's tmpfs).
    func makePrivateDirectory(id: Int) throws -> URL {
        let manager = FileManager.default
        let directory = workRoot.appendingPathComponent("w\(id)", isDirectory: true)
        WorkRoot.remove(directory)
        try manager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try manager.createDirectory(
            at: directory.appendingPathComponent("tmp"), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let secretsDirectory = directory.appendingPathComponent("secrets", isDirectory: true)
        try manager.createDirectory(at: secretsDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for (name, values) in secrets {
            let dir = secretsDirectory.appendingPathComponent(name, isDirectory: true)
            try manager.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for (key, value) in values {
                guard manager.createFile(atPath: dir.appendingPathComponent(key).path, contents: Data(value.utf8), attributes: [.posixPermissions: 0o400])
                else { throw RuntimeError.system("the function's secret files could not be written") }
            }
            try manager.setAttributes([.posixPermissions: 0o500], ofItemAtPath: dir.path)
        }
        try manager.setAttributes([.posixPermissions: 0o500], ofItemAtPath: secretsDirectory.path)
        if sandboxed, let user = sandbox.hostUser { try prepareForHostUser(user, privateDirectory: directory) }
        return directory
    }

    /// The command and its arguments: under bubblewrap (see `WorkerSandbox.command`) or not,
    /// the worker's own command runs under `prlimit` with the function's limits.
    func command(privateDirectory: URL) -> (executable: String, arguments: [String]) {
        guard sandboxed else { return (Self.prlimit, limits(processes: false) + Self.diesWithGatehouse + command) }
        var binds = [
            (source: codeDirectory.path, destination: "/code"), (source: runtimesDirectory.path, destination: "/gatehouse-runtimes"),
            (source: privateDirectory.appendingPathComponent("secrets").path, destination: "/gatehouse/secrets"),
        ]
        if let prefix = interpreter?.prefix, !prefix.hasPrefix("/usr/"), prefix != "/usr" { binds.append((prefix, prefix)) }
        var arguments = sandbox.systemBinds()
        // The one writable place, a tmpfs of tmpMB: the private directory, with /tmp inside it.
        arguments += ["--size", String(process.effectiveTmpMB << 20), "--tmpfs", "/gatehouse", "--dir", "/gatehouse/tmp"]
        arguments += ["--symlink", "gatehouse/tmp", "/tmp"]
        if process.network == true { arguments.append("--share-net") }
        arguments += ["--chdir", "/code", "--clearenv"]
        for (name, value) in environment(privateDirectory: privateDirectory) { arguments += ["--setenv", name, value] }
        // The descriptors left open for bubblewrap are closed before the worker runs: an open
        // directory of the host's is a way out of any sandbox.
        let opened = sandbox.openedDescriptors(binds: binds.count, filter: seccompFile != nil)
        let closing = ["/bin/sh", "-c", (3..<(opened + 3)).map { "exec \($0)<&-;" }.joined(separator: " ") + #" exec "$@""#, "gatehouse-worker"]
        return sandbox.command(
            binding: binds, views: privateDirectory.appendingPathComponent("views"), filter: seccompFile, bubblewrap: arguments,
            inner: closing + [Self.prlimit] + limits(processes: true) + command)
    }

    /// prlimit (util-linux) options for the function's limits, in bytes where the kernel counts
    /// bytes. RLIMIT_NPROC only under bubblewrap: there it counts the processes of the worker's
    /// own user namespace, outside it those of Gatehouse's whole user.
    private func limits(processes: Bool) -> [String] {
        var options = [
            "--as=\(addressSpaceKiB * 1024)", "--cpu=\(process.effectiveCPUSeconds)", "--nofile=\(process.effectiveOpenFiles)",
            "--fsize=\(process.effectiveFileSizeMB << 20)",
        ]
        if processes { options.append("--nproc=\(process.effectiveMaxProcesses)") }
        return options + ["--"]
    }

    private static let prlimit = Executables.find("prlimit") ?? "/usr/bin/prlimit"

    /// Under a root Gatehouse the sandbox runs as `user`: the secrets become its own, the path to
    /// the private directory becomes passable (0711: not listable), and `views/` gets the
    /// directories the sources are bound onto (see `WorkerSandbox.command`).
    private func prepareForHostUser(_ user: uid_t, privateDirectory: URL) throws {
        let manager = FileManager.default
        for directory in [workRoot.deletingLastPathComponent(), workRoot, privateDirectory] where chmod(directory.path, 0o711) != 0 {
            throw RuntimeError.system("the worker's directory could not be prepared")
        }
        let views = privateDirectory.appendingPathComponent("views", isDirectory: true)
        for index in 0..<4 {
            try manager.createDirectory(at: views.appendingPathComponent(String(index)), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        // The code as uploaded may be 0600 (single files are stored so); `nobody` must read it.
        // Its data directory stays 0700, so no other host user gains anything.
        Self.makeReadableByOthers(codeDirectory)
        let secrets = privateDirectory.appendingPathComponent("secrets")
        let entries = (manager.enumerator(atPath: secrets.path)?.allObjects as? [String] ?? []).map { secrets.appendingPathComponent($0).path }
        for path in [secrets.path] + entries where chown(path, user, user) != 0 {
            throw RuntimeError.system("the function's secret files could not be given to the worker's user")
        }
    }

    /// Adds o+r to the files under `directory`, and o+x where the owner has x (directories, executables).
    private static func makeReadableByOthers(_ directory: URL) {
        let manager = FileManager.default
        let entries = (manager.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []).map { directory.appendingPathComponent($0).path }
        for path in [directory.path] + entries {
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFLNK else { continue }
            let mode = status.st_mode & 0o7777
            let wanted = mode | 0o004 | (mode & 0o100 != 0 ? 0o001 : 0)
            if wanted != mode { _ = chmod(path, wanted) }
        }
    }

    /// Outside bubblewrap (whose `--die-with-parent` does this), a worker still dies with the
    /// Gatehouse that started it, even one killed with SIGKILL: `setpriv --pdeathsig KILL`
    /// (util-linux) where it is installed. Without it a killed Gatehouse leaves workers behind.
    private static let diesWithGatehouse: [String] =
        Executables.find("setpriv").map { [$0, "--pdeathsig", "KILL", "--"] } ?? []

    /// Only what the function declared and what the bootstrap needs; nothing of Gatehouse's own.
    func environment(privateDirectory: URL) -> [String: String] {
        var environment = env
        let home = inside(privateDirectory)
        environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        environment["HOME"] = home + "/tmp"
        environment["TMPDIR"] = home + "/tmp"
        environment["LANG"] = "C.UTF-8"
        environment["GATEHOUSE_SOCKET"] = home + "/sock"
        environment["GATEHOUSE_SECRETS_DIR"] = home + "/secrets"
        environment["GATEHOUSE_FUNCTION"] = function.name
        environment["GATEHOUSE_ORG"] = org
        if process.language == .python3 {
            environment["PYTHONUNBUFFERED"] = "1"
            environment["PYTHONDONTWRITEBYTECODE"] = "1"
        }
        return environment
    }

    /// Node's V8 reserves about a GiB of address space before it runs anything, so its limit is
    /// the heap (`--max-old-space-size`) plus that reservation.
    private var addressSpaceKiB: Int {
        let megabytes = process.effectiveMemoryMB + (process.language == .node ? 1024 : 0)
        return megabytes * 1024
    }

    private var command: [String] {
        let parts = process.handler.split(separator: ".").map(String.init)
        let (module, entry) = (parts.dropLast().joined(separator: "/"), parts.last ?? "handle")
        switch process.language {
        case .python3:
            return [interpreter?.executable ?? "python3", "\(runtimes)/python3/bootstrap.py", parts.dropLast().joined(separator: "."), entry]
        case .node:
            return [
                interpreter?.executable ?? "node", "--max-old-space-size=\(process.effectiveMemoryMB)", "\(runtimes)/node/bootstrap.js",
                module, entry,
            ]
        case .exec:
            return ["\(code)/\(process.handler)"]
        }
    }
}
