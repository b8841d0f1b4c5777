import GatehouseModel
import NIOCore
import NIOHTTP1

/// Header rewriting between the client and an upstream, in both directions.
///
/// This runs twice per proxied request, so names are compared as ASCII bytes without case,
/// never lowercased into new strings, and nothing here touches Foundation.
enum ProxyHeaders {
    /// Headers Gatehouse itself sets for the function; a client must not be able to forge them.
    static let reservedPrefix = "x-gatehouse-"
    /// The caller's identity, a JWT Gatehouse signs for the function (see README, "Identity at
    /// the function"). Clients cannot send it: every `x-gatehouse-` header of theirs is dropped.
    static let identityHeader = "x-gatehouse-identity"

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
        /// Where a new trace context comes from when the client sent none.
        var identifiers: LoopIdentifiers
    }

    static func upstreamRequest(_ headers: HTTPHeaders, _ forwarding: Forwarding) -> HTTPHeaders {
        let nominated = connectionNominated(headers)
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 12)
        var traceparent: String?
        var priorForwardedFor: [String] = []
        var priorForwarded: [String] = []
        var priorVia: [String] = []
        var cookies: [String] = []
        for (name, value) in headers {
            switch HeaderName(name) {
            // Framing is Gatehouse's to write (see `RequestFraming`): the client's never passes.
            case .hopByHop, .contentLength, .host, .requestId, .reserved, .xForwardedProto, .xForwardedHost: continue
            case .traceparent: traceparent = value
            case .via: priorVia.append(value)
            case .xForwardedFor: priorForwardedFor.append(value)
            case .forwarded: priorForwarded.append(value)
            case .cookie:
                if let kept = withoutOwnCookies(value) { cookies.append(kept) }
            case .other:
                if !nominated.isEmpty && nominated.contains(where: { name.utf8.elementsEqualIgnoringASCIICase($0.utf8) }) { continue }
                out.add(name: name, value: value)
            }
        }
        // HTTP/2 sends each cookie as its own field; HTTP/1.1 allows one `Cookie` line, so the
        // pieces are joined with "; " (RFC 9113 §8.2.3).
        if !cookies.isEmpty { out.add(name: "cookie", value: cookies.joined(separator: "; ")) }
        out.add(name: "host", value: forwarding.upstreamAuthority)
        let client = forwarding.clientAddress?.ipAddress
        if let client {
            out.add(name: "x-forwarded-for", value: appending(client, to: priorForwardedFor))
        } else if !priorForwardedFor.isEmpty {
            out.add(name: "x-forwarded-for", value: priorForwardedFor.joined(separator: ", "))
        }
        out.add(name: "x-forwarded-proto", value: forwarding.scheme)
        if let host = forwarding.originalHost {
            out.add(name: "x-forwarded-host", value: host)
        }
        var element = "proto=" + forwarding.scheme
        if let client { element = "for=" + forwardedNode(client) + ";" + element }
        if let host = forwarding.originalHost, host.utf8.allSatisfy(isTokenByte) { element += ";host=" + host }
        out.add(name: "forwarded", value: appending(element, to: priorForwarded))
        out.add(name: "x-request-id", value: forwarding.requestId)
        out.add(name: "via", value: appending(viaHop(forwarding.receivedVersion), to: priorVia))
        out.add(name: "traceparent", value: traceparent.flatMap(TraceContext.validated) ?? forwarding.identifiers.traceparent())
        out.add(name: "x-gatehouse-org", value: forwarding.org)
        out.add(name: "x-gatehouse-route", value: forwarding.route)
        out.add(name: "x-gatehouse-function", value: forwarding.function)
        for (name, value) in zip(forwarding.parameterNames, forwarding.parameterValues) {
            out.add(name: "x-gatehouse-param-" + name.lowercased(), value: sanitizedFieldValue(value))
        }
        return out
    }

    static func downstreamResponse(_ headers: HTTPHeaders, requestId: String, receivedVersion: HTTPVersion) -> HTTPHeaders {
        let nominated = connectionNominated(headers)
        var out = HTTPHeaders()
        out.reserveCapacity(headers.count + 2)
        var priorVia: [String] = []
        for (name, value) in headers {
            switch HeaderName(name) {
            case .hopByHop, .requestId: continue
            case .via: priorVia.append(value)
            default:
                if !nominated.isEmpty && nominated.contains(where: { name.utf8.elementsEqualIgnoringASCIICase($0.utf8) }) { continue }
                out.add(name: name, value: value)
            }
        }
        out.add(name: "x-request-id", value: requestId)
        out.add(name: "via", value: appending(viaHop(receivedVersion), to: priorVia))
        return out
    }

    /// The names the proxy treats specially, recognised without allocating.
    enum HeaderName {
        /// RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies strip too.
        case hopByHop
        case contentLength, host, requestId, reserved, traceparent, via, xForwardedFor, xForwardedProto, xForwardedHost, forwarded
        case cookie
        case other

        init(_ name: String) {
            var name = name
            self = name.withUTF8 { Self.classify($0) }
        }

        private static func classify(_ n: UnsafeBufferPointer<UInt8>) -> HeaderName {
            func eq(_ literal: StaticString) -> Bool {
                n.count == literal.utf8CodeUnitCount && n.elementsEqualIgnoringASCIICase(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            }
            if n.count >= 12, UnsafeBufferPointer(rebasing: n[0..<12]).elementsEqualIgnoringASCIICase("x-gatehouse-".utf8) {
                return .reserved
            }
            switch n.count {
            case 2: return eq("te") ? .hopByHop : .other
            case 3: return eq("via") ? .via : .other
            case 4: return eq("host") ? .host : .other
            case 6: return eq("cookie") ? .cookie : .other
            case 7: return eq("upgrade") || eq("trailer") ? .hopByHop : .other
            case 9: return eq("forwarded") ? .forwarded : .other
            case 10: return eq("connection") || eq("keep-alive") ? .hopByHop : .other
            case 11: return eq("traceparent") ? .traceparent : .other
            case 12: return eq("x-request-id") ? .requestId : .other
            case 14: return eq("content-length") ? .contentLength : .other
            case 15: return eq("x-forwarded-for") ? .xForwardedFor : .other
            case 16: return eq("proxy-connection") ? .hopByHop : (eq("x-forwarded-host") ? .xForwardedHost : .other)
            case 17: return eq("transfer-encoding") ? .hopByHop : (eq("x-forwarded-proto") ? .xForwardedProto : .other)
            case 18: return eq("proxy-authenticate") ? .hopByHop : .other
            case 19: return eq("proxy-authorization") ? .hopByHop : .other
            default: return .other
            }
        }
    }

    /// Gatehouse's own cookies (`__Host-gatehouse-session`, `__Host-gatehouse-login`) are
    /// credentials for Gatehouse alone. Browsers send them to every path of the host, so without
    /// this any function published on the same host — another org's, under its own prefix —
    /// would receive the sessions of everyone who visits it.
    static let ownCookiePrefix = "__Host-gatehouse-"

    /// `value` without Gatehouse's cookies; nil when none are left.
    static func withoutOwnCookies(_ value: String) -> String? {
        guard value.contains(ownCookiePrefix) else { return value }
        let kept = value.split(separator: ";").map { $0.drop(while: { $0 == " " }) }
            .filter { !$0.isEmpty && !$0.hasPrefix(ownCookiePrefix) }
        return kept.isEmpty ? nil : kept.joined(separator: "; ")
    }

    private static func appending(_ element: String, to prior: [String]) -> String {
        prior.isEmpty ? element : prior.joined(separator: ", ") + ", " + element
    }

    /// RFC 9110 §7.6.3: each proxy appends the protocol version it received the message with.
    private static func viaHop(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (2, _): return "2 gatehouse"
        case (1, 1): return "1.1 gatehouse"
        case (1, 0): return "1.0 gatehouse"
        default: return "\(version.major).\(version.minor) gatehouse"
        }
    }

    /// Header names listed in `Connection`, which are hop-by-hop for this message only
    /// (RFC 9110 §7.6.1). Empty in HTTP/2, where `Connection` is forbidden.
    private static func connectionNominated(_ headers: HTTPHeaders) -> [Substring] {
        var names: [Substring] = []
        for value in headers["connection"] {
            for token in value.split(separator: ",") {
                let start = token.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? token.endIndex
                let end = token.lastIndex(where: { $0 != " " && $0 != "\t" }).map { token.index(after: $0) } ?? start
                if start < end { names.append(token[start..<end]) }
            }
        }
        return names
    }

    /// RFC 7239 node: IPv6 addresses are quoted and bracketed.
    private static func forwardedNode(_ ip: String) -> String {
        ip.utf8.contains(UInt8(ascii: ":")) ? "\"[\(ip)]\"" : ip
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b)
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
    }

    /// A decoded path parameter may hold bytes no header can carry; those become '?'. The
    /// request target already refuses encoded control characters (`RequestTarget`), so this
    /// only guards against a future caller that skips that check.
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

    private static func isLowerHex(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x61...0x66).contains(b) }
}

/// Request ids: the client's when it sent a sane one, a random 128-bit hex string otherwise.
enum RequestID {
    static func from(_ headers: HTTPHeaders, identifiers: LoopIdentifiers) -> String {
        if let given = headers.first(name: "x-request-id"), RequestIDRule.accepts(given) {
            return given
        }
        return identifiers.requestId()
    }
}

extension Sequence<UInt8> {
    /// Byte-wise equality where ASCII letters match either case (HTTP field names).
    func elementsEqualIgnoringASCIICase(_ other: some Sequence<UInt8>) -> Bool {
        elementsEqual(other) { a, b in
            let (la, lb) = (a | 0x20, b | 0x20)
            return a == b || (la == lb && la >= UInt8(ascii: "a") && la <= UInt8(ascii: "z"))
        }
    }
}
