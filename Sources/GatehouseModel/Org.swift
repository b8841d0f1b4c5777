import Foundation

/// A tenant. Everything else in Gatehouse belongs to exactly one org.
public struct Org: Resource {
    public static let kind = ResourceKind.org

    public var name: String
    public var displayName: String?
    /// Bytes of uploaded code (as uploaded plus unpacked) the org's functions may hold; nil takes
    /// the server's `--org-storage-quota-bytes`.
    public var storageQuotaBytes: Int?
    /// The server's: what the org uses of its quota. A write keeps nothing of it.
    public var status: Status?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public struct Status: Codable, Sendable, Equatable {
        /// Uploaded and unpacked bytes of the code the org's functions name, each upload once.
        public var storageUsedBytes: Int
        /// The quota in force: the org's `storageQuotaBytes`, or the server's default.
        public var storageLimitBytes: Int

        public init(storageUsedBytes: Int, storageLimitBytes: Int) {
            self.storageUsedBytes = storageUsedBytes
            self.storageLimitBytes = storageLimitBytes
        }
    }

    public init(name: String, displayName: String? = nil, storageQuotaBytes: Int? = nil) {
        self.name = name
        self.displayName = displayName
        self.storageQuotaBytes = storageQuotaBytes
    }

    /// Names the edge and control listeners use for themselves (`/healthz`, `/v1/...`).
    public static let reservedNames: Set<String> = ["healthz", "metrics", "auth", "console", "v1"]

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        guard !Org.reservedNames.contains(name) else {
            throw Problem.invalidField("name", "'\(name)' is reserved; choose another org name")
        }
        if let displayName, displayName.count > 200 {
            throw Problem.invalidField("displayName", "displayName must be at most 200 characters")
        }
        if let storageQuotaBytes, storageQuotaBytes < 0 {
            throw Problem.invalidField("storageQuotaBytes", "storageQuotaBytes must be 0 or more (got \(storageQuotaBytes))")
        }
    }
}
