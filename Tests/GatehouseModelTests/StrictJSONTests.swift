import Foundation
import GatehouseModel
import Testing

@Suite struct StrictJSONTests {
    private func decode<T: Codable>(_ type: T.Type, _ json: String) throws(Problem) -> T {
        try StrictJSON.decode(type, from: Data(json.utf8))
    }

    @Test func decodesAKnownDocument() throws {
        let function = try decode(Function.self, #"{"name":"hello","runtime":"http","http":{"url":"http://127.0.0.1:9000/"},"timeoutMs":500}"#)
        #expect(function.name == "hello")
        #expect(function.timeoutMs == 500)
    }

    @Test func namesUnknownTopLevelAndNestedFields() {
        #expect(throws: Problem.unknownField("timoutMs")) {
            try decode(Function.self, #"{"name":"a","runtime":"http","http":{"url":"http://x/"},"timoutMs":1}"#)
        }
        #expect(throws: Problem.unknownField("http.urll")) {
            try decode(Function.self, #"{"name":"a","runtime":"http","http":{"url":"http://x/","urll":"y"}}"#)
        }
        #expect(throws: Problem.unknownField("auth.kind")) {
            try decode(Route.self, #"{"name":"a","function":"f","paths":["/"],"auth":{"mode":"none","kind":1}}"#)
        }
    }

    @Test func explicitNullsAreFineForOptionals() throws {
        let org = try decode(Org.self, #"{"name":"acme","displayName":null}"#)
        #expect(org.displayName == nil)
    }

    @Test func reportsMalformedJSONAndWrongTypes() {
        #expect(throws: Problem.self) { try decode(Org.self, "{") }
        #expect(throws: Problem.self) { try decode(Org.self, "[]") }
        do {
            _ = try decode(Function.self, #"{"name":"a","runtime":"http","timeoutMs":"soon"}"#)
            Issue.record("expected a problem")
        } catch {
            #expect(error.field == "timeoutMs")
            #expect(error.status == 400)
        }
        do {
            _ = try decode(Route.self, #"{"name":"a","paths":["/"]}"#)
            Issue.record("expected a problem")
        } catch {
            #expect(error.field == "function")
        }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Problem.self) { try decode(Org.self, #"{"name":"a","displayName":\#(deep)}"#) }
    }

    @Test func secretValuesAreRedacted() throws {
        let secret = try decode(Secret.self, #"{"name":"db","values":{"user":"u","password":"p"}}"#)
        let shown = secret.redacted()
        #expect(shown.values == nil)
        #expect(shown.keys == ["password", "user"])
        let json = String(decoding: try StrictJSON.encoder.encode(shown), as: UTF8.self)
        #expect(!json.contains("\"p\"") && !json.contains("\"u\""))
    }

    @Test func functionURLValidation() {
        #expect(throws: Problem.self) { try Function(name: "a", http: "ftp://x/").validate() }
        #expect(throws: Problem.self) { try Function(name: "a", http: "http:///nohost").validate() }
        #expect(throws: Problem.self) { try Function(name: "a", http: "http://x/?q=1").validate() }
        #expect(throws: Problem.self) { try Function(name: "a", http: "http://x/", timeoutMs: 0).validate() }
        #expect(throws: Never.self) { try Function(name: "a", http: "https://x:8443/base/").validate() }
    }

    @Test func upstreamURLParsing() throws {
        let url = try UpstreamURL(parsing: "https://[::1]:8443/base/", field: "u")
        #expect(url.host == "::1")
        #expect(url.port == 8443)
        #expect(url.basePath == "/base")
        #expect(url.usesTLS)
        #expect(try UpstreamURL(parsing: "http://example.com", field: "u").port == 80)
    }
}
