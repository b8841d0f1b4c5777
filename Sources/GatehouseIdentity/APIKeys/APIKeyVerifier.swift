import Foundation

/// Verifies presented API keys: one dictionary lookup by the key's id, one constant-time
/// comparison of hashes. Immutable, so it can be part of a snapshot the edge reads lock-free.
public struct APIKeyVerifier: Sendable {
    /// What is stored for a key: its hash and who it authenticates.
    public struct Entry: Sendable, Equatable {
        public var hash: APIKeyHash
        /// The principal a matching key stands for (kind `.apiKey`, its org, scopes, expiry).
        public var principal: Principal

        public init(hash: APIKeyHash, principal: Principal) {
            self.hash = hash
            self.principal = principal
        }
    }

    private let entries: [String: Entry]

    /// `entries` by key id.
    public init(entries: [String: Entry]) {
        self.entries = entries
    }

    public func principal(forPresented presented: String, now: Date = Date()) -> Result<Principal, APIKeyError> {
        guard let key = APIKey.parse(presented) else { return .failure(.malformed) }
        // The id is not secret, so answering faster for an unknown id reveals nothing that
        // the admin API does not show to the key's owner anyway.
        guard let entry = entries[key.id] else { return .failure(.unknownKey) }
        guard entry.hash.matches(key) else { return .failure(.mismatch) }
        guard !entry.principal.isExpired(at: now) else { return .failure(.expired) }
        return .success(entry.principal)
    }
}

/// Why an API key was refused; descriptions never contain the key.
public enum APIKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed
    case unknownKey
    case mismatch
    case expired

    public var description: String {
        switch self {
        case .malformed: "the API key is not a Gatehouse API key (gak_...)"
        case .unknownKey: "the API key is unknown or has been revoked"
        case .mismatch: "the API key does not match"
        case .expired: "the API key has expired"
        }
    }
}
