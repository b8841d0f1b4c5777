import Crypto
import Foundation

/// An org's API key: `gak_<id>_<secret>`.
///
/// The `gak_` prefix lets secret scanners recognise a leaked key. The id (16 lowercase hex
/// characters, fixed length, so the `_` that base64url may put in the secret never confuses
/// parsing) is not secret: it names the key in the admin API and is what the verifier looks
/// up. The secret is 32 random bytes, base64url. Only the SHA-256 of the whole key is stored.
///
/// Deliberately not Equatable: comparing two keys would compare secrets in variable time.
/// Presented keys are checked with `APIKeyHash.matches`.
public struct APIKey: Sendable {
    public static let prefix = "gak_"
    static let idLength = 16
    static let secretByteCount = 32
    /// Base64url of 32 bytes, unpadded.
    static let secretLength = 43

    public let id: String
    private let secret: String

    /// The full key, to show its owner once at creation; never stored, never logged.
    public var value: String { "\(Self.prefix)\(id)_\(secret)" }

    public var hash: APIKeyHash { APIKeyHash(of: value) }

    public static func generate() -> APIKey {
        let id = RandomBytes.make(count: idLength / 2).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        return APIKey(id: id, secret: Base64URL.encode(RandomBytes.make(count: secretByteCount)))
    }

    /// Splits a presented key into id and secret; nil for anything not shaped like a key.
    public static func parse(_ presented: String) -> APIKey? {
        let expectedLength = prefix.utf8.count + idLength + 1 + secretLength
        guard presented.utf8.count == expectedLength, presented.hasPrefix(prefix) else { return nil }
        let rest = presented.utf8.dropFirst(prefix.utf8.count)
        let idBytes = rest.prefix(idLength)
        guard idBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            rest.dropFirst(idLength).first == UInt8(ascii: "_")
        else {
            return nil
        }
        let secretBytes = rest.dropFirst(idLength + 1)
        guard Base64URL.decode(Substring(decoding: secretBytes, as: UTF8.self))?.count == secretByteCount else { return nil }
        return APIKey(id: String(decoding: idBytes, as: UTF8.self), secret: String(decoding: secretBytes, as: UTF8.self))
    }

    private init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }
}

/// The secret must not reach a log line through `print(key)` or reflection.
extension APIKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "APIKey(id: \(id))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }
}

/// The stored form of an API key: SHA-256 of the whole key. A fast hash is enough because the
/// key has 256 random bits; there is nothing to guess that a slow hash would protect.
public struct APIKeyHash: Sendable, Hashable {
    public let bytes: Data

    public init(bytes: Data) {
        self.bytes = bytes
    }

    init(of key: String) {
        bytes = Data(SHA256.hash(data: Data(key.utf8)))
    }

    /// Whether `key` hashes to this, compared in constant time.
    public func matches(_ key: APIKey) -> Bool {
        ConstantTime.equal(key.hash.bytes, bytes)
    }
}
