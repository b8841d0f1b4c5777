import Foundation

/// CPU time used by a worker's processes, read from `/proc`. RLIMIT_CPU counts a process's
/// whole life, not one invocation: a worker that serves many requests would reach it and be
/// killed in the middle of one. The pool reads this to replace such a worker first.
enum WorkerCPU {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The most CPU seconds any one process in the tree under `pid` (the worker, or bubblewrap
    /// and the worker inside it) has used: the limit applies to each process on its own.
    static func maxSeconds(tree pid: pid_t) -> Double {
        ProcessTree.members(of: pid).map(seconds(of:)).max() ?? 0
    }

    private static func seconds(of pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // After the command name: state, ppid, ... utime is the 12th field, stime the 13th.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / ticksPerSecond
    }
}
