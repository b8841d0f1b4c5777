import GatehouseModel

/// Failures of the admin client that are not the server's answer (those are thrown as the
/// server's `Problem`).
public enum AdminClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An org-scoped resource was addressed without its org.
    case orgRequired(ResourceKind)
    /// The CA certificate file could not be read as PEM.
    case unreadableCACertificate(path: String, reason: String)
    /// The server could not be reached, or the exchange broke off.
    case transport(server: String, reason: String)
    /// A successful response whose body is not what the API promises.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .orgRequired(let kind):
            "a \(kind.singular) belongs to an org: pass --org"
        case .unreadableCACertificate(let path, let reason):
            "cannot read the CA certificate '\(path)': \(reason)"
        case .transport(let server, let reason):
            "cannot talk to \(server): \(reason)"
        case .invalidResponse(let reason):
            "unexpected response from the server: \(reason)"
        }
    }
}
