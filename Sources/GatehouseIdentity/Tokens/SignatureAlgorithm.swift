/// The JWS algorithms Gatehouse accepts on signed tokens: asymmetric ones only.
///
/// `none` and the HMAC family (HS256/384/512) have no case, so no configuration can allow them:
/// a verifier that holds only public keys must never treat a public key as an HMAC secret
/// (RFC 8725 §2.1, §3.1 — the classic algorithm confusion).
public enum SignatureAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case ps384 = "PS384"
    case ps512 = "PS512"
    case es256 = "ES256"
    case es384 = "ES384"
    case es512 = "ES512"
    case edDSA = "EdDSA"

    /// What a trusted issuer allows unless configured otherwise: what mainstream identity
    /// providers sign with.
    public static let defaultAllowed: Set<SignatureAlgorithm> = [
        .rs256, .rs384, .rs512, .ps256, .es256, .es384, .edDSA,
    ]

    /// The kind of key the algorithm needs. A key is only ever used with algorithms of its own
    /// family (and, for EC, its own curve), whatever a token's header asks for.
    var keyFamily: KeyFamily {
        switch self {
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: .rsa
        case .es256: .ellipticCurve(.p256)
        case .es384: .ellipticCurve(.p384)
        case .es512: .ellipticCurve(.p521)
        case .edDSA: .ed25519
        }
    }

    enum KeyFamily: Hashable {
        case rsa
        case ellipticCurve(Curve)
        case ed25519
    }

    enum Curve: String, Hashable {
        case p256 = "P-256"
        case p384 = "P-384"
        case p521 = "P-521"
    }
}
