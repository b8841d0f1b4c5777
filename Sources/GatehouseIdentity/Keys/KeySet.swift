import Foundation

/// An issuer's public keys as fetched at one moment: immutable, so a verification reads it
/// without locking while a refresh builds its successor.
public struct KeySet: Sendable {
    let keysByID: [String: VerificationKey]
    /// Keys without a `kid`; usable only by tokens without one, when the set has a single key.
    let keysWithoutID: [VerificationKey]
    public let fetchedAt: Date
    /// After this the set is stale: still used, but due for a refresh (Cache-Control max-age,
    /// bounded by the refresh policy).
    public let expiresAt: Date

    init(keys: [VerificationKey], fetchedAt: Date, expiresAt: Date) {
        var byID: [String: VerificationKey] = [:]
        var withoutID: [VerificationKey] = []
        for key in keys {
            if let keyID = key.keyID {
                byID[keyID] = byID[keyID] ?? key
            } else {
                withoutID.append(key)
            }
        }
        self.keysByID = byID
        self.keysWithoutID = withoutID
        self.fetchedAt = fetchedAt
        self.expiresAt = expiresAt
    }

    public var keyIDs: [String] { keysByID.keys.sorted() }
    public var count: Int { keysByID.count + keysWithoutID.count }

    public func isStale(at now: Date) -> Bool { now >= expiresAt }

    enum Lookup {
        case found(VerificationKey)
        case unknown
        case ambiguous
    }

    func key(for keyID: String?) -> Lookup {
        if let keyID { return keysByID[keyID].map(Lookup.found) ?? .unknown }
        // Without a kid the choice is only unambiguous when there is a single key; trying
        // every key would let a forged token cost one signature check per key.
        if count == 1, let only = keysWithoutID.first ?? keysByID.values.first { return .found(only) }
        return count == 0 ? .unknown : .ambiguous
    }
}
