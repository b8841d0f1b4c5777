import Crypto

/// SHA-256 of a token: what the verified-token caches are keyed by, so a cache never holds a
/// token that could be replayed from a heap dump. Four words, so hashing a key is cheap.
public struct TokenDigest: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    public init(_ token: String) {
        let digest = SHA256.hash(data: Array(token.utf8))
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
