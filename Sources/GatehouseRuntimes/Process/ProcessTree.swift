import Foundation

/// A process and its descendants, read from `/proc`: a worker under bubblewrap is a tree
/// (bubblewrap, its init in the new pid namespace, the worker), and both the CPU-time check and
/// finding the sandbox's socket look at all of it.
enum ProcessTree {
    /// `pid` first, then its descendants (at most 64 processes).
    static func members(of pid: pid_t) -> [pid_t] {
        var found: [pid_t] = []
        var todo = [pid]
        while let next = todo.popLast(), found.count < 64 {
            found.append(next)
            todo += children(of: next).reversed()
        }
        return found
    }

    private static func children(of pid: pid_t) -> [pid_t] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return [] }
        return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
