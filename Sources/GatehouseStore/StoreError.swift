import Foundation

/// What can go wrong inside the store, each with a message that says what to do about it.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store could not be opened (directory, file or database setup).
    case cannotOpen(path: String, reason: String)
    /// The database file was written by a newer Gatehouse whose migrations this one does not know.
    case schemaTooNew(path: String)
    /// A listing cursor that is not of the form the listing expects.
    case invalidCursor(String)
    /// A listing limit below zero.
    case invalidLimit(Int)
    /// A key whose org does not fit its kind (orgs are platform-wide, everything else is org-scoped).
    case invalidKey(ResourceKey, reason: String)
    /// A stored row or body that cannot be read back.
    case corruptDocument(ResourceKey?, reason: String)
    /// A resource would have been stored with plaintext write-only values in its body.
    case plaintextSecret(ResourceKey)
    /// The store was closed; no further transactions are possible.
    case closed

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open the store at \(path): \(reason)"
        case .schemaTooNew(let path):
            "the store at \(path) was written by a newer Gatehouse (unknown migrations); upgrade Gatehouse to open it"
        case .invalidCursor(let cursor):
            "invalid listing cursor '\(cursor.prefix(80))'"
        case .invalidLimit(let limit):
            "invalid listing limit \(limit): it must be zero or more"
        case .invalidKey(let key, let reason):
            "invalid key for \(key): \(reason)"
        case .corruptDocument(let key, let reason):
            "stored \(key.map { "\($0)" } ?? "row") cannot be read: \(reason)"
        case .plaintextSecret(let key):
            "\(key) would store write-only values (secret values, a client secret) in plaintext; seal them (SecretSealer) and save the resource without them"
        case .closed:
            "the store is closed"
        }
    }
}
