import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// Header rewriting between the client and an upstream, in both directions.
enum ProxyHeaders {
    /// RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies strip too.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]
    /// Headers Gatehouse itself sets for the function; a client must not be able to forge them.
    static let reservedPrefix = "x-gatehouse-"

    struct Forwarding {
        var clientAddress: SocketAddress?
        var scheme: String
        var originalHost: String?
        var requestId: String
        /// The version of the request as received, for `Via`.
        var receivedVersion: HTTPVersion
        var upstreamAuthority: String
        var org: String
        var route: String
        var function: String
        var parameterNames: [String]
        var parameterValues: [Substring]
    }

    static func upstreamRequest(_ headers: HTTPHeaders, _ forwarding: Forwarding) -> HTTPHeaders {
        var named = connectionNominated(headers)
        named.formUnion(hopByHop)
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 10)
        var traceparent: String?
        for (name, value) in headers {
            let lowered = name.lowercased()
            if named.contains(lowered) || lowered == "host" || lowered == "x-request-id"
                || lowered.hasPrefix(reservedPrefix)
            {
                continue
            }
            if lowered == "traceparent" || lowered == "via" {
                traceparent = value
                continue
            }
            out.add(name: name, value: value)
        }
        out.add(name: "host", value: forwarding.upstreamAuthority)
        let client = forwarding.clientAddress?.ipAddress
        if let client {
            let prior = headers["x-forwarded-for"].joined(separator: ", ")
            out.replaceOrAdd(name: "x-forwarded-for", value: prior.isEmpty ? client : prior + ", " + client)
        }
        out.replaceOrAdd(name: "x-forwarded-proto", value: forwarding.scheme)
        if let host = forwarding.originalHost {
            out.replaceOrAdd(name: "x-forwarded-host", value: host)
        }
        var element = "proto=\(forwarding.scheme)"
        if let client { element = "for=\(forwardedNode(client));" + element }
        if let host = forwarding.originalHost, host.utf8.allSatisfy(isTokenByte) { element += ";host=\(host)" }
        let priorForwarded = headers["forwarded"].joined(separator: ", ")
        out.replaceOrAdd(name: "forwarded", value: priorForwarded.isEmpty ? element : priorForwarded + ", " + element)
        out.add(name: "x-request-id", value: forwarding.requestId)
        out.add(name: "via", value: via(forwarding.receivedVersion, prior: headers["via"]))
        out.add(name: "traceparent", value: traceparent.flatMap(TraceContext.validated) ?? TraceContext.generate())
        out.add(name: "x-gatehouse-org", value: forwarding.org)
        out.add(name: "x-gatehouse-route", value: forwarding.route)
        out.add(name: "x-gatehouse-function", value: forwarding.function)
        for (name, value) in zip(forwarding.parameterNames, forwarding.parameterValues) {
            out.add(name: "x-gatehouse-param-" + name.lowercased(), value: sanitizedFieldValue(value))
        }
        return out
    }

    static func downstreamResponse(_ headers: HTTPHeaders, requestId: String, receivedVersion: HTTPVersion) -> HTTPHeaders {
        var named = connectionNominated(headers)
        named.formUnion(hopByHop)
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 2)
        for (name, value) in headers {
            let lowered = name.lowercased()
            if named.contains(lowered) || lowered == "x-request-id" || lowered == "via" { continue }
            out.add(name: name, value: value)
        }
        out.add(name: "x-request-id", value: requestId)
        out.add(name: "via", value: via(receivedVersion, prior: headers["via"]))
        return out
    }

    /// RFC 9110 §7.6.3: each proxy appends the protocol version it received the message with.
    private static func via(_ version: HTTPVersion, prior: [String]) -> String {
        let hop = (version.major >= 2 ? "\(version.major)" : "\(version.major).\(version.minor)") + " gatehouse"
        let earlier = prior.joined(separator: ", ")
        return earlier.isEmpty ? hop : earlier + ", " + hop
    }

    /// Header names listed in `Connection`, which are hop-by-hop for this message only.
    private static func connectionNominated(_ headers: HTTPHeaders) -> Set<String> {
        var names: Set<String> = []
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                names.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }

    /// RFC 7239 node: IPv6 addresses are quoted and bracketed.
    private static func forwardedNode(_ ip: String) -> String {
        ip.contains(":") ? "\"[\(ip)]\"" : ip
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
    }

    /// A decoded path parameter may hold bytes no header can carry; those become '?'.
    private static func sanitizedFieldValue(_ value: Substring) -> String {
        String(decoding: value.utf8.map { ($0 >= 0x20 && $0 != 0x7F) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

/// W3C Trace Context: pass a valid `traceparent` through, start a new trace otherwise.
enum TraceContext {
    static func validated(_ value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", parts[1].count == 32, parts[2].count == 16,
            parts[3].count == 2, parts.prefix(4).allSatisfy({ $0.utf8.allSatisfy(isLowerHex) }),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        return value
    }

    static func generate() -> String {
        "00-" + RequestID.hex(UInt64.random(in: 1...UInt64.max)) + RequestID.hex(UInt64.random(in: 0...UInt64.max))
            + "-" + RequestID.hex(UInt64.random(in: 1...UInt64.max)) + "-01"
    }

    private static func isLowerHex(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x61...0x66).contains(b) }
}

/// Request ids: the client's when it sent a sane one, a random 128-bit hex string otherwise.
enum RequestID {
    static func from(_ headers: HTTPHeaders) -> String {
        if let given = headers.first(name: "x-request-id"), RequestIDRule.accepts(given) {
            return given
        }
        return hex(UInt64.random(in: 0...UInt64.max)) + hex(UInt64.random(in: 0...UInt64.max))
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
