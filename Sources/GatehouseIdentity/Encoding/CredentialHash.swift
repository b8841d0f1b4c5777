import Crypto
import Foundation

/// The name a stored record gives a credential (a session id, a refresh token): base64url of its
/// SHA-256. A fast hash suffices, as for API keys: the credentials are 256 random bits.
public enum CredentialHash {
    public static func of(_ credential: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(credential.utf8)))
    }
}
