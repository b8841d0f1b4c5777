import Crypto
import Foundation

/// One of Gatehouse's own ES256 (P-256) signing keys.
struct SigningKey: Sendable {
    /// The RFC 7638 thumbprint of the public key: stable, derived from the key itself, and
    /// unique without any counter to keep.
    let keyID: String
    let privateKey: P256.Signing.PrivateKey
    let createdAt: Date
    /// When a newer key took over; nil while this key is the current one.
    var retiredAt: Date?

    init(privateKey: P256.Signing.PrivateKey, createdAt: Date, retiredAt: Date? = nil) {
        self.privateKey = privateKey
        self.keyID = Self.thumbprint(of: privateKey.publicKey)
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    static func generate(now: Date) -> SigningKey {
        SigningKey(privateKey: P256.Signing.PrivateKey(), createdAt: now)
    }

    /// The public half as a JWK (RFC 7517/7518): what relying parties verify with.
    var publicJWK: [String: String] {
        let (x, y) = Self.coordinates(of: privateKey.publicKey)
        return ["kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": keyID, "use": "sig", "alg": "ES256"]
    }

    /// `header.payload` signed, as the compact serialization's third segment (raw r||s).
    func sign(_ signingInput: some DataProtocol) throws -> String {
        Base64URL.encode(try privateKey.signature(for: signingInput).rawRepresentation)
    }

    private static func coordinates(of publicKey: P256.Signing.PublicKey) -> (x: String, y: String) {
        // The raw representation is x || y, 32 bytes each.
        let raw = publicKey.rawRepresentation
        return (Base64URL.encode(raw.prefix(32)), Base64URL.encode(raw.suffix(32)))
    }

    /// RFC 7638: SHA-256 over the required members, lexicographically ordered, no whitespace.
    static func thumbprint(of publicKey: P256.Signing.PublicKey) -> String {
        let (x, y) = coordinates(of: publicKey)
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }
}

extension SigningKey: CustomStringConvertible, CustomReflectable {
    var description: String { "SigningKey(kid: \(keyID))" }
    var customMirror: Mirror { Mirror(self, children: ["keyID": keyID, "createdAt": createdAt]) }
}
