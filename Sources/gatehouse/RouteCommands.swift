import ArgumentParser
import GatehouseModel

/// `gatehouse route ...`: publishing a function at the edge. List flags replace the whole list
/// on update, so `--path` given once on update leaves the route with that one path; `--accept`
/// on update replaces the whole `auth` block.
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

        @Option(
            name: .customLong("accept"),
            help: "An authentication method: none, jwt, session or api-key; repeat for several (default: none). On update it replaces the whole auth block with what the auth options say.")
        var accept: [String] = []

        @Option(name: .customLong("provider"), help: "jwt, session: an identity provider of the org, or gatehouse; repeat (default: all of them).")
        var providers: [String] = []

        @Option(name: .customLong("audience"), help: "jwt: a token audience to require (any one); repeat (default: each provider's).")
        var audiences: [String] = []

        @Option(name: .customLong("scope"), help: "A scope the caller must have (all of them); repeat.")
        var scopes: [String] = []

        @Option(name: .customLong("group"), help: "A group the caller must be in (any one); repeat.")
        var groups: [String] = []

        @Option(name: .customLong("api-key-header"), help: "api-key: the header carrying the key (default: x-api-key).")
        var apiKeyHeader: String?

        var hasAuthOptions: Bool {
            !accept.isEmpty || !providers.isEmpty || !audiences.isEmpty || !scopes.isEmpty || !groups.isEmpty
                || apiKeyHeader != nil
        }

        var isEmpty: Bool { function == nil && paths.isEmpty && methods.isEmpty && hosts.isEmpty && !hasAuthOptions }

        /// Methods are case-insensitive on the command line; the API wants them uppercase.
        var normalizedMethods: [String] { methods.map { $0.uppercased() } }

        func acceptedMethods() throws -> [Route.Auth.Method] {
            try accept.map { name in
                guard let method = Route.Auth.Method(rawValue: name.lowercased()) else {
                    throw ValidationError("--accept must be none, jwt, session or api-key, not '\(name)'")
                }
                return method
            }
        }

        /// `auth` with what the auth options give set, the rest as in `auth`.
        func applyingAuth(to auth: Route.Auth) throws -> Route.Auth {
            var auth = auth
            if !accept.isEmpty {
                auth.accept = try acceptedMethods()
                auth.mode = nil
            }
            if !providers.isEmpty { auth.providers = providers }
            if !audiences.isEmpty { auth.audiences = audiences }
            if !scopes.isEmpty { auth.scopes = scopes }
            if !groups.isEmpty { auth.groups = groups }
            if let apiKeyHeader { auth.apiKeyHeader = apiKeyHeader.lowercased() }
            return auth
        }
    }

    static let abstract = "Manage routes, which publish functions at the edge."

    static func makeResource(named name: String, from fields: Fields) throws -> Route {
        guard let function = fields.function else { throw ValidationError("--function is required to create a route") }
        guard !fields.paths.isEmpty else { throw ValidationError("at least one --path is required to create a route") }
        return Route(
            name: name, function: function, paths: fields.paths,
            methods: fields.methods.isEmpty ? nil : fields.normalizedMethods,
            hosts: fields.hosts.isEmpty ? nil : fields.hosts,
            auth: fields.hasAuthOptions ? try fields.applyingAuth(to: Route.Auth()) : nil)
    }

    static func update(_ route: inout Route, from fields: Fields) throws {
        if let function = fields.function { route.function = function }
        if !fields.paths.isEmpty { route.paths = fields.paths }
        if !fields.methods.isEmpty { route.methods = fields.normalizedMethods }
        if !fields.hosts.isEmpty { route.hosts = fields.hosts }
        if fields.hasAuthOptions {
            // A new --accept starts the auth block afresh: settings of methods no longer accepted
            // would otherwise be refused, and there is no option to clear them one by one.
            route.auth = try fields.applyingAuth(to: fields.accept.isEmpty ? route.auth ?? Route.Auth() : Route.Auth())
        }
    }
}
