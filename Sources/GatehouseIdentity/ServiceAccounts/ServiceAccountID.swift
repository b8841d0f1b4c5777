import GatehouseModel

/// A service account's identity, `{org}/{name}`: what its assertions carry as `iss` and `sub`.
public struct ServiceAccountID: Sendable, Hashable, CustomStringConvertible {
    public let org: String
    public let name: String

    public init?(org: String, name: String) {
        guard ResourceName.isValid(org), ResourceName.isValid(name) else { return nil }
        self.org = org
        self.name = name
    }

    /// Parses `org/name`; nil unless both parts are valid resource names.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        self.init(org: String(parts[0]), name: String(parts[1]))
    }

    public var description: String { "\(org)/\(name)" }
}
