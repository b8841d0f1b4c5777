/// A token in JWS compact serialization (`header.payload.signature`), split and decoded, with
/// its header already checked against `JOSEHeader`'s rules. Nothing here is verified yet.
struct CompactJWS {
    /// Far above any real access token (a few KiB with many groups), low enough that parsing
    /// an attacker's token costs little. Checked before anything else is looked at.
    static let maximumByteCount = 16 * 1024

    let header: JOSEHeader
    let claims: [String: ClaimValue]
    /// `header.payload` as sent: what the signature covers.
    let signingInput: ArraySlice<UInt8>
    let signature: [UInt8]

    static func parse(_ token: String) -> Result<CompactJWS, TokenError> {
        let byteCount = token.utf8.count
        guard byteCount <= maximumByteCount else {
            return .failure(.tooLarge(byteCount: byteCount, limit: maximumByteCount))
        }
        let bytes = Array(token.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { return .failure(.malformed(.segmentCount)) }
        let headerPart = bytes[..<dots[0]]
        let payloadPart = bytes[(dots[0] + 1)..<dots[1]]
        let signaturePart = bytes[(dots[1] + 1)...]

        // The header is judged before the payload is even decoded, so a token with unusual
        // headers is refused whatever else it carries.
        guard let headerBytes = Base64URL.decode(Substring(decoding: headerPart, as: UTF8.self)) else {
            return .failure(.malformed(.base64(.header)))
        }
        guard let headerObject = ClaimValue.decodeObject(headerBytes) else {
            return .failure(.malformed(.headerNotJSONObject))
        }
        let header: JOSEHeader
        switch JOSEHeader.check(headerObject) {
        case .success(let checked): header = checked
        case .failure(let error): return .failure(error)
        }

        guard let payloadBytes = Base64URL.decode(Substring(decoding: payloadPart, as: UTF8.self)) else {
            return .failure(.malformed(.base64(.payload)))
        }
        guard let claims = ClaimValue.decodeObject(payloadBytes) else {
            return .failure(.malformed(.payloadNotJSONObject))
        }
        guard let signature = Base64URL.decode(Substring(decoding: signaturePart, as: UTF8.self)) else {
            return .failure(.malformed(.base64(.signature)))
        }
        return .success(
            CompactJWS(header: header, claims: claims, signingInput: bytes[..<dots[1]], signature: signature))
    }
}
