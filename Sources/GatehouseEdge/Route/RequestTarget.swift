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

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
