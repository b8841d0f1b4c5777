import Foundation

/// A tenant. Everything else in Gatehouse belongs to exactly one org.
public struct Org: Resource {
    public static let kind = ResourceKind.org

    public var name: String
    public var displayName: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(name: String, displayName: String? = nil) {
        self.name = name
        self.displayName = displayName
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
    }
}
