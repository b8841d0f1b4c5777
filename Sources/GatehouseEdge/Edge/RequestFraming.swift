import NIOHTTP1

/// How a request's body is delimited — as the client framed it, and so as Gatehouse frames it
/// again for the upstream. The upstream request is always framed by Gatehouse itself: the
/// client's `Content-Length` and `Transfer-Encoding` never pass through. A body that reached an
/// HTTP/1.1 upstream without framing would be read there as the next request on a pooled
/// connection (request smuggling), so every method with a body gets a length or chunks.
enum RequestFraming: Equatable {
    /// No body: HTTP/1.1 without `Content-Length` or `Transfer-Encoding`; HTTP/2 with
    /// END_STREAM on its HEADERS.
    case none
    /// Exactly this many bytes (`Content-Length`, checked as the body arrives).
    case length(Int)
    /// A body of unknown length: HTTP/1.1 `chunked`, or HTTP/2 DATA without `content-length`.
    case streamed
    /// HTTP/2 without END_STREAM or `content-length` on a method whose requests rarely carry a
    /// body (GET, HEAD, DELETE, OPTIONS, TRACE): the first DATA frame or the end of the stream
    /// decides, so a body-less GET does not reach the upstream as `chunked`.
    case undecided

    /// Why the edge cannot vouch for a request's framing.
    enum Refusal: Error, Equatable {
        /// 400: malformed framing (a bad or conflicting `Content-Length`, `Transfer-Encoding`
        /// where it is not allowed).
        case malformed(String)
        /// 501: a transfer coding other than `chunked` (RFC 9112 §6.1).
        case unsupportedCoding(String)
    }

    /// HTTP/1.x framing from the request's fields (RFC 9112 §6). NIO's parser has already
    /// delimited the body by the same rules; this refuses what it tolerates.
    static func http1(_ head: HTTPRequestHead) throws(Refusal) -> RequestFraming {
        let codings = head.headers["transfer-encoding"]
        let lengths = head.headers["content-length"]
        if !codings.isEmpty {
            guard head.version != .http1_0 else {
                throw .malformed("HTTP/1.0 requests cannot use Transfer-Encoding")
            }
            guard lengths.isEmpty else {
                throw .malformed("a request cannot carry both Transfer-Encoding and Content-Length")
            }
            let tokens = codings.flatMap { $0.split(separator: ",") }.map { $0.trimmingHTTPWhitespace().lowercased() }
            guard tokens == ["chunked"] else {
                let other = tokens.first { $0 != "chunked" } ?? "chunked"
                throw .unsupportedCoding(
                    other == "chunked"
                        ? "'chunked' may be applied only once" : "the transfer coding '\(other)' is not supported; send the body chunked or with Content-Length")
            }
            return .streamed
        }
        switch ContentLength.parse(lengths) {
        case .absent: return .none
        case .value(let n): return .length(n)
        case .invalid(let reason): throw .malformed(reason)
        }
    }

    /// HTTP/2 framing from the header block as received (`content-length` values before any
    /// conversion) and its END_STREAM flag (RFC 9113 §8.1).
    static func http2(contentLengths: [String], endStream: Bool, method: HTTPMethod) throws(Refusal) -> RequestFraming {
        switch ContentLength.parse(contentLengths) {
        case .invalid(let reason): throw .malformed(reason)
        case .value(let n): return endStream ? (n == 0 ? .none : .length(n)) : .length(n)
        case .absent:
            if endStream { return .none }
            return method.bodyIsUnusual ? .undecided : .streamed
        }
    }

    /// The framing field of the upstream request, written by Gatehouse alone. An HTTP/2
    /// upstream frames with DATA and END_STREAM, so it needs no `Transfer-Encoding`.
    func upstreamField(method: HTTPMethod, upstreamIsHTTP2: Bool) -> (name: String, value: String)? {
        switch self {
        case .none, .undecided:
            // RFC 9110 §8.6: a request whose method defines a body says "0" rather than nothing.
            return method.bodyIsUnusual ? nil : ("content-length", "0")
        case .length(let n):
            return n == 0 && method.bodyIsUnusual ? nil : ("content-length", String(n))
        case .streamed:
            return upstreamIsHTTP2 ? nil : ("transfer-encoding", "chunked")
        }
    }
}

/// `Content-Length` read strictly (RFC 9110 §8.6): each value is `1*DIGIT`; several values, as
/// repeated fields or a list, only when they are all equal. Anything else — empty, signed,
/// padded, a list of different numbers — is refused, never passed on for an upstream to read
/// its own way.
enum ContentLength: Equatable {
    case absent
    case value(Int)
    case invalid(String)

    /// More digits than this could overflow; no body the edge accepts is that large anyway.
    static let maxDigits = 15

    static func parse(_ values: some Sequence<String>) -> ContentLength {
        var found: Int?
        for value in values {
            guard let first = value.utf8.first, let last = value.utf8.last, !isWhitespace(first), !isWhitespace(last) else {
                return .invalid("the Content-Length field is empty or padded with whitespace")
            }
            for member in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = member.trimmingHTTPWhitespace()
                guard !digits.isEmpty, digits.utf8.count <= maxDigits,
                    digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let n = Int(digits)
                else {
                    return .invalid("Content-Length must be a non-negative decimal number, got '\(value.prefix(40))'")
                }
                if let found, found != n { return .invalid("the request carries different Content-Length values") }
                found = n
            }
        }
        return found.map(ContentLength.value) ?? .absent
    }

    private static func isWhitespace(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
}

extension HTTPMethod {
    /// Methods whose requests define no meaning for a body (RFC 9110 §9.3): a body on them is
    /// still forwarded, framed, but an absent one is not announced as `Content-Length: 0`.
    var bodyIsUnusual: Bool {
        switch self {
        case .GET, .HEAD, .DELETE, .OPTIONS, .TRACE, .CONNECT: true
        default: false
        }
    }
}

extension Substring {
    /// Without leading and trailing SP and HTAB (HTTP's optional whitespace).
    func trimmingHTTPWhitespace() -> Substring {
        let s = self
        let start = s.firstIndex { $0 != " " && $0 != "\t" } ?? s.endIndex
        let end = s[start...].lastIndex { $0 != " " && $0 != "\t" }.map { s.index(after: $0) } ?? start
        return s[start..<end]
    }
}
