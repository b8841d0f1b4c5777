import NIOHTTP1

/// The host a request names, by which it is routed and which `X-Forwarded-Host` reports, and
/// the rules that make it unambiguous. A request naming two hosts could be routed by one and
/// read by the function (or a cache in front of it) as the other: refused, not guessed.
enum RequestAuthority {
    /// HTTP/1.1 needs exactly one `Host` (RFC 9112 §3.2); HTTP/1.0 may have none (nil).
    static func http1(_ head: HTTPRequestHead) -> Result<String?, RequestAuthorityRefusal> {
        let hosts = head.headers["host"]
        if hosts.count > 1 { return .failure(.init("the request has more than one Host field")) }
        guard let host = hosts.first else {
            return head.version == .http1_0 ? .success(nil) : .failure(.init("an HTTP/1.1 request needs a Host field"))
        }
        return validated(host)
    }

    /// HTTP/2 routes by `:authority`; a `host` field beside it must name the same host, or the
    /// request is malformed (RFC 9113 §8.3.1). Without `:authority`, a single `host` serves.
    static func http2(authority: String?, hosts: [String]) -> Result<String?, RequestAuthorityRefusal> {
        if hosts.count > 1 { return .failure(.init("the request has more than one host field")) }
        if let authority {
            if let host = hosts.first, !host.utf8.elementsEqualIgnoringASCIICase(authority.utf8) {
                return .failure(.init(":authority and host name different hosts"))
            }
            return validated(authority)
        }
        return hosts.first.map(validated) ?? .success(nil)
    }

    /// An authority is host[:port] (RFC 3986 §3.2): no whitespace, controls, '/', '@' or other
    /// delimiters that a later parser could split differently.
    private static func validated(_ value: String) -> Result<String?, RequestAuthorityRefusal> {
        guard !value.isEmpty, value.utf8.count <= 255, value.utf8.allSatisfy(isAuthorityByte) else {
            return .failure(.init("the request's host is not a valid host[:port]"))
        }
        return .success(value)
    }

    private static func isAuthorityByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "["),
            UInt8(ascii: "]"), UInt8(ascii: "%"):
            true
        default: false
        }
    }
}

struct RequestAuthorityRefusal: Error, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
