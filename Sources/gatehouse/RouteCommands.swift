import ArgumentParser
import GatehouseModel

/// `gatehouse route ...`: publishing a function at the edge. List flags replace the whole list
/// on update, so `--path` given once on update leaves the route with that one path.
enum RouteCommands: ResourceCommandKind {
    typealias Value = Route
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(help: "The function requests go to (required to create).")
        var function: String?

        @Option(name: .customLong("path"), help: "A path pattern such as /items/{id} or /static/*; repeat for several (required to create).")
        var paths: [String] = []

        @Option(name: .customLong("method"), help: "An HTTP method to accept; repeat for several (default: all).")
        var methods: [String] = []

        @Option(name: .customLong("host"), help: "A host (or *.example.com) to publish on; repeat for several (default: the org's prefix).")
        var hosts: [String] = []

        var isEmpty: Bool { function == nil && paths.isEmpty && methods.isEmpty && hosts.isEmpty }

        /// Methods are case-insensitive on the command line; the API wants them uppercase.
        var normalizedMethods: [String] { methods.map { $0.uppercased() } }
    }

    static let abstract = "Manage routes, which publish functions at the edge."

    static func makeResource(named name: String, from fields: Fields) throws -> Route {
        guard let function = fields.function else { throw ValidationError("--function is required to create a route") }
        guard !fields.paths.isEmpty else { throw ValidationError("at least one --path is required to create a route") }
        return Route(
            name: name, function: function, paths: fields.paths,
            methods: fields.methods.isEmpty ? nil : fields.normalizedMethods,
            hosts: fields.hosts.isEmpty ? nil : fields.hosts)
    }

    static func update(_ route: inout Route, from fields: Fields) throws {
        if let function = fields.function { route.function = function }
        if !fields.paths.isEmpty { route.paths = fields.paths }
        if !fields.methods.isEmpty { route.methods = fields.normalizedMethods }
        if !fields.hosts.isEmpty { route.hosts = fields.hosts }
    }
}
