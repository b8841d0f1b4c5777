import Foundation
import GatehouseModel

extension APIKeyVerifier.Entry {
    /// The entry of a stored API key of `org`; nil for a revoked key, or one stored without its
    /// id or hash (it can never match).
    public init?(_ key: OrgAPIKey, org: String) {
        guard !key.isRevoked, key.keyId != nil, let hash = key.keyHash.flatMap(Base64URL.decode) else { return nil }
        self.init(
            hash: APIKeyHash(bytes: Data(hash)),
            principal: Principal(
                kind: .apiKey, subject: key.name, org: org, scopes: Set(key.scopes ?? []), provider: "api-key",
                expiresAt: key.expiresAt))
    }
}
