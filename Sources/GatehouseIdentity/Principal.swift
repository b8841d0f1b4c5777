import Foundation

/// Who is calling, as established by authentication: the one value that authorization (org
/// policy, RBAC) looks at, whichever way the caller proved who they are.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The operator of the appliance, authenticated by the admin token.
        case platformAdmin = "platform-admin"
        /// A person, signed in through a login provider (GitHub, an OIDC issuer, Gatehouse itself).
        case user
        /// A workload that proved possession of a registered key (RFC 7523 assertion), or
        /// presented a token Gatehouse issued for one.
        case serviceAccount = "service-account"
        /// A caller presenting one of an org's API keys.
        case apiKey = "api-key"
    }

    public var kind: Kind
    /// Stable within its provider: a user id, `org/name` of a service account, an API key's id.
    public var subject: String
    /// The org the principal acts in; nil only for the platform admin, who belongs to none.
    public var org: String?
    public var groups: Set<String>
    public var scopes: Set<String>
    /// Which provider established the identity (`gatehouse`, `github`, an OIDC provider's
    /// configured name); nil for the platform admin.
    public var provider: String?
    /// When the credential stops being valid; nil for credentials without an expiry (the admin
    /// token, API keys without one).
    public var expiresAt: Date?
    /// A user's email as their provider vouched for it, when known: policies may bind
    /// `user:<email>` as well as `user:<subject>`.
    public var email: String?

    public init(
        kind: Kind, subject: String, org: String? = nil, groups: Set<String> = [], scopes: Set<String> = [],
        provider: String? = nil, expiresAt: Date? = nil, email: String? = nil
    ) {
        self.kind = kind
        self.subject = subject
        self.org = org
        self.groups = groups
        self.scopes = scopes
        self.provider = provider
        self.expiresAt = expiresAt
        self.email = email
    }

    public static let platformAdmin = Principal(kind: .platformAdmin, subject: "platform-admin")

    /// Whether the credential has expired at `now`. Principals without an expiry never do.
    public func isExpired(at now: Date) -> Bool {
        expiresAt.map { now >= $0 } ?? false
    }
}
