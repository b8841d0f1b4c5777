import GatehouseModel
import Testing

@Suite struct PathPatternTests {
    @Test func parsesLiteralsParametersAndWildcard() throws {
        let pattern = try PathPattern(parsing: "/items/{id}/files/*", field: "p")
        #expect(pattern.segments == [.literal("items"), .parameter("id"), .literal("files")])
        #expect(pattern.hasWildcard)
        #expect(pattern.shape == "/items/{}/files/*")
        #expect(try PathPattern(parsing: "/", field: "p").segments.isEmpty)
    }

    @Test(arguments: ["", "items", "/a//b", "/a/", "/*/a", "/{1x}", "/{a}/{a}", "/a/../b", "/a/./b", "/a%20b", "/a b", "/{}"])
    func refusesMalformedPatterns(_ raw: String) {
        #expect(throws: Problem.self) { try PathPattern(parsing: raw, field: "paths[0]") }
    }

    @Test func equalShapesOverlapAndSpecificOnesDoNot() {
        let a = Route(name: "a", function: "f", paths: ["/items/{id}"])
        let b = Route(name: "b", function: "f", paths: ["/items/{name}"])
        let c = Route(name: "c", function: "f", paths: ["/items/new"])
        #expect(a.overlap(with: b) == "/items/{id}")
        #expect(a.overlap(with: c) == nil)
    }

    @Test func disjointMethodsOrHostsDoNotOverlap() {
        let get = Route(name: "a", function: "f", paths: ["/x"], methods: ["GET"])
        let post = Route(name: "b", function: "f", paths: ["/x"], methods: ["POST"])
        let any = Route(name: "c", function: "f", paths: ["/x"])
        let hosted = Route(name: "d", function: "f", paths: ["/x"], hosts: ["a.example.com"])
        #expect(get.overlap(with: post) == nil)
        #expect(get.overlap(with: any) == "/x")
        #expect(any.overlap(with: hosted) == nil)
    }

    @Test func hostPatterns() throws {
        #expect(try HostPattern(parsing: "API.example.com", field: "h").kind == .exact("api.example.com"))
        #expect(try HostPattern(parsing: "*.example.com", field: "h").kind == .wildcard(suffix: ".example.com"))
        #expect(throws: Problem.self) { try HostPattern(parsing: "a.*.com", field: "h") }
        #expect(throws: Problem.self) { try HostPattern(parsing: "under_score.com", field: "h") }
        #expect(HostPattern.normalize(authority: "Example.com:8443") == "Example.com")
        #expect(HostPattern.normalize(authority: "[::1]:8443") == "[::1]")
        #expect(HostPattern.normalize(authority: "example.com.") == "example.com")
    }
}
