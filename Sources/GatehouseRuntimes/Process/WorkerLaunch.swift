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

    var executable: String { sandbox.bubblewrap ?? "/bin/sh" }
    var workingDirectory: URL { sandboxed ? URL(fileURLWithPath: "/") : codeDirectory }

    func socketPath(privateDirectory: URL) -> String { privateDirectory.appendingPathComponent("sock").path }

    /// `<workRoot>/w<id>/` with `tmp/` and `secrets/<secret>/<key>` (0400 files in 0500
    /// directories): the worker's only writable place, removed when it stops.
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
        return directory
    }

    func arguments(privateDirectory: URL) -> [String] {
        let limits =
            "ulimit -v \(addressSpaceKiB) && ulimit -t \(process.effectiveCPUSeconds) && ulimit -n \(process.effectiveOpenFiles) && exec \"$@\""
        guard sandboxed else { return ["-c", limits, "gatehouse-worker"] + Self.diesWithGatehouse + command }
        let shell = ["-c", limits, "gatehouse-worker"] + command
        var arguments = sandbox.systemBinds(extra: interpreter.map { [$0.prefix] } ?? [])
        if process.network == true { arguments.append("--share-net") }
        arguments += [
            "--ro-bind", codeDirectory.path, "/code", "--ro-bind", runtimesDirectory.path, "/gatehouse-runtimes",
            "--bind", privateDirectory.path, "/gatehouse", "--chdir", "/code", "--clearenv",
        ]
        for (name, value) in environment(privateDirectory: privateDirectory) { arguments += ["--setenv", name, value] }
        return arguments + ["--", "/bin/sh"] + shell
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
