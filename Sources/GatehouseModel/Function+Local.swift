import Foundation

// The runtimes that run a function's uploaded code inside Gatehouse itself: the default of a
// fresh install, which needs no other service on the machine.

extension Function {
    /// `runtime: process`: worker processes started from the uploaded code, one invocation at a
    /// time each, serving HTTP on a Unix socket (see `runtimes/` for the bootstraps).
    public struct ProcessRuntime: Codable, Sendable, Equatable {
        public static let defaultMaxInstances = 4
        public static let defaultIdleSeconds = 300
        public static let defaultMemoryMB = 256
        public static let defaultCPUSeconds = 60
        public static let defaultOpenFiles = 256
        public static let defaultFileSizeMB = 64
        public static let defaultTmpMB = 64
        public static let defaultMaxProcesses = 64

        public var language: Language
        /// python3 and node: `module.function` (`main.handle` loads `main.py` or `main.js` and
        /// calls `handle`). exec: the executable's path inside the code (`bin/server`).
        public var handler: String
        /// Workers started at most; the pool grows to this under concurrency.
        public var maxInstances: Int?
        /// An idle worker is stopped after this long (the pool scales to zero).
        public var idleSeconds: Int?
        /// Address-space limit of each worker (RLIMIT_AS), in MiB.
        public var memoryMB: Int?
        /// CPU time a worker may use over its life (RLIMIT_CPU); it is replaced after that.
        public var cpuSeconds: Int?
        /// Open file descriptors per worker (RLIMIT_NOFILE).
        public var openFiles: Int?
        /// The largest file a worker may write (RLIMIT_FSIZE), in MiB: a larger write fails with EFBIG.
        public var fileSizeMB: Int?
        /// Size of the worker's one writable place under bubblewrap (`/tmp`, which `TMPDIR` and
        /// `HOME` are in), a tmpfs counted against host memory, in MiB: past it writes fail with ENOSPC.
        public var tmpMB: Int?
        /// Processes and threads a worker may run at once (RLIMIT_NPROC, counted per worker in its
        /// own user namespace under bubblewrap): past it fork and thread creation fail with EAGAIN.
        public var maxProcesses: Int?
        /// Whether workers may reach the network (only enforced under bubblewrap).
        public var network: Bool?

        public enum Language: String, Codable, Sendable, CaseIterable {
            case python3
            case node
            case exec

            public init(from decoder: any Decoder) throws {
                self = try decodeNamed(decoder, what: "a process language")
            }
        }

        public init(language: Language, handler: String) {
            self.language = language
            self.handler = handler
        }

        public var effectiveMaxInstances: Int { maxInstances ?? Self.defaultMaxInstances }
        public var effectiveIdleSeconds: Int { idleSeconds ?? Self.defaultIdleSeconds }
        public var effectiveMemoryMB: Int { memoryMB ?? Self.defaultMemoryMB }
        public var effectiveCPUSeconds: Int { cpuSeconds ?? Self.defaultCPUSeconds }
        public var effectiveOpenFiles: Int { openFiles ?? Self.defaultOpenFiles }
        public var effectiveFileSizeMB: Int { fileSizeMB ?? Self.defaultFileSizeMB }
        public var effectiveTmpMB: Int { tmpMB ?? Self.defaultTmpMB }
        public var effectiveMaxProcesses: Int { maxProcesses ?? Self.defaultMaxProcesses }

        func validate() throws(Problem) {
            switch language {
            case .python3, .node:
                // module.function: identifiers only, so the bootstrap never imports a path.
                let parts = handler.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count >= 2, parts.allSatisfy(Self.isIdentifier) else {
                    throw Problem.invalidField(
                        "process.handler", "process.handler is 'module.function' (for example 'main.handle'), identifiers only")
                }
            case .exec:
                try CodePath.validate(handler, field: "process.handler")
            }
            try Self.check(maxInstances, 1...64, "process.maxInstances")
            try Self.check(idleSeconds, 1...86_400, "process.idleSeconds")
            try Self.check(memoryMB, 16...16_384, "process.memoryMB")
            try Self.check(cpuSeconds, 1...86_400, "process.cpuSeconds")
            try Self.check(openFiles, 16...65_536, "process.openFiles")
            try Self.check(fileSizeMB, 1...16_384, "process.fileSizeMB")
            try Self.check(tmpMB, 1...16_384, "process.tmpMB")
            try Self.check(maxProcesses, 8...4_096, "process.maxProcesses")
        }

        private static func isIdentifier(_ part: Substring) -> Bool {
            guard let first = part.utf8.first, part.utf8.count <= 128 else { return false }
            func letter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F }
            return letter(first) && part.utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
        }

        static func check(_ value: Int?, _ range: ClosedRange<Int>, _ field: String) throws(Problem) {
            if let value, !range.contains(value) {
                throw Problem.invalidField(field, "\(field) must be between \(range.lowerBound) and \(range.upperBound)")
            }
        }
    }

    /// `runtime: wasm`: a WebAssembly module (`.wasm`, or `.wat` text) run inside Gatehouse by
    /// WasmKit, WAGI-style: the request as CGI environment variables and stdin, the response as
    /// CGI headers and body on stdout. WASI preview 1, no filesystem and no network.
    public struct WasmRuntime: Codable, Sendable, Equatable {
        public static let defaultMemoryPages = 256
        public static let maxMemoryPages = 16_384

        /// The module's path inside an uploaded archive; absent: the code's only `.wasm` or
        /// `.wat` file (a single uploaded file always is).
        public var module: String?
        /// The most 64 KiB pages of linear memory an instance may grow to (256 = 16 MiB).
        public var memoryPages: Int?

        public init(module: String? = nil, memoryPages: Int? = nil) {
            self.module = module
            self.memoryPages = memoryPages
        }

        public var effectiveMemoryPages: Int { memoryPages ?? Self.defaultMemoryPages }

        func validate() throws(Problem) {
            if let module { try CodePath.validate(module, field: "wasm.module") }
            try ProcessRuntime.check(memoryPages, 1...Self.maxMemoryPages, "wasm.memoryPages")
        }
    }
}

/// A relative path inside a function's code: no absolute paths, no `..`, no empty or dot
/// segments, printable ASCII, so it can never name a file outside the code's directory.
public enum CodePath {
    public static func validate(_ path: String, field: String) throws(Problem) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...255).contains(path.utf8.count), !path.hasPrefix("/"),
            segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
            path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else {
            throw Problem.invalidField(field, "\(field) must be a relative path inside the code, without '..' (for example 'bin/handler')")
        }
    }
}
