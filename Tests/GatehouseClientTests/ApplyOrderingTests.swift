import GatehouseModel
import Testing

@testable import GatehouseClient

@Suite("Apply ordering")
struct ApplyOrderingTests {
    static func org(_ name: String) -> ApplyDocument { .org(Org(name: name)) }
    static func function(_ name: String) -> ApplyDocument {
        var function = Function(name: name, http: "http://x/")
        function.org = "acme"
        return .function(function)
    }
    static func route(_ name: String) -> ApplyDocument {
        var route = Route(name: name, function: "f", paths: ["/"])
        route.org = "acme"
        return .route(route)
    }
    static func secret(_ name: String) -> ApplyDocument {
        var secret = Secret(name: name, values: ["k": "v"])
        secret.org = "acme"
        return .secret(secret)
    }

    static func provider(_ name: String) -> ApplyDocument {
        var provider = IdentityProvider(name: name, oidc: .init(issuer: "https://id.example.com", clientId: "c"))
        provider.org = "acme"
        return .identityProvider(provider)
    }

    let fileOrder = [
        route("r1"), function("f1"), provider("p1"), secret("s1"), org("acme"), route("r2"), function("f2"), org("beta"),
    ]

    @Test func dependenciesComeFirstAndFileOrderIsKeptWithinAKind() {
        #expect(
            ApplyDocument.orderedForApply(fileOrder).map(\.label) == [
                "org acme", "org beta", "secret acme/s1", "identity-provider acme/p1", "function acme/f1",
                "function acme/f2", "route acme/r1", "route acme/r2",
            ])
    }

    @Test func deletionIsTheReverse() {
        #expect(
            ApplyDocument.orderedForDelete(fileOrder).map(\.kind)
                == [.route, .route, .function, .function, .identityProvider, .secret, .org, .org])
    }
}
