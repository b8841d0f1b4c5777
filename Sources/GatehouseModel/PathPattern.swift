/// A route path: literal segments, `{param}` segments, and an optional trailing `*`.
///
/// Precedence between patterns is decided segment by segment, left to right: a literal beats a
/// parameter, which beats the wildcard. Two patterns with the same `shape` would always tie, so
/// the control plane refuses them as overlapping.
public struct PathPattern: Sendable, Hashable {
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public var segments: [Segment]
    /// A trailing `*`: matches zero or more further segments.
    public var hasWildcard: Bool

    public static let maxLength = 1024

    public init(parsing raw: String, field: String) throws(Problem) {
        guard raw.hasPrefix("/") else {
            throw Problem.invalidField(field, "a path must start with '/'")
        }
        guard raw.utf8.count <= PathPattern.maxLength else {
            throw Problem.invalidField(field, "a path is at most \(PathPattern.maxLength) characters")
        }
        var parts = raw.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts == [""] { parts = [] }  // "/" itself
        var segments: [Segment] = []
        var names: Set<String> = []
        var wildcard = false
        for (index, part) in parts.enumerated() {
            if part == "*" {
                guard index == parts.count - 1 else {
                    throw Problem.invalidField(field, "'*' may only be the last segment of a path")
                }
                wildcard = true
            } else if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard PathPattern.isParameterName(name) else {
                    throw Problem.invalidField(
                        field, "parameter '{\(name.prefix(40))}' must be letters, digits and '_', not starting with a digit")
                }
                guard names.insert(name).inserted else {
                    throw Problem.invalidField(field, "parameter '{\(name)}' appears twice")
                }
                segments.append(.parameter(name))
            } else {
                guard !part.isEmpty else {
                    throw Problem.invalidField(field, "a path has no empty segments ('//' or a trailing '/')")
                }
                guard part != ".", part != "..", part.utf8.allSatisfy(PathPattern.isLiteralByte) else {
                    throw Problem.invalidField(
                        field, "segment '\(part.prefix(40))' must use only unreserved URL characters (A-Z a-z 0-9 - . _ ~ and sub-delims)")
                }
                segments.append(.literal(part))
            }
        }
        self.segments = segments
        self.hasWildcard = wildcard
    }

    /// The pattern with parameter names erased: equal shapes always tie.
    public var shape: String {
        segments.map { segment in
            switch segment {
            case .literal(let text): "/" + text
            case .parameter: "/{}"
            }
        }.joined() + (hasWildcard ? "/*" : "")
    }

    static func isParameterName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { b in
            (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b) || b == 0x5F
        }
    }

    /// RFC 3986 unreserved characters and sub-delims, plus ':' and '@' (pchar without '%').
    static func isLiteralByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39: true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
            UInt8(ascii: ":"), UInt8(ascii: "@"):
            true
        default: false
        }
    }
}
