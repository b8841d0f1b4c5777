import Testing

@testable import GatehousePolicy

@Suite("Request limits")
struct RequestLimitsTests {
    let limits = RequestLimits(
        methods: ["get", "POST"], contentTypes: ["application/json", "text/*"], maxBodyBytes: 1000, maxHeaderBytes: 200)

    func check(_ method: String = "POST", type: String? = "application/json", length: Int? = 10, headers: [(String, String)] = [])
        -> RequestLimits.Refusal?
    {
        limits.check(method: method, contentType: type, contentLength: length, headers: headers.map { (name: $0.0, value: $0.1) })
    }

    @Test("what passes")
    func passes() {
        #expect(check() == nil)
        #expect(check(type: "application/json; charset=utf-8") == nil)
        #expect(check(type: "Text/Plain") == nil)
        #expect(check("GET", type: nil, length: nil) == nil)  // no body, no content type needed
        #expect(limits.check(bodyBytesSoFar: 1000) == nil)
    }

    @Test("each refusal, with its status")
    func refusals() {
        #expect(check("DELETE") == .method(allowed: ["GET", "POST"]))
        #expect(check("DELETE")?.status == 405)
        #expect(check(type: "application/xml") == .contentType("application/xml"))
        #expect(check(type: nil, length: 5)?.status == 415)
        #expect(check(type: "application/jsonx")?.status == 415)
        #expect(check(length: 1001) == .bodyTooLarge(limit: 1000))
        #expect(limits.check(bodyBytesSoFar: 1001)?.status == 413)
        #expect(check(headers: [("x-big", String(repeating: "a", count: 200))]) == .headersTooLarge(limit: 200))
        #expect(check(headers: [("x-big", String(repeating: "a", count: 200))])?.status == 431)
    }

    @Test("no limits: everything passes")
    func unlimited() {
        #expect(RequestLimits().check(method: "PATCH", contentType: "x/y", contentLength: 1 << 40, headers: [(name: String, value: String)]()) == nil)
    }
}
