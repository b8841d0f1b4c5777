import CSeccomp
import Foundation

/// The system-call filter workers run under (bubblewrap's `--seccomp FD`), compiled by
/// libseccomp: everything is allowed except calls a function never needs and a sandbox escape
/// or a kernel attack starts with. Each refused call fails with EPERM (clone3 with ENOSYS, so
/// the C library falls back to clone, whose flags the filter can see); calls of another
/// architecture (32-bit x86 on x86-64) kill the process, libseccomp's default.
enum WorkerSeccomp {
    /// Refused whatever their arguments: namespaces and mounts (escapes), kernel keyrings and
    /// modules (not namespaced), tracing other processes, BPF, perf and userfaultfd (common
    /// kernel-exploit primitives), io_uring (bypasses this filter's view of I/O), and machine-wide
    /// switches.
    static let refused = [
        "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount", "open_tree",
        "fsopen", "fsconfig", "fsmount", "fspick", "keyctl", "add_key", "request_key", "init_module", "finit_module",
        "delete_module", "kexec_load", "kexec_file_load", "ptrace", "process_vm_readv", "process_vm_writev", "bpf",
        "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "open_by_handle_at",
        "name_to_handle_at", "swapon", "swapoff", "reboot", "acct", "quotactl", "syslog", "uselib", "personality",
    ]

    /// The compiled filter (classic BPF, as bubblewrap reads it), or nil when libseccomp fails.
    static func compile() -> [UInt8]? {
        guard let context = seccomp_init(SCMP_ACT_ALLOW) else { return nil }
        defer { seccomp_release(context) }
        let eperm = errno(EPERM)
        for name in refused {
            let number = seccomp_syscall_resolve_name(name)
            guard number != __NR_SCMP_ERROR else { continue }  // not a call on this architecture
            guard seccomp_rule_add_array(context, eperm, number, 0, nil) == 0 else { return nil }
        }
        // clone with a namespace flag (CLONE_NEWUSER above all) would make nested namespaces.
        for flag in namespaceFlags {
            var condition = scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: flag, datum_b: flag)
            guard seccomp_rule_add_array(context, eperm, seccomp_syscall_resolve_name("clone"), 1, &condition) == 0 else { return nil }
        }
        // clone3 passes its flags in memory, out of a filter's sight: ENOSYS sends callers to clone.
        guard seccomp_rule_add_array(context, errno(ENOSYS), seccomp_syscall_resolve_name("clone3"), 0, nil) == 0 else { return nil }
        // Typing into the controlling terminal of someone else's session.
        var tiocsti = scmp_arg_cmp(arg: 1, op: SCMP_CMP_MASKED_EQ, datum_a: 0xFFFF_FFFF, datum_b: UInt64(TIOCSTI))
        guard seccomp_rule_add_array(context, eperm, seccomp_syscall_resolve_name("ioctl"), 1, &tiocsti) == 0 else { return nil }
        return export(context)
    }

    /// CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC and
    /// CLONE_NEWCGROUP (Linux's ABI values, the same on every architecture; Glibc exports them
    /// to Swift only under _GNU_SOURCE).
    static let namespaceFlags: [UInt64] = [0x1000_0000, 0x0002_0000, 0x2000_0000, 0x4000_0000, 0x0400_0000, 0x0800_0000, 0x0200_0000]

    /// SCMP_ACT_ERRNO(code), a function-like macro Swift does not import.
    private static func errno(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xFFFF) }

    /// libseccomp 2.5 exports to a file descriptor only: through a pipe, read back whole.
    private static func export(_ context: scmp_filter_ctx) -> [UInt8]? {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        defer { close(ends[0]) }
        let exported = seccomp_export_bpf(context, ends[1])
        close(ends[1])
        guard exported == 0 else { return nil }
        var program: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &chunk, chunk.count)
            guard count > 0 else { break }
            program += chunk[..<count]
        }
        return program.isEmpty ? nil : program
    }
}
