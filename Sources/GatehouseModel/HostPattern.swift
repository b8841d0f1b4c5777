/// A route host: an exact name (`api.example.com`) or a wildcard over subdomains
/// (`*.example.com`, which matches `a.example.com` and `a.b.example.com` but not `example.com`).
public struct HostPattern: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case exact(String)
        /// The suffix including its leading dot: ".example.com".
        case wildcard(suffix: String)
    }

    public var kind: Kind

    public init(parsing raw: String, field: String) throws(Problem) {
        let host = raw.lowercased()
        let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= 253, labels.count >= 1,
            labels.allSatisfy({ ResourceName.isValid(String($0)) })
        else {
            throw Problem.invalidField(
                field, "'\(raw.prefix(80))' must be a DNS host name, optionally starting with '*.'")
        }
        kind = host.hasPrefix("*.") ? .wildcard(suffix: "." + name) : .exact(name)
    }

    /// The normalized form of a request's Host/:authority: lowercased, port and trailing dot removed.
    public static func normalize(authority: Substring) -> Substring {
        var host = authority
        if host.first == "[" {
            if let close = host.firstIndex(of: "]") { host = host[host.startIndex...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.last == "." { host = host.dropLast() }
        return host
    }
}
