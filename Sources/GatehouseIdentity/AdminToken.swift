import Crypto
import Foundation

/// The platform admin's bearer token: 32 random bytes, base64url, prefixed so it is
/// recognizable in a secret scanner. Only its SHA-256 is stored.
public enum AdminToken {
    public static let prefix = "gha_"

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + Data(bytes).base64URLEncodedString()
    }

    public static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

/// Verifies presented admin tokens against the stored hash, in constant time.
public struct AdminTokenVerifier: Sendable {
    private let expectedHash: Data

    public init(expectedHash: Data) {
        self.expectedHash = expectedHash
    }

    public func principal(forBearer token: String) -> Principal? {
        // Hashing first makes the comparison independent of the presented token's length.
        let presented = AdminToken.hash(token)
        guard presented.count == expectedHash.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(presented, expectedHash) { difference |= a ^ b }
        return difference == 0 ? .platformAdmin : nil
    }
}

extension Data {
    public func base64URLEncodedString() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
