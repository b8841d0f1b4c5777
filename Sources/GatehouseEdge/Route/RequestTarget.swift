import GatehouseModel

/// A request's target split for routing: the path's segments, percent-decoded, and the raw
/// pieces needed to forward it unchanged.
struct RequestTarget {
    /// The path as received (still percent-encoded), without the query.
    let rawPath: Substring
    /// `?...` including the question mark, or empty.
    let query: Substring
    /// Raw (encoded) segments, for forwarding a suffix of the path unchanged.
    let rawSegments: [Substring]
    /// Decoded segments, for matching.
    let segments: [Substring]

    enum Invalid: Error {
        /// Not an origin-form target, a dot segment, or a bad escape.
        case malformed(String)
    }

    init(uri: String) throws(Invalid) {
        guard uri.utf8.first == UInt8(ascii: "/") else { throw .malformed("the request target must start with '/'") }
        // Byte-wise: the delimiters are ASCII, and Character search would run grapheme breaking.
        let full = Substring(uri)
        if let mark = full.utf8.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = full[..<mark]
            query = full[mark...]
        } else {
            rawPath = full
            query = ""
        }
        if rawPath.utf8.contains(UInt8(ascii: "#")) { throw .malformed("a request target has no fragment") }
        // RFC 3986 §3.3–3.4: anything else must arrive percent-encoded. Passing `"`, `<`, `\` or
        // raw bytes on would leave each later parser (the upstream's, a cache's) to guess.
        if let bad = full.utf8.first(where: { !RequestTarget.isTargetByte($0) }) {
            throw .malformed("the request target contains \(RequestTarget.describe(bad)), which must be percent-encoded")
        }
        let raw = rawPath.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { Substring($0) }
        var decoded: [Substring] = []
        decoded.reserveCapacity(raw.count)
        for segment in raw {
            let value: Substring
            if segment.utf8.contains(UInt8(ascii: "%")) {
                guard let text = RequestTarget.percentDecode(segment) else {
                    throw .malformed("the path has an invalid percent escape")
                }
                value = Substring(text)
            } else {
                value = segment
            }
            // Dot segments are refused rather than resolved: a gateway that normalizes them
            // differently from its upstream invites path confusion ('/a/../admin').
            if value == "." || value == ".." { throw .malformed("the path must not contain '.' or '..' segments") }
            // A decoded CR, LF or NUL would reach the function in `x-gatehouse-param-*` or be
            // read as a line break by whatever logs the path: refused, not altered.
            if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw .malformed("the path must not contain encoded control characters (%00-%1F, %7F)")
            }
            decoded.append(value)
        }
        if decoded == [""] { decoded = [] }  // "/"
        rawSegments = raw.count == 1 && raw[0].isEmpty ? [] : raw
        segments = decoded
    }

    /// The raw path from segment `index` on, with its leading slash ("/" when nothing is left).
    func rawSuffix(from index: Int) -> Substring {
        guard index < rawSegments.count else { return "/" }
        let start = rawSegments[index].startIndex
        return rawPath[rawPath.index(before: start)...]
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Printable ASCII except what no parser agrees on: space, `"`, `<`, `>`, backslash and `` ` ``
    /// (RFC 3986 excludes them; browsers always percent-encode them). `[`, `]`, `{`, `}`, `|`
    /// and `^` stay allowed: RFC 3986 excludes them too, but browsers send them unencoded
    /// (WHATWG URL), and refusing them would break real pages.
    static func isTargetByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x21...0x7E:
            b != UInt8(ascii: "\"") && b != UInt8(ascii: "<") && b != UInt8(ascii: ">") && b != UInt8(ascii: "\\")
                && b != UInt8(ascii: "`")
        default: false
        }
    }

    private static func describe(_ b: UInt8) -> String {
        b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "the byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
