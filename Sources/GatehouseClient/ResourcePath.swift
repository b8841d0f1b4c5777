import Foundation
import GatehouseModel

/// Where each kind lives in the admin API: orgs platform-wide under `/v1/orgs`, everything
/// else under its org, `/v1/orgs/{org}/{kind}`.
enum ResourcePath {
    static func collection(_ kind: ResourceKind, org: String?) throws(AdminClientError) -> String {
        switch kind {
        case .org:
            return "/v1/orgs"
        default:
            guard let org, !org.isEmpty else { throw AdminClientError.orgRequired(kind) }
            return "/v1/orgs/\(segment(org))/\(kind.rawValue)"
        }
    }

    static func item(_ kind: ResourceKind, name: String, org: String?) throws(AdminClientError) -> String {
        try collection(kind, org: org) + "/" + segment(name)
    }

    /// `/v1/orgs/{org}/access-checks`.
    static func accessChecks(org: String) -> String { "/v1/orgs/\(segment(org))/access-checks" }

    /// `/v1/orgs/{org}/functions/{name}/{action}`: `code` or `invoke`.
    static func function(_ name: String, org: String, _ action: String) -> String {
        "/v1/orgs/\(segment(org))/functions/\(segment(name))/\(action)"
    }

    /// `/v1/orgs/{org}/runs[/{id}]`.
    static func runs(org: String, id: String? = nil) -> String {
        "/v1/orgs/\(segment(org))/runs" + (id.map { "/" + segment($0) } ?? "")
    }

    /// Names are DNS labels, but a mistyped one must still reach the server intact (and be
    /// refused there with the naming rule) rather than change the path's shape.
    private static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreservedCharacters) ?? text
    }

    private static let unreservedCharacters = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    /// A query string with every reserved character escaped, `+` included (some servers read a
    /// bare `+` as a space, which would corrupt an opaque cursor).
    static func query(_ items: [(String, String)]) -> String {
        items.map { "\(segment($0.0))=\(segment($0.1))" }.joined(separator: "&")
    }
}
