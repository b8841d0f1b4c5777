/// The members of a JWS header Gatehouse acts on, after the RFC 8725 checks.
///
/// These checks run on the decoded header JSON before any key is looked up, so a header that
/// asks for something unusual (a key of its own, an extension, no signature) is refused before
/// it can influence key selection.
struct JOSEHeader: Equatable {
    /// As written in the token; whether it is allowed depends on the issuer and the key.
    let algorithm: String
    let keyID: String?

    /// Members that would make the verifier take a key, or a place to fetch one, from the
    /// token itself (RFC 8725 §3.10 and §2.8). Their mere presence is refused.
    static let forbiddenMembers = ["jku", "x5u", "jwk", "x5c"]

    /// `typ` values of tokens Gatehouse accepts as bearer tokens: plain JWTs and RFC 9068
    /// access tokens. RFC 7515 §4.1.9 lets `application/` be omitted, so both spellings count.
    static let acceptedTypes: Set<String> = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"]

    static func check(_ header: [String: ClaimValue]) -> Result<JOSEHeader, TokenError> {
        guard let algorithmValue = header["alg"] else { return .failure(.missingAlgorithm) }
        guard let algorithm = algorithmValue.stringValue else {
            return .failure(.malformed(.memberType(name: "alg")))
        }
        // `none`, `None`, `NONE`, ...: refused by name, whatever the issuer allows.
        if algorithm.lowercased() == "none" { return .failure(.unsecuredAlgorithm) }
        for name in forbiddenMembers where header[name] != nil {
            return .failure(.forbiddenHeader(name: name))
        }
        if header["crit"] != nil { return .failure(.criticalHeader) }
        if let typeValue = header["typ"] {
            guard let type = typeValue.stringValue else { return .failure(.malformed(.memberType(name: "typ"))) }
            guard acceptedTypes.contains(type.lowercased()) else { return .failure(.unexpectedType(type: type)) }
        }
        var keyID: String?
        if let keyIDValue = header["kid"] {
            guard let value = keyIDValue.stringValue else { return .failure(.malformed(.memberType(name: "kid"))) }
            keyID = value
        }
        return .success(JOSEHeader(algorithm: algorithm, keyID: keyID))
    }
}
