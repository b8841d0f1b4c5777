import Crypto
import CryptoExtras
import Foundation
import JWTKit

@testable import GatehouseIdentity

/// A private key of one kind, its public JWK, and a signer for any algorithm it supports.
/// Keys are made once per test process: RSA generation is slow.
struct TestKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let material: Material
    var keyID: String

    static let rsa = TestKey(material: .rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048)), keyID: "rsa-1")
    static let rsaSecond = TestKey(material: .rsa(try! _RSA.Signing.PrivateKey(keySize: .bits2048)), keyID: "rsa-2")
    static let p256 = TestKey(material: .p256(P256.Signing.PrivateKey()), keyID: "ec-1")
    static let p384 = TestKey(material: .p384(P384.Signing.PrivateKey()), keyID: "ec-384")
    static let ed25519 = TestKey(material: .ed25519(Curve25519.Signing.PrivateKey()), keyID: "ed-1")

    func with(keyID: String) -> TestKey {
        var copy = self
        copy.keyID = keyID
        return copy
    }

    /// The public key as a JWK; `extra` members are added or override.
    func publicJWK(_ extra: [String: Any] = [:]) -> [String: Any] {
        var jwk: [String: Any]
        switch material {
        case .rsa(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            jwk = ["kty": "RSA", "n": b64(primitives.modulus), "e": b64(primitives.publicExponent)]
        case .p256(let key):
            let raw = key.publicKey.rawRepresentation
            jwk = ["kty": "EC", "crv": "P-256", "x": b64(raw.prefix(32)), "y": b64(raw.suffix(32))]
        case .p384(let key):
            let raw = key.publicKey.rawRepresentation
            jwk = ["kty": "EC", "crv": "P-384", "x": b64(raw.prefix(48)), "y": b64(raw.suffix(48))]
        case .ed25519(let key):
            jwk = ["kty": "OKP", "crv": "Ed25519", "x": b64(key.publicKey.rawRepresentation)]
        }
        jwk["kid"] = keyID
        jwk["use"] = "sig"
        for (name, value) in extra { jwk[name] = value }
        return jwk
    }

    var publicKeyPEM: String {
        switch material {
        case .rsa(let key): key.publicKey.pemRepresentation
        case .p256(let key): key.publicKey.pemRepresentation
        case .p384(let key): key.publicKey.pemRepresentation
        case .ed25519(let key): key.publicKey.pemRepresentation
        }
    }

    var privateKeyPEM: String {
        switch material {
        case .rsa(let key): key.pemRepresentation
        case .p256(let key): key.pemRepresentation
        case .p384(let key): key.pemRepresentation
        case .ed25519(let key): key.pemRepresentation
        }
    }

    /// jwt-kit's signer for `algorithm` ("RS256", "PS256", "ES256", "EdDSA", ...).
    func signer(_ algorithm: String) async throws -> any JWTAlgorithm {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: "signer")
        switch (material, algorithm) {
        case (.rsa(let key), "RS256"): await collection.add(rsa: try JWTKit.Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha256, kid: kid)
        case (.rsa(let key), "RS384"): await collection.add(rsa: try JWTKit.Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha384, kid: kid)
        case (.rsa(let key), "PS256"): await collection.add(pss: try JWTKit.Insecure.RSA.PrivateKey(backing: key), digestAlgorithm: .sha256, kid: kid)
        case (.p256(let key), "ES256"): await collection.add(ecdsa: try ES256PrivateKey(backing: key), kid: kid)
        case (.p384(let key), "ES384"): await collection.add(ecdsa: try ES384PrivateKey(backing: key), kid: kid)
        case (.ed25519(let key), "EdDSA"): await collection.add(eddsa: EdDSA.PrivateKey(backing: key), kid: kid)
        default: throw TestFailure("no signer for \(algorithm) with this key")
        }
        return try await collection.getKey(for: kid)
    }

    /// A compact JWS signed with this key. The header gets `alg` and `kid` unless `header`
    /// sets them (an explicit NSNull removes a member).
    func token(_ algorithm: String = "", header: [String: Any] = [:], claims: [String: Any]) async throws -> String {
        let algorithm = algorithm.isEmpty ? defaultAlgorithm : algorithm
        var fullHeader: [String: Any] = ["alg": algorithm, "kid": keyID, "typ": "JWT"]
        for (name, value) in header { fullHeader[name] = value }
        fullHeader = fullHeader.filter { !($0.value is NSNull) }
        let signer = try await signer(algorithm)
        return try JWS.compact(header: fullHeader, claims: claims) { try signer.sign($0) }
    }

    var defaultAlgorithm: String {
        switch material {
        case .rsa: "RS256"
        case .p256: "ES256"
        case .p384: "ES384"
        case .ed25519: "EdDSA"
        }
    }
}

enum JWS {
    static func segment(_ object: [String: Any]) throws -> String {
        b64(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func compact(header: [String: Any], claims: [String: Any], sign: (Data) throws -> [UInt8]) throws -> String {
        let input = try segment(header) + "." + segment(claims)
        return input + "." + b64(try sign(Data(input.utf8)))
    }

    /// An HS256 token whose HMAC secret is `secret`: the algorithm-confusion attack when the
    /// secret is an issuer's public key.
    static func hs256(secret: String, header: [String: Any], claims: [String: Any]) async throws -> String {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: "hmac")
        // jwt-kit asserts in debug builds on HMAC keys shorter than the hash; a PEM is long.
        await collection.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: kid)
        let signer = try await collection.getKey(for: kid)
        var fullHeader = header
        fullHeader["alg"] = "HS256"
        return try compact(header: fullHeader, claims: claims) { try signer.sign($0) }
    }

    static func jwks(_ keys: [[String: Any]]) -> Data {
        try! JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])
    }

    /// The token with one segment replaced.
    static func replacing(segment index: Int, of token: String, with replacement: String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[index] = replacement
        return parts.joined(separator: ".")
    }

    static func decodeSegment(_ token: String, _ index: Int) -> [String: Any] {
        let part = String(token.split(separator: ".", omittingEmptySubsequences: false)[index])
        let bytes = Base64URL.decode(part)!
        return try! JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
    }
}

func b64(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64URLEncodedString()
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
