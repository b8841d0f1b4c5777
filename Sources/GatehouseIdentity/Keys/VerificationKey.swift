import JWTKit

/// One public key of an issuer, with a ready verifier for each algorithm it may be used with.
/// An algorithm without a verifier here is refused for this key, whatever the token says.
struct VerificationKey: Sendable {
    let keyID: String?
    let verifiers: [SignatureAlgorithm: any JWTAlgorithm]

    var algorithms: Set<SignatureAlgorithm> { Set(verifiers.keys) }

    /// nil when the key may not be used with `algorithm`; otherwise whether the signature holds.
    func verify(signature: [UInt8], over signingInput: ArraySlice<UInt8>, algorithm: SignatureAlgorithm) -> Bool? {
        guard let verifier = verifiers[algorithm] else { return nil }
        // jwt-kit throws for signatures of the wrong shape (an EC signature of the wrong
        // length); for the caller that is simply a signature that does not verify.
        return (try? verifier.verify(signature, signs: signingInput)) ?? false
    }
}
