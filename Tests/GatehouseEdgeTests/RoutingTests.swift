import GatehouseModel
import Testing

@testable import GatehouseEdge

@Suite struct RoutingTests {
    private func function(_ name: String, org: String = "acme", url: String = "http://127.0.0.1:9000/base") -> Function {
        var function = Function(name: name, http: url)
        function.org = org
        return function
    }

    private func route(_ name: String, org: String = "acme", fn: String, paths: [String], methods: [String]? = nil, hosts: [String]? = nil) -> Route {
        var route = Route(name: name, function: fn, paths: paths, methods: methods, hosts: hosts)
        route.org = org
        return route
    }

    private func decide(_ snapshot: Snapshot, _ uri: String, method: String = "GET", host: String? = nil) throws -> RoutingDecision {
        snapshot.route(host: host.map { Substring($0) }, target: try RequestTarget(uri: uri), method: method)
    }

    private func routeName(_ decision: RoutingDecision) -> String? {
        if case .route(let route, _, _) = decision { return route.name }
        return nil
    }

    @Test func mostSpecificPatternWins() throws {
        let snapshot = Snapshot(
            revision: 1, functions: [function("f")],
            routes: [
                route("by-id", fn: "f", paths: ["/items/{id}"]),
                route("new", fn: "f", paths: ["/items/new"]),
                route("all", fn: "f", paths: ["/items/*"]),
            ])
        #expect(routeName(try decide(snapshot, "/acme/items/new")) == "new")
        #expect(routeName(try decide(snapshot, "/acme/items/42")) == "by-id")
        #expect(routeName(try decide(snapshot, "/acme/items/42/more")) == "all")
        #expect(routeName(try decide(snapshot, "/acme/items")) == "all")
    }

    @Test func capturesParametersAndForwardsTheRelativePath() throws {
        let snapshot = Snapshot(revision: 1, functions: [function("f")], routes: [route("r", fn: "f", paths: ["/items/{id}"])])
        guard case .route(let route, let parameters, let relative) = try decide(snapshot, "/acme/items/a%20b?x=1") else {
            Issue.record("no route")
            return
        }
        #expect(route.parameterNames == ["id"])
        #expect(parameters == ["a b"])
        #expect(relative == "/items/a%20b")
    }

    @Test func wrongMethodGives405WithAllowedMethods() throws {
        let snapshot = Snapshot(
            revision: 1, functions: [function("f")],
            routes: [
                route("get", fn: "f", paths: ["/x"], methods: ["GET"]),
                route("post", fn: "f", paths: ["/x"], methods: ["POST", "PUT"]),
            ])
        #expect(routeName(try decide(snapshot, "/acme/x", method: "PUT")) == "post")
        guard case .methodNotAllowed(let allowed, let pathRoute) = try decide(snapshot, "/acme/x", method: "DELETE") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "POST", "PUT"])
        // The path's route comes along, for its CORS rules to answer preflights.
        #expect(pathRoute?.name == "get")
    }

    @Test func unknownOrgOrPathIsNotFound() throws {
        let snapshot = Snapshot(revision: 1, functions: [function("f")], routes: [route("r", fn: "f", paths: ["/x"])])
        #expect(routeName(try decide(snapshot, "/other/x")) == nil)
        #expect(routeName(try decide(snapshot, "/acme/y")) == nil)
        #expect(routeName(try decide(snapshot, "/ACME/x")) == nil)
        #expect(routeName(try decide(snapshot, "/")) == nil)
    }

    @Test func hostRoutesServeOnlyTheirHosts() throws {
        let snapshot = Snapshot(
            revision: 1, functions: [function("f"), function("g", org: "beta")],
            routes: [
                route("exact", fn: "f", paths: ["/x"], hosts: ["api.example.com"]),
                route("wild", org: "beta", fn: "g", paths: ["/x"], hosts: ["*.wild.test"]),
                route("prefix", fn: "f", paths: ["/x"]),
            ])
        #expect(routeName(try decide(snapshot, "/x", host: "API.example.com:8443")) == "exact")
        #expect(routeName(try decide(snapshot, "/x", host: "a.b.wild.test")) == "wild")
        #expect(routeName(try decide(snapshot, "/x", host: "wild.test")) == nil)
        #expect(routeName(try decide(snapshot, "/acme/x", host: "api.example.com")) == nil)
        #expect(routeName(try decide(snapshot, "/acme/x", host: "localhost")) == "prefix")
    }

    @Test func routesWithMissingFunctionsAreLeftOut() throws {
        let snapshot = Snapshot(revision: 1, functions: [], routes: [route("r", fn: "gone", paths: ["/x"])])
        #expect(snapshot.routeCount == 0)
    }

    @Test func dotSegmentsAndBadEscapesAreRefused() {
        for uri in ["/acme/../x", "/acme/%2e%2e/x", "/acme/./x", "/acme/%zz", "*", "http://x/"] {
            #expect(throws: RequestTarget.Invalid.self) { try RequestTarget(uri: uri) }
        }
    }
}
