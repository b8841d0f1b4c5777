import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636) with S256: the verifier stays server-side, the
/// provider sees only its hash, so a code intercepted on its way back is useless alone.
public struct PKCE: Sendable, Equatable {
    public let verifier: String
    public var challenge: String { Self.challenge(for: verifier) }
    public static let method = "S256"

    /// 32 random bytes, base64url: 43 characters, the shortest verifier RFC 7636 §4.1 allows.
    public static func generate() -> PKCE { PKCE(verifier: RandomToken.make()) }

    public init(verifier: String) { self.verifier = verifier }

    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }
}
