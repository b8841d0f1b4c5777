import Crypto
import CryptoExtras
import JWTKit

/// A public key of one of the kinds Gatehouse verifies signatures with, as a jwt-kit key.
enum PublicVerificationKey: Sendable {
    case rsa(JWTKit.Insecure.RSA.PublicKey)
    case p256(ES256PublicKey)
    case p384(ES384PublicKey)
    case p521(ES512PublicKey)
    case ed25519(EdDSA.PublicKey)

    var family: SignatureAlgorithm.KeyFamily {
        switch self {
        case .rsa: .rsa
        case .p256: .ellipticCurve(.p256)
        case .p384: .ellipticCurve(.p384)
        case .p521: .ellipticCurve(.p521)
        case .ed25519: .ed25519
        }
    }

    /// Of `candidates`, the algorithms this key can verify.
    func usableAlgorithms(among candidates: Set<SignatureAlgorithm>) -> Set<SignatureAlgorithm> {
        candidates.filter { $0.keyFamily == family }
    }

    /// jwt-kit's verifier for each of `algorithms` (all of this key's family).
    ///
    /// jwt-kit builds its signers inside the `JWTKeyCollection` actor, so this suspends; the
    /// returned `JWTAlgorithm` values then verify synchronously, which is what lets the edge
    /// check a signature on its event loop. It runs once per key, when a key set is loaded.
    func makeVerifiers(for algorithms: Set<SignatureAlgorithm>) async throws -> [SignatureAlgorithm: any JWTAlgorithm] {
        let collection = JWTKeyCollection()
        var verifiers: [SignatureAlgorithm: any JWTAlgorithm] = [:]
        for algorithm in algorithms where algorithm.keyFamily == family {
            // Each algorithm is registered under its own name as kid, only to fetch it back.
            let label = JWKIdentifier(string: algorithm.rawValue)
            switch (self, algorithm) {
            case (.rsa(let key), .rs256): await collection.add(rsa: key, digestAlgorithm: .sha256, kid: label)
            case (.rsa(let key), .rs384): await collection.add(rsa: key, digestAlgorithm: .sha384, kid: label)
            case (.rsa(let key), .rs512): await collection.add(rsa: key, digestAlgorithm: .sha512, kid: label)
            case (.rsa(let key), .ps256): await collection.add(pss: key, digestAlgorithm: .sha256, kid: label)
            case (.rsa(let key), .ps384): await collection.add(pss: key, digestAlgorithm: .sha384, kid: label)
            case (.rsa(let key), .ps512): await collection.add(pss: key, digestAlgorithm: .sha512, kid: label)
            case (.p256(let key), .es256): await collection.add(ecdsa: key, kid: label)
            case (.p384(let key), .es384): await collection.add(ecdsa: key, kid: label)
            case (.p521(let key), .es512): await collection.add(ecdsa: key, kid: label)
            case (.ed25519(let key), .edDSA): await collection.add(eddsa: key, kid: label)
            default: continue
            }
            verifiers[algorithm] = try await collection.getKey(for: label)
        }
        return verifiers
    }
}
