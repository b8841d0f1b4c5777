/// Where the invoker reads the values of a function's secrets from. The control plane's
/// implementation reads and unseals them from the store (the snapshot never carries secret
/// values), caching them per store revision.
public protocol SecretSource: Sendable {
    /// The values of the org's secrets named, by secret name then key. A missing secret is an
    /// error that names it (never its values).
    func values(org: String, names: [String]) async throws -> [String: [String: String]]
}

/// No secrets at all: for tests and for functions that list none.
public struct NoSecrets: SecretSource {
    public init() {}
    public func values(org: String, names: [String]) async throws -> [String: [String: String]] {
        guard names.isEmpty else { throw MissingSecret(name: names[0]) }
        return [:]
    }
}

public struct MissingSecret: Error, Sendable, CustomStringConvertible {
    public let name: String
    public init(name: String) { self.name = name }
    public var description: String { "the function's secret '\(name)' does not exist" }
}
