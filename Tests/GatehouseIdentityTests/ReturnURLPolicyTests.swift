import Testing

@testable import GatehouseIdentity

/// Open redirects after login are a classic vulnerability: every spelling browsers read as
/// another host must be refused.
@Suite("Login return URLs")
struct ReturnURLPolicyTests {
    let policy = ReturnURLPolicy(allowedOrigins: ["https://console.example.com", "http://127.0.0.1:3000"])

    @Test("own paths and listed origins pass", arguments: [
        "/", "/console", "/console/orgs/acme?tab=routes#top", "/a/%2e%2e/b",
        "https://console.example.com/after", "https://CONSOLE.example.com:443/x", "http://127.0.0.1:3000/cb",
    ])
    func allowed(_ target: String) {
        #expect(policy.check(target) == target)
    }

    @Test("absent or empty means /")
    func defaulted() {
        #expect(policy.check(nil) == "/auth/signed-in")
        #expect(policy.check("") == "/auth/signed-in")
    }

    @Test("other hosts, in every spelling, are refused", arguments: [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/%2Fevil.example",
        "/%2f%2fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example", "https://evil.example/",
        "https://console.example.com.evil.example/", "https://console.example.com@evil.example/",
        "https://user:pw@console.example.com/", "http://console.example.com/", "https://console.example.com:8443/",
        "javascript:alert(1)", "data:text/html,x", "evil.example", "https:evil.example", " /x", "/x\ty", "/x\ny",
        "/\u{0}x", "https://127.0.0.1:3000/", "/x\u{202E}y",
    ])
    func refused(_ target: String) {
        #expect(policy.check(target) == nil)
    }

    @Test("a very long target is refused")
    func long() {
        #expect(policy.check("/" + String(repeating: "a", count: ReturnURLPolicy.maximumLength)) == nil)
    }

    @Test("origins are normalized")
    func origins() {
        #expect(ReturnURLPolicy.normalizedOrigin("HTTPS://Example.COM:443/path") == "https://example.com")
        #expect(ReturnURLPolicy.normalizedOrigin("http://example.com:8080") == "http://example.com:8080")
        #expect(ReturnURLPolicy.normalizedOrigin("ftp://example.com") == nil)
        #expect(ReturnURLPolicy.normalizedOrigin("/relative") == nil)
    }
}

@Suite("Form encoding")
struct FormEncodingTests {
    @Test("round trip, %20 for spaces, + read as a space, bad escapes refused")
    func roundTrip() throws {
        let pairs = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("scope", "a b"), ("x", "é&=?")]
        let encoded = FormEncoding.encode(pairs)
        #expect(encoded.contains("scope=a%20b"))
        let decoded = try #require(FormEncoding.decode(encoded))
        #expect(decoded.map(\.0) == pairs.map(\.0))
        #expect(decoded.map(\.1) == pairs.map(\.1))
        #expect(FormEncoding.decode("scope=a+b")?.first?.1 == "a b")
        #expect(FormEncoding.decode("a=%zz") == nil)
    }
}
