import Foundation
import GatehouseClient
import GatehouseModel

/// Where the edge publishes a route: under its org's prefix (`{edge}/{org}{path}`), or on each of
/// its hosts at the edge's port. `function get` and `route get` print them.
enum PublicURLs {
    static func of(_ route: Route, org: String, edge: String) -> [String] {
        guard let hosts = route.hosts, !hosts.isEmpty else {
            return route.paths.map { "\(edge)/\(org)\($0)" }
        }
        let port = URL(string: edge)?.port.map { ":\($0)" } ?? ""
        return hosts.flatMap { host in route.paths.map { "https://\(host)\(port)\($0)" } }
    }

    /// Every route of `function`, each URL followed by the route's name.
    static func of(function: Function, org: String, edge: String, client: AdminClient) async throws -> [String] {
        let routes = try await client.listAll(Route.self, org: org).filter { $0.function == function.name }
        return routes.flatMap { route in of(route, org: org, edge: edge).map { "\($0)  (route \(route.name))" } }
    }
}

extension RouteCommands {
    static func publicURLs(of route: Route, edge: String, client: AdminClient) async throws -> [String] {
        PublicURLs.of(route, org: route.org ?? "", edge: edge)
    }
}

extension FunctionCommands {
    static func publicURLs(of function: Function, edge: String, client: AdminClient) async throws -> [String] {
        try await PublicURLs.of(function: function, org: function.org ?? "", edge: edge, client: client)
    }
}
