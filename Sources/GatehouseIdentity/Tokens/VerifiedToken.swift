import Foundation

/// A token whose signature, issuer, audience and validity times have been checked. It holds
/// claims only, never the token itself, so it can be cached and logged without leaking a
/// credential.
public struct VerifiedToken: Sendable, Equatable {
    public let issuer: String
    public let subject: String
    public let audiences: [String]
    public let expiresAt: Date
    public let notBefore: Date?
    public let issuedAt: Date?
    /// `jti`, when the issuer set one.
    public let tokenID: String?
    /// From `scope` and `scp`, in the order the issuer wrote them.
    public let scopes: [String]
    public let groups: [String]
    public let roles: [String]
    public let email: String?
    /// The key and algorithm the signature was verified with.
    public let keyID: String?
    public let algorithm: SignatureAlgorithm
    /// Every claim of the payload, for mapping rules that need more than the members above.
    public let claims: [String: ClaimValue]

    public init(
        issuer: String, subject: String, audiences: [String], expiresAt: Date, notBefore: Date? = nil,
        issuedAt: Date? = nil, tokenID: String? = nil, scopes: [String] = [], groups: [String] = [],
        roles: [String] = [], email: String? = nil, keyID: String? = nil, algorithm: SignatureAlgorithm,
        claims: [String: ClaimValue] = [:]
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.tokenID = tokenID
        self.scopes = scopes
        self.groups = groups
        self.roles = roles
        self.email = email
        self.keyID = keyID
        self.algorithm = algorithm
        self.claims = claims
    }

    /// The claims as a JSON object (keys sorted).
    public var claimsJSON: Data { ClaimValue.encodeObject(claims) }

    /// A string claim by name, e.g. `org` in tokens Gatehouse issued.
    public func string(_ claim: String) -> String? { claims[claim]?.stringValue }
}
