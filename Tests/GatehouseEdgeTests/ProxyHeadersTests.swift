import NIOCore
import NIOHTTP1
import Testing

@testable import GatehouseEdge

@Suite struct ProxyHeadersTests {
    private func forwarding(params: [String] = [], values: [Substring] = []) throws -> ProxyHeaders.Forwarding {
        ProxyHeaders.Forwarding(
            clientAddress: try SocketAddress(ipAddress: "192.0.2.7", port: 5555), scheme: "https",
            originalHost: "edge.example", requestId: "req-1", receivedVersion: .http2, upstreamAuthority: "127.0.0.1:9000", org: "acme",
            route: "r", function: "f", parameterNames: params, parameterValues: values, identifiers: LoopIdentifiers())
    }

    @Test func stripsHopByHopAndNominatedHeaders() throws {
        let incoming: HTTPHeaders = [
            "host": "edge.example", "connection": "keep-alive, x-secret-hop", "keep-alive": "timeout=5", "te": "trailers",
            "upgrade": "h2c", "proxy-connection": "x", "x-secret-hop": "1", "accept": "*/*",
        ]
        let out = ProxyHeaders.upstreamRequest(incoming, try forwarding())
        for name in ["connection", "keep-alive", "te", "upgrade", "proxy-connection", "x-secret-hop"] {
            #expect(out[name].isEmpty, "\(name) was forwarded")
        }
        #expect(out["accept"] == ["*/*"])
        #expect(out["host"] == ["127.0.0.1:9000"])
    }

    @Test func setsForwardingHeadersAndAppendsToPriorOnes() throws {
        let out = ProxyHeaders.upstreamRequest(["x-forwarded-for": "203.0.113.1"], try forwarding())
        #expect(out["x-forwarded-for"] == ["203.0.113.1, 192.0.2.7"])
        #expect(out["x-forwarded-proto"] == ["https"])
        #expect(out["x-forwarded-host"] == ["edge.example"])
        #expect(out["forwarded"] == ["for=192.0.2.7;proto=https;host=edge.example"])
        #expect(out["x-request-id"] == ["req-1"])
    }

    @Test func gatehouseHeadersCannotBeForged() throws {
        let out = ProxyHeaders.upstreamRequest(
            ["X-Gatehouse-Org": "evil", "x-gatehouse-param-id": "forged"],
            try forwarding(params: ["id"], values: ["42"]))
        #expect(out["x-gatehouse-org"] == ["acme"])
        #expect(out["x-gatehouse-param-id"] == ["42"])
    }

    @Test func traceparentPassesWhenValidAndIsMintedOtherwise() throws {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(ProxyHeaders.upstreamRequest(["traceparent": valid], try forwarding())["traceparent"] == [valid])
        for bad in ["garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"] {
            let minted = ProxyHeaders.upstreamRequest(["traceparent": bad], try forwarding())["traceparent"].first
            #expect(minted != bad)
            #expect(minted.flatMap(TraceContext.validated) != nil)
        }
    }

    @Test func responseHeadersLoseHopByHopAndGainTheRequestId() {
        let out = ProxyHeaders.downstreamResponse(
            ["connection": "close", "transfer-encoding": "chunked", "content-type": "text/plain", "x-request-id": "upstream"],
            requestId: "req-1", receivedVersion: .http1_1)
        #expect(out["connection"].isEmpty && out["transfer-encoding"].isEmpty)
        #expect(out["content-type"] == ["text/plain"])
        #expect(out["x-request-id"] == ["req-1"])
        #expect(out["via"] == ["1.1 gatehouse"])
    }

    @Test func viaNamesEachHopsProtocolVersion() throws {
        let out = ProxyHeaders.upstreamRequest(["via": "1.1 cdn"], try forwarding())
        #expect(out["via"] == ["1.1 cdn, 2 gatehouse"])
    }

    @Test func requestIdsArePassedThroughWhenSane() {
        #expect(RequestID.from(["x-request-id": "abc-123"], identifiers: LoopIdentifiers()) == "abc-123")
        let generated = RequestID.from(["x-request-id": String(repeating: "a", count: 500)], identifiers: LoopIdentifiers())
        #expect(generated.count == 32)
    }

    @Test func namesAreMatchedWithoutRegardToCase() throws {
        let out = ProxyHeaders.upstreamRequest(
            ["Connection": "Keep-Alive, X-Hop", "TRANSFER-ENCODING": "chunked", "X-HOP": "1", "X-Request-ID": "spoof",
             "X-GateHouse-Org": "evil", "Accept": "*/*"],
            try forwarding())
        #expect(out["transfer-encoding"].isEmpty && out["x-hop"].isEmpty && out["connection"].isEmpty)
        #expect(out["x-request-id"] == ["req-1"])
        #expect(out["x-gatehouse-org"] == ["acme"])
        #expect(out["accept"] == ["*/*"])
    }

    /// A `Via` after a valid `traceparent` once overwrote the trace context being passed on.
    @Test func viaDoesNotDisturbTheTraceContext() throws {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let out = ProxyHeaders.upstreamRequest(["traceparent": valid, "via": "1.1 cdn"], try forwarding())
        #expect(out["traceparent"] == [valid])
        #expect(out["via"] == ["1.1 cdn, 2 gatehouse"])
    }

    @Test func forwardedForIsAppendedToEveryPriorValue() throws {
        var headers: HTTPHeaders = ["x-forwarded-for": "203.0.113.1"]
        headers.add(name: "X-Forwarded-For", value: "198.51.100.2")
        let out = ProxyHeaders.upstreamRequest(headers, try forwarding())
        #expect(out["x-forwarded-for"] == ["203.0.113.1, 198.51.100.2, 192.0.2.7"])
    }
}
