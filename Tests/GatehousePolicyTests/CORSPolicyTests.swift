import Testing

@testable import GatehousePolicy

@Suite("CORS")
struct CORSPolicyTests {
    @Test("exact and wildcard-subdomain origins; scheme and port exact; null and look-alikes refused")
    func origins() throws {
        let policy = try CORSPolicy(origins: ["https://app.example.com", "https://*.example.org", "http://localhost:3000"])
        for allowed in ["https://app.example.com", "https://APP.example.com", "https://a.example.org", "https://a.b.example.org", "http://localhost:3000"] {
            #expect(policy.allows(origin: allowed), "\(allowed)")
        }
        for refused in [
            "https://example.org", "https://evilexample.org", "https://a.example.org.evil.com", "http://a.example.org",
            "https://a.example.org:8443", "https://app.example.com:443", "http://localhost:3001", "null",
            "https://app.example.com.evil.com", "https://.example.org",
        ] {
            #expect(!policy.allows(origin: refused), "\(refused)")
        }
    }

    @Test("a preflight is answered for allowed methods and headers only")
    func preflight() throws {
        let policy = try CORSPolicy(
            origins: ["https://app.example.com"], methods: ["GET", "PUT"], headers: ["Content-Type", "X-Trace"],
            allowCredentials: true, maxAgeSeconds: 600)
        let answer = try #require(
            policy.preflight(origin: "https://app.example.com", requestMethod: "PUT", requestHeaders: "content-type, x-trace"))
        let headers = Dictionary(answer, uniquingKeysWith: { a, _ in a })
        #expect(headers["access-control-allow-origin"] == "https://app.example.com")
        #expect(headers["access-control-allow-methods"] == "PUT")
        #expect(headers["access-control-allow-headers"] == "content-type, x-trace")
        #expect(headers["access-control-allow-credentials"] == "true")
        #expect(headers["access-control-max-age"] == "600")
        #expect(headers["vary"] == "Origin")
        #expect(policy.preflight(origin: "https://app.example.com", requestMethod: "DELETE", requestHeaders: nil) == nil)
        #expect(policy.preflight(origin: "https://app.example.com", requestMethod: "PUT", requestHeaders: "authorization") == nil)
        #expect(policy.preflight(origin: "https://evil.example", requestMethod: "GET", requestHeaders: nil) == nil)
    }

    @Test("actual responses carry the origin, never '*', and exposed headers")
    func responses() throws {
        let policy = try CORSPolicy(origins: ["*"], exposedHeaders: ["X-Request-Id"])
        let headers = try #require(policy.responseHeaders(origin: "https://anyone.example"))
        #expect(headers.first { $0.0 == "access-control-allow-origin" }?.1 == "https://anyone.example")
        #expect(headers.first { $0.0 == "access-control-expose-headers" }?.1 == "X-Request-Id")
        #expect(policy.responseHeaders(origin: "null") == nil)
    }

    @Test("configurations browsers would refuse, or that mean something else, are refused")
    func configuration() {
        #expect(throws: CORSPolicy.ConfigurationError.wildcardWithCredentials) {
            try CORSPolicy(origins: ["*"], allowCredentials: true)
        }
        for bad in ["app.example.com", "ftp://x.example", "https://x.example/path", "https://*", "https://a.*.example.com", "https://*.com", "https://x.example:port"] {
            #expect(throws: CORSPolicy.ConfigurationError.self, "\(bad)") { try CORSPolicy(origins: [bad]) }
        }
    }
}
