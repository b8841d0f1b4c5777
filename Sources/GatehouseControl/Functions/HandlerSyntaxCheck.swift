import Foundation
import GatehouseModel
import GatehouseRuntimes

/// Compiles a process function's handler file at build time, without running any of it
/// (python's `compile()`, `node --check`): code with a syntax error builds to status `error`
/// with the file, line and reason, rather than `ready` and a worker that dies on every call.
/// What the tool says names files relative to the code, never a host path.
enum HandlerSyntaxCheck {
    /// Bounds a check of hostile code (a file built to make the compiler work for ever).
    static let timeLimitSeconds = 30

    /// Why the handler does not compile, or nil when it does (or its language has no check).
    static func failure(of function: DeployedFunction) -> String? {
        guard let process = function.function.process, let code = function.codeDirectory,
            let file = handlerFile(process, in: code)
        else { return nil }
        let command: [String]
        switch process.language {
        case .python3: command = ["python3", "-I", "-c", pythonScript, code.appendingPathComponent(file).path, file]
        case .node: command = ["node", "--check", code.appendingPathComponent(file).path]
        case .exec: return nil
        }
        let finished: ToolProcess.Finished
        do {
            finished = try ToolProcess.run(["timeout", "-s", "KILL", "\(timeLimitSeconds)"] + command)
        } catch {
            return nil  // the runtime found the interpreter; a check that cannot start is no verdict
        }
        switch finished.status {
        case 0: return nil
        case 124, 137: return "'\(file)' could not be checked within \(timeLimitSeconds) s"
        default:
            let said = finished.errors.replacingOccurrences(of: code.path + "/", with: "")
            return process.language == .node ? nodeReason(said, file: file) : String(said.prefix(500))
        }
    }

    /// The file the bootstrap loads for `handler` (`main.handle`: `main.py`, or `main/__init__.py`).
    static func handlerFile(_ process: Function.ProcessRuntime, in code: URL) -> String? {
        guard process.language != .exec else { return nil }
        return process.handlerFileCandidates.first { FileManager.default.fileExists(atPath: code.appendingPathComponent($0).path) }
    }

    /// `node --check` prints `file:line`, the line, a caret, a blank line and `SyntaxError: …`.
    private static func nodeReason(_ said: String, file: String) -> String {
        let lines = said.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let location = lines.first { $0.hasPrefix(file + ":") } ?? file
        let error = lines.first { $0.contains("Error") && !$0.hasPrefix("    at ") } ?? lines.last ?? "does not compile"
        let line = location.split(separator: ":").dropFirst().first.map { ", line \($0)" } ?? ""
        return String("\(file)\(line): \(error)".prefix(500))
    }

    /// Compiles the file as the bootstrap would import it, and says where it fails.
    private static let pythonScript = #"""
import sys
path, name = sys.argv[1], sys.argv[2]
try:
    with open(path, "rb") as f:
        compile(f.read(), name, "exec", dont_inherit=True)
except SyntaxError as e:
    sys.stderr.write("%s, line %s: %s: %s" % (name, e.lineno, type(e).__name__, e.msg)); sys.exit(1)
except (ValueError, MemoryError, RecursionError) as e:
    sys.stderr.write("%s: %s: %s" % (name, type(e).__name__, e)); sys.exit(1)
"""#
}
