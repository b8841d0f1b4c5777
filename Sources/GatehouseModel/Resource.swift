import Foundation

/// The kinds of resource the admin API manages. The raw value is the collection's path segment.
public enum ResourceKind: String, Sendable, CaseIterable, Codable {
    case org = "orgs"
    case function = "functions"
    case route = "routes"
    case secret = "secrets"
    case identityProvider = "identity-providers"
    case serviceAccount = "service-accounts"
    case apiKey = "api-keys"
    case policy = "policies"

    /// The singular, as used in messages and in `kind:` of YAML documents.
    public var singular: String {
        switch self {
        case .org: "org"
        case .function: "function"
        case .route: "route"
        case .secret: "secret"
        case .identityProvider: "identity-provider"
        case .serviceAccount: "service-account"
        case .apiKey: "api-key"
        case .policy: "policy"
        }
    }

    public init?(singular: String) {
        guard let kind = ResourceKind.allCases.first(where: { $0.singular == singular.lowercased() }) else {
            return nil
        }
        self = kind
    }
}

/// A resource of the admin API. Server-managed fields (`revision`, timestamps, `org`) are
/// accepted on input so a document read with GET can be PUT back, but the server ignores them.
public protocol Resource: Codable, Sendable, Equatable {
    static var kind: ResourceKind { get }
    var name: String { get set }
    var revision: Int64? { get set }
    var createdAt: Date? { get set }
    var updatedAt: Date? { get set }

    /// Checks that need nothing but the resource itself. Cross-resource rules (references,
    /// overlaps, ownership) are checked by the control plane inside the store's transaction.
    func validate() throws(Problem)

    /// The resource as stored: server-managed fields cleared, write-only fields kept.
    func normalizedForStorage() -> Self

    /// Whether the resource holds write-only values in plaintext (secret values, a client
    /// secret). Such a resource must be redacted and its values sealed before it is stored.
    var carriesWriteOnlyValues: Bool { get }
}

extension Resource {
    public func normalizedForStorage() -> Self { withoutServerFields() }
    public var carriesWriteOnlyValues: Bool { false }

    /// The resource without the fields the store manages.
    public func withoutServerFields() -> Self {
        var copy = self
        copy.revision = nil
        copy.createdAt = nil
        copy.updatedAt = nil
        return copy
    }
}

/// A resource that lives inside an org (everything but the org itself).
public protocol OrgScopedResource: Resource {
    var org: String? { get set }
}

extension OrgScopedResource {
    public func normalizedForStorage() -> Self {
        var copy = withoutServerFields()
        copy.org = nil
        return copy
    }
}
