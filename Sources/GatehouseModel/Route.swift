import Foundation

/// A route publishes a function at the edge: on the org's prefix (`/{org}{path}`) when it has
/// no hosts, or on its hosts otherwise.
public struct Route: OrgScopedResource {
    public static let kind = ResourceKind.route
    public static let knownMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
    ]

    public var name: String
    public var function: String
    public var paths: [String]
    /// Empty or absent: every method.
    public var methods: [String]?
    /// Empty or absent: published under the org's prefix.
    public var hosts: [String]?
    public var auth: Auth?
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(
        name: String, function: String, paths: [String], methods: [String]? = nil,
        hosts: [String]? = nil, auth: Auth? = nil
    ) {
        self.name = name
        self.function = function
        self.paths = paths
        self.methods = methods
        self.hosts = hosts
        self.auth = auth
    }

    public var methodSet: Set<String> { Set(methods ?? []) }
    /// How callers may authenticate; a route without `auth` accepts anyone.
    public var authMethods: [Auth.Method] { auth?.effectiveMethods ?? [.anonymous] }
    public var hostList: [String] { (hosts ?? []).map { $0.lowercased() } }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        try ResourceName.validate(function, field: "function")
        guard !paths.isEmpty else { throw Problem.invalidField("paths", "a route needs at least one path") }
        guard paths.count <= 64 else { throw Problem.invalidField("paths", "a route has at most 64 paths") }
        for (index, path) in paths.enumerated() {
            _ = try PathPattern(parsing: path, field: "paths[\(index)]")
        }
        try Self.validateMethods(methods, field: "methods")
        for (index, host) in (hosts ?? []).enumerated() {
            _ = try HostPattern(parsing: host, field: "hosts[\(index)]")
        }
        try auth?.validate(field: "auth")
    }

    /// A list of methods (at most `FieldRules.maxListEntries`), each one of `knownMethods`.
    public static func validateMethods(_ methods: [String]?, field: String) throws(Problem) {
        try FieldRules.list(methods ?? [], field: field)
        for (index, method) in (methods ?? []).enumerated() where !knownMethods.contains(method) {
            throw Problem.invalidField(
                "\(field)[\(index)]",
                "'\(method.prefix(20))' is not a method; use one of \(knownMethods.sorted().joined(separator: ", "))")
        }
    }

    /// The first of this route's paths that can match the same requests with the same precedence
    /// as one of `other`'s, if their methods and hosts also meet. Such routes are ambiguous and
    /// refused with 409; a more specific pattern beside a general one (`/items/new` beside
    /// `/items/{id}`) is not an overlap, since the more specific one always wins.
    public func overlap(with other: Route) -> String? {
        let mine = methodSet, theirs = other.methodSet
        guard mine.isEmpty || theirs.isEmpty || !mine.isDisjoint(with: theirs) else { return nil }
        let myHosts = Set(hostList), theirHosts = Set(other.hostList)
        guard myHosts.isEmpty == theirHosts.isEmpty else { return nil }
        guard myHosts.isEmpty || !myHosts.isDisjoint(with: theirHosts) else { return nil }
        let theirShapes = Set(other.paths.compactMap { try? PathPattern(parsing: $0, field: "").shape })
        return paths.first { path in
            guard let shape = try? PathPattern(parsing: path, field: "").shape else { return false }
            return theirShapes.contains(shape)
        }
    }
}
