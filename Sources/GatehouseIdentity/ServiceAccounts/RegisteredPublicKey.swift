import Crypto
import CryptoExtras
import Foundation
import JWTKit

/// A public key registered for a service account: the account signs its RFC 7523 assertions
/// with the private half. RSA (2048 bits or more), EC P-256 or Ed25519, as PEM (SPKI,
/// `-----BEGIN PUBLIC KEY-----`, what `openssl pkey -pubout` writes).
public struct RegisteredPublicKey: Sendable {
    public enum Kind: Sendable, Equatable, CustomStringConvertible {
        case rsa(bits: Int)
        case ecP256
        case ed25519

        /// The name the admin API shows: `rsa-2048`, `ec-p256`, `ed25519`.
        public var description: String {
            switch self {
            case .rsa(let bits): "rsa-\(bits)"
            case .ecP256: "ec-p256"
            case .ed25519: "ed25519"
            }
        }
    }

    public static let minimumRSABits = 2048
    static let maximumPEMBytes = 16 * 1024

    public let kind: Kind
    /// SHA-256 of the key's SubjectPublicKeyInfo DER, base64url: how the admin API and an
    /// assertion's `kid` name the key.
    public let fingerprint: String
    let key: PublicVerificationKey

    /// The algorithms an assertion signed with this key may use.
    public var algorithms: Set<SignatureAlgorithm> {
        switch kind {
        case .rsa: [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512]
        case .ecP256: [.es256]
        case .ed25519: [.edDSA]
        }
    }

    /// Validates a PEM public key for registration. Errors say what is wrong with the key and
    /// never repeat the submitted text (it may be a private key pasted by mistake).
    public static func parse(pem: String) throws(PublicKeyError) -> RegisteredPublicKey {
        guard pem.utf8.count <= maximumPEMBytes else { throw .tooLarge(limit: maximumPEMBytes) }
        let labels = pemLabels(in: pem)
        guard let label = labels.first else { throw .notPEM }
        if label.contains("PRIVATE KEY") { throw .privateKeyGiven }
        guard labels.count == 1 else { throw .severalPEMBlocks }
        switch label {
        case "PUBLIC KEY": break
        case "CERTIFICATE": throw .certificateGiven
        case "RSA PUBLIC KEY": throw .notSubjectPublicKeyInfo
        default: throw .notPublicKeyPEM
        }

        if let rsa = try? _RSA.Signing.PublicKey(unsafePEMRepresentation: pem) {
            guard rsa.keySizeInBits >= minimumRSABits else { throw .rsaKeyTooSmall(bits: rsa.keySizeInBits) }
            guard let jwtKey = try? JWTKit.Insecure.RSA.PublicKey(backing: rsa) else { throw .unsupportedKey }
            return RegisteredPublicKey(kind: .rsa(bits: rsa.keySizeInBits), spki: rsa.derRepresentation, key: .rsa(jwtKey))
        }
        if let p256 = try? P256.Signing.PublicKey(pemRepresentation: pem) {
            guard let jwtKey = try? ES256PublicKey(backing: p256) else { throw .unsupportedKey }
            return RegisteredPublicKey(kind: .ecP256, spki: p256.derRepresentation, key: .p256(jwtKey))
        }
        if let ed25519 = try? Curve25519.Signing.PublicKey(pemRepresentation: pem) {
            return RegisteredPublicKey(kind: .ed25519, spki: ed25519.derRepresentation, key: .ed25519(EdDSA.PublicKey(backing: ed25519)))
        }
        if (try? P384.Signing.PublicKey(pemRepresentation: pem)) != nil { throw .unsupportedCurve(name: "P-384") }
        if (try? P521.Signing.PublicKey(pemRepresentation: pem)) != nil { throw .unsupportedCurve(name: "P-521") }
        throw .unsupportedKey
    }

    /// The label of every `-----BEGIN <label>-----` in the text, wherever the lines break.
    private static func pemLabels(in text: String) -> [Substring] {
        var labels: [Substring] = []
        var rest = text[...]
        while let begin = rest.range(of: "-----BEGIN ") {
            rest = rest[begin.upperBound...]
            guard let end = rest.range(of: "-----") else { break }
            labels.append(rest[..<end.lowerBound])
            rest = rest[end.upperBound...]
        }
        return labels
    }

    private init(kind: Kind, spki: Data, key: PublicVerificationKey) {
        self.kind = kind
        self.fingerprint = Base64URL.encode(SHA256.hash(data: spki))
        self.key = key
    }
}

/// Two registrations are the same key when their fingerprints are.
extension RegisteredPublicKey: Equatable {
    public static func == (lhs: RegisteredPublicKey, rhs: RegisteredPublicKey) -> Bool {
        lhs.fingerprint == rhs.fingerprint
    }
}

public enum PublicKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(limit: Int)
    case notPEM
    case severalPEMBlocks
    /// A private key was submitted. It has not been stored; it should be considered exposed.
    case privateKeyGiven
    case certificateGiven
    /// PKCS#1 `RSA PUBLIC KEY`; the SPKI form is wanted.
    case notSubjectPublicKeyInfo
    case notPublicKeyPEM
    case rsaKeyTooSmall(bits: Int)
    case unsupportedCurve(name: String)
    case unsupportedKey

    public var description: String {
        switch self {
        case .tooLarge(let limit):
            "the key is larger than \(limit) bytes"
        case .notPEM:
            "the key is not PEM (-----BEGIN PUBLIC KEY-----)"
        case .severalPEMBlocks:
            "the text holds several PEM blocks; register one public key"
        case .privateKeyGiven:
            "this is a private key; register the public key only (openssl pkey -in key.pem -pubout), and treat the private key as exposed"
        case .certificateGiven:
            "this is a certificate; register its public key (openssl x509 -in cert.pem -pubkey -noout)"
        case .notSubjectPublicKeyInfo:
            "this is a PKCS#1 RSA key; convert it with: openssl rsa -RSAPublicKey_in -in key.pem -pubout"
        case .notPublicKeyPEM:
            "the PEM block is not a PUBLIC KEY"
        case .rsaKeyTooSmall(let bits):
            "the RSA key has \(bits) bits; at least \(RegisteredPublicKey.minimumRSABits) are required"
        case .unsupportedCurve(let name):
            "EC keys on \(name) are not supported; use P-256 or Ed25519"
        case .unsupportedKey:
            "the key is not an RSA, EC P-256 or Ed25519 public key"
        }
    }
}
