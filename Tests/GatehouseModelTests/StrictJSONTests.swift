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

    /// Readers disagree on which of two same-named members wins (with two `accept`s a route's
    /// auth could be read as public): a member named twice is refused, naming it.
    @Test func aMemberNamedTwiceIsRefusedWithItsPointer() {
        let cases: [(String, String, String)] = [
            (#"{"name":"a","function":"f","paths":["/"],"auth":{"accept":["api-key"],"accept":["none"]}}"#, "auth.accept", "/auth/accept"),
            (#"{"name":"a","name":"b","function":"f","paths":["/"]}"#, "name", "/name"),
            (#"{"name":"a","function":"f","paths":["/"],"cors":[{"x":1,"x":2}]}"#, "cors[0].x", "/cors/0/x"),
            (#"{"name":"a","function":"f","paths":["/"],"a~/b":1,"a~/b":2}"#, "a~/b", "/a~0~1b"),
        ]
        for (json, field, pointer) in cases {
            do {
                _ = try decode(Route.self, json)
                Issue.record("\(json) was accepted")
            } catch {
                #expect(error.status == 400)
                #expect(error.slug == "invalid-field")
                #expect(error.field == field)
                #expect(error.errors?.first?.pointer == pointer)
            }
        }
    }

    @Test func trailingCommasAByteOrderMarkAndOtherLaxSyntaxAreRefused() {
        let lax = [
            #"{"name":"acme",}"#, #"{"name":"acme","displayName":["a",]}"#, "\u{FEFF}{\"name\":\"acme\"}",
            #"{"name":"acme"} x"#, #"{"name":'acme'}"#, #"{"name":"acme" /* c */}"#, #"{"name":"acme","storageQuotaBytes":NaN}"#,
        ]
        for json in lax {
            do {
                _ = try decode(Org.self, json)
                Issue.record("\(json) was accepted")
            } catch {
                #expect(error.slug == "malformed-json", "\(json): \(error)")
                #expect(error.status == 400)
            }
        }
    }

    @Test func aNULInAnyStringIsRefusedNamingTheField() {
        func field(of attempt: () throws(Problem) -> Void) -> String? {
            do {
                try attempt()
                Issue.record("a NUL was accepted")
                return nil
            } catch {
                #expect(error.slug == "invalid-field")
                return error.field
            }
        }
        #expect(field { () throws(Problem) in _ = try decode(Org.self, #"{"name":"acme","displayName":"Ac\u0000me"}"#) } == "displayName")
        #expect(field { () throws(Problem) in _ = try decode(Route.self, #"{"name":"a","function":"f","paths":["/","/x\u0000"]}"#) } == "paths[1]")
    }
}
