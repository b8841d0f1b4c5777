import Crypto

/// SHA-256 of a token: what the verified-token caches are keyed by, so a cache never holds a
/// token that could be replayed from a heap dump. Four words, so hashing a key is cheap.
public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of `token` within `scope` (empty: no scope). The scope is hashed first and
    /// ends with a zero byte, which neither a scope nor a token contains, so no two pairs meet.
    public init(_ token: String, scope: String = "") {
        var hasher = SHA256()
        if !scope.isEmpty {
            hasher.update(data: Array(scope.utf8))
            hasher.update(data: [0])
        }
        var token = token
        token.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = hasher.finalize()
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        digest.withUnsafeBytes { bytes in
            func word(_ index: Int) -> UInt64 {
                var value: UInt64 = 0
                for offset in 0..<8 { value = value << 8 | UInt64(bytes[index * 8 + offset]) }
                return value
            }
            words = (word(0), word(1), word(2), word(3))
        }
        self.words = words
    }

    public static func == (lhs: TokenDigest, rhs: TokenDigest) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
