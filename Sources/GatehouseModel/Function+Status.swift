import Foundation

// What the server says of a function: the code it holds and whether it can be invoked. Both are
// server-managed: a PUT keeps the stored ones, whatever the body says.

extension Function {
    /// Code uploaded with `PUT /v1/orgs/{org}/functions/{name}/code`, stored content-addressed
    /// in the data directory.
    public struct Code: Codable, Sendable, Equatable {
        /// `sha256:<hex>` of the uploaded bytes.
        public var digest: String
        public var size: Int
        /// The bytes of the unpacked files (counted with `size` against the org's storage quota).
        public var unpackedBytes: Int?
        public var format: Format
        /// The name the upload gave (its `filename`), for single files: how the runtime finds it.
        public var filename: String?
        public var uploadedAt: Date?

        public enum Format: String, Codable, Sendable, CaseIterable {
            /// One file, kept under its `filename`.
            case file
            case tarGzip = "tar.gz"
            case zip
        }

        public init(
            digest: String, size: Int, format: Format, filename: String? = nil, uploadedAt: Date? = nil, unpackedBytes: Int? = nil
        ) {
            self.digest = digest
            self.size = size
            self.unpackedBytes = unpackedBytes
            self.format = format
            self.filename = filename
            self.uploadedAt = uploadedAt
        }

        /// The hex of the digest.
        public var hex: String { String(digest.dropFirst("sha256:".count)) }
        /// Where the code is unpacked, under the code root: by digest, and for a single file by
        /// digest and name (the same bytes may be uploaded under two names).
        public var directoryName: String { format == .file ? "\(hex)-\(filename ?? "file")" : hex }
        /// What the code takes on disk, as the org's storage quota counts it.
        public var storedBytes: Int { size + (unpackedBytes ?? 0) }
    }

    public struct Status: Codable, Sendable, Equatable {
        public var state: State
        /// Why the function is not ready, or what to know about how it runs.
        public var reason: String?
        /// Notes that do not stop invocation (for example: no bubblewrap, so workers are not
        /// isolated from the filesystem and network).
        public var warnings: [String]?
        public var updatedAt: Date?

        public enum State: String, Codable, Sendable, CaseIterable {
            /// Runs uploaded code, and none has been uploaded yet.
            case pending
            /// Code was uploaded and is being unpacked, checked or compiled.
            case building
            case ready
            case error
        }

        public init(state: State, reason: String? = nil, warnings: [String]? = nil, updatedAt: Date? = nil) {
            self.state = state
            self.reason = reason
            self.warnings = warnings
            self.updatedAt = updatedAt
        }
    }

    /// The status a function has before anything was built for it: runtimes without uploaded
    /// code are ready at once; the others wait for code.
    public var initialStatus: Status {
        runtime.runsUploadedCode
            ? Status(state: .pending, reason: "no code uploaded yet: PUT /v1/orgs/{org}/functions/\(name)/code")
            : Status(state: .ready)
    }

    /// Why the function cannot be invoked now, or nil when it can.
    public var notReadyReason: String? {
        let status = self.status ?? initialStatus
        switch status.state {
        case .ready: return nil
        case .pending: return status.reason ?? "the function has no code yet"
        case .building: return "the function's code is still being built"
        case .error: return "the function's code failed to build: \(status.reason ?? "unknown error")"
        }
    }
}
