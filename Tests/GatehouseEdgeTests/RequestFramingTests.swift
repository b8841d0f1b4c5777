import GatehouseModel
import NIOHTTP1
import Testing

@testable import GatehouseEdge

/// The framing rules that keep a body from reaching an upstream as a request of its own.
@Suite struct RequestFramingTests {
    private func head(_ headers: HTTPHeaders, method: HTTPMethod = .POST, version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/", headers: headers)
    }

    @Test(arguments: ["", " ", "\t", "3 ", " 3", "+3", "-3", "0x3", "3, 4", "3,,3", "1e1", "3.0", "9999999999999999"])
    func malformedContentLengthsAreRefused(_ value: String) {
        guard case .invalid = ContentLength.parse([value]) else {
            Issue.record("'\(value)' was accepted")
            return
        }
    }

    @Test func equalValuesAndLeadingZerosAreOneLength() {
        #expect(ContentLength.parse(["3, 3"]) == .value(3))
        #expect(ContentLength.parse(["3", "3"]) == .value(3))
        #expect(ContentLength.parse(["03"]) == .value(3))
        #expect(ContentLength.parse([String]()) == .absent)
        if case .invalid = ContentLength.parse(["3", "4"]) {} else { Issue.record("3 and 4 were accepted") }
    }

    @Test func http1FramingFollowsTheFields() throws {
        #expect(try RequestFraming.http1(head(["content-length": "5"])) == .length(5))
        #expect(try RequestFraming.http1(head(["transfer-encoding": "chunked"])) == .streamed)
        #expect(try RequestFraming.http1(head([:], method: .GET)) == RequestFraming.none)
        #expect(throws: RequestFraming.Refusal.self) { try RequestFraming.http1(head(["transfer-encoding": "chunked", "content-length": "3"])) }
        #expect(throws: RequestFraming.Refusal.malformed("HTTP/1.0 requests cannot use Transfer-Encoding")) {
            try RequestFraming.http1(head(["transfer-encoding": "chunked"], version: .http1_0))
        }
    }

    @Test(arguments: ["gzip, chunked", "deflate", "chunked, chunked", "x-custom"])
    func onlyChunkedIsForwarded(_ coding: String) {
        #expect {
            try RequestFraming.http1(head(["transfer-encoding": coding]))
        } throws: { error in
            guard case .unsupportedCoding = error as? RequestFraming.Refusal else { return false }
            return true
        }
    }

    @Test func http2FramingFollowsEndStreamAndContentLength() throws {
        #expect(try RequestFraming.http2(contentLengths: [], endStream: true, method: .POST) == RequestFraming.none)
        #expect(try RequestFraming.http2(contentLengths: [], endStream: false, method: .POST) == .streamed)
        #expect(try RequestFraming.http2(contentLengths: [], endStream: false, method: .GET) == .undecided)
        #expect(try RequestFraming.http2(contentLengths: ["7"], endStream: false, method: .GET) == .length(7))
        #expect(throws: RequestFraming.Refusal.self) { try RequestFraming.http2(contentLengths: [" 7"], endStream: false, method: .GET) }
    }

    @Test func everyBodyIsFramedUpstreamWhateverTheMethod() {
        for method: HTTPMethod in [.GET, .HEAD, .DELETE, .OPTIONS, .POST, .PUT, .PATCH] {
            #expect(RequestFraming.streamed.upstreamField(method: method, upstreamIsHTTP2: false)! == ("transfer-encoding", "chunked"))
            #expect(RequestFraming.length(9).upstreamField(method: method, upstreamIsHTTP2: false)! == ("content-length", "9"))
            #expect(RequestFraming.streamed.upstreamField(method: method, upstreamIsHTTP2: true) == nil)
        }
        #expect(RequestFraming.none.upstreamField(method: .GET, upstreamIsHTTP2: false) == nil)
        #expect(RequestFraming.none.upstreamField(method: .POST, upstreamIsHTTP2: false)! == ("content-length", "0"))
    }

    @Test func http1NeedsExactlyOneHost() {
        #expect(RequestAuthority.http1(head(["host": "a.example"])) == .success("a.example"))
        #expect(RequestAuthority.http1(head([:])) == .failure(.init("an HTTP/1.1 request needs a Host field")))
        #expect(RequestAuthority.http1(head([:], version: .http1_0)) == .success(nil))
        #expect(RequestAuthority.http1(head(HTTPHeaders([("host", "a.example"), ("host", "b.example")])))
            == .failure(.init("the request has more than one Host field")))
        #expect((try? RequestAuthority.http1(head(["host": "a.example/evil"])).get()) == nil)
    }

    @Test func http2RoutesByAuthorityAndRefusesADifferentHost() {
        #expect(RequestAuthority.http2(authority: "a.example", hosts: []) == .success("a.example"))
        #expect(RequestAuthority.http2(authority: "a.example", hosts: ["A.example"]) == .success("a.example"))
        #expect(RequestAuthority.http2(authority: "a.example", hosts: ["b.example"])
            == .failure(.init(":authority and host name different hosts")))
        #expect(RequestAuthority.http2(authority: nil, hosts: ["b.example"]) == .success("b.example"))
    }

    @Test func publicProblemsHideInternalDetail() {
        let failed = Problem.functionFailed("ValueError: boom: bad input").with(requestId: "r1")
        let shown = PublicProblem.forCaller(failed, org: "acme", function: "fn", runId: "run-1")
        #expect(shown.type == failed.type && shown.status == 502 && shown.requestId == "r1")
        #expect(shown.detail?.contains("ValueError") == false)
        #expect(shown.detail?.contains("gatehouse run get run-1 --org acme") == true)
        let input = Problem.invalidInput("the body is not JSON")
        #expect(PublicProblem.forCaller(input, org: "acme", function: "fn", runId: "run-1") == input)
    }

    @Test(arguments: ["/a%0d%0ab", "/a%00", "/a%7F", "/a\"b", "/a<b", "/a\\b", "/a b", "/a`b"])
    func targetsThatWouldReachTheFunctionAlteredAreRefused(_ uri: String) {
        #expect(throws: RequestTarget.Invalid.self) { try RequestTarget(uri: uri) }
    }

    @Test(arguments: ["/a/b?x=[1]", "/a|b", "/a{b}", "/a%20b", "/a/b?q=%0A"])
    func targetsBrowsersSendAreAccepted(_ uri: String) throws {
        _ = try RequestTarget(uri: uri)
    }
}

/// The SETTINGS ACK gate, over every order in which a client's bytes can arrive.
@Suite struct SettingsAckGateTests {
    private let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, length: Int) -> [UInt8] {
        [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
         UInt8(stream >> 24 & 0xFF), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)]
            + [UInt8](repeating: type, count: length)
    }
    private var settings: [UInt8] { frame(type: 4, length: 6) }
    private var ack: [UInt8] { frame(type: 4, flags: 1, length: 0) }
    private func headers(_ length: Int) -> [UInt8] { frame(type: 1, flags: 5, stream: 1, length: length) }

    private func bytes(_ action: SettingsAckGate.Action) -> [UInt8] {
        switch action {
        case .forward(let b), .finish(let b): b
        }
    }

    @Test func smallRequestsPassAtOnce() {
        var gate = SettingsAckGate()
        let input = preface + settings + headers(200)
        #expect(gate.received(input) == .forward(input))
        #expect(gate.received(ack) == .finish(ack))
    }

    @Test func aLargeFirstHeaderBlockWaitsForTheAckAndFollowsIt() {
        var gate = SettingsAckGate()
        let big = headers(20 * 1024)
        #expect(gate.received(preface + settings + big) == .forward(preface + settings))
        #expect(gate.isHolding)
        #expect(gate.received(ack) == .finish(ack + big))
    }

    @Test func theAckInTheSameReadAsTheBlockIsMovedAhead() {
        var gate = SettingsAckGate()
        let big = headers(8 * 1024)
        let data = frame(type: 0, stream: 1, length: 10)
        #expect(gate.received(preface + settings + big + data + ack) == .finish(preface + settings + ack + big + data))
    }

    @Test func bytesArrivingOneAtATimeGiveTheSameStream() {
        var gate = SettingsAckGate()
        let big = headers(5 * 1024)
        let input = preface + settings + big + ack + headers(10)
        var out: [UInt8] = []
        var finished = false
        for byte in input {
            let action = gate.received([byte])
            out += bytes(action)
            if case .finish = action {
                finished = true
                break
            }
        }
        #expect(finished)
        #expect(out == preface + settings + ack + big)
    }

    @Test func aClientThatNeverAcksCannotMakeTheGateHoldMore() {
        var gate = SettingsAckGate()
        _ = gate.received(preface + settings)
        let action = gate.received(headers(SettingsAckGate.maxHeld + 10))
        #expect(action == .finish(headers(SettingsAckGate.maxHeld + 10)))
    }

    @Test func aFrameThatIsNotHeldPassesBeforeItIsWhole() {
        var gate = SettingsAckGate()
        // garbage reading as a 16 MB frame of an unknown type: NIO must see it to refuse it
        let garbage = [UInt8](repeating: 0xFF, count: 64)
        #expect(gate.received(preface + garbage) == .forward(preface + garbage))
        let data = frame(type: 0, stream: 1, length: 100)
        var gate2 = SettingsAckGate()
        #expect(gate2.received(preface + settings + data.prefix(20)) == .forward(preface + settings + data.prefix(20)))
        #expect(gate2.received(data.dropFirst(20)) == .forward(Array(data.dropFirst(20))))
        #expect(gate2.received(ack) == .finish(ack))
    }

    @Test func givingUpPassesWhatWasHeldUnchanged() {
        var gate = SettingsAckGate()
        let big = headers(6 * 1024)
        _ = gate.received(preface + settings + big)
        #expect(gate.gaveUp() == .finish(big))
    }
}
