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

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        if let displayName, displayName.count > 200 {
            throw Problem.invalidField("displayName", "displayName must be at most 200 characters")
        }
    }
}
