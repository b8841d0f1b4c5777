import Foundation

/// One of Gatehouse's token-signing keys as the admin API shows it (`GET /v1/signing-keys`):
/// public facts only, never key material.
public struct SigningKeyInfo: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Signs every new token.
        case current
        /// Signs nothing new; still published while tokens it signed may be in circulation.
        case retired
    }

    /// The `kid` tokens and the JWKS name it by.
    public var keyId: String
    public var status: Status
    public var algorithm: String
    public var createdAt: Date
    public var retiredAt: Date?
    /// For a retired key: when it leaves the JWKS.
    public var publishedUntil: Date?

    public init(keyId: String, status: Status, algorithm: String = "ES256", createdAt: Date, retiredAt: Date? = nil, publishedUntil: Date? = nil) {
        self.keyId = keyId
        self.status = status
        self.algorithm = algorithm
        self.createdAt = createdAt
        self.retiredAt = retiredAt
        self.publishedUntil = publishedUntil
    }
}

/// `GET /v1/signing-keys` and `POST /v1/signing-keys/rotate`: every published key, current first.
public struct SigningKeyList: Codable, Sendable, Equatable {
    public var items: [SigningKeyInfo]

    public init(items: [SigningKeyInfo]) {
        self.items = items
    }
}
