import Crypto
import Foundation

/// The platform admin's bearer token: 32 random bytes, base64url, prefixed so it is
/// recognizable in a secret scanner. Only its SHA-256 is stored.
public enum AdminToken {
    public static let prefix = "gha_"

    public static func generate() -> String {
        prefix + Base64URL.encode(RandomBytes.make(count: 32))
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
        ConstantTime.equal(AdminToken.hash(token), expectedHash) ? .platformAdmin : nil
    }
}
