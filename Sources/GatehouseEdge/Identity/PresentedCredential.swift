import NIOHTTP1

/// What a request presents to authenticate itself, read from its headers before any
/// verification: a bearer token (`Authorization: Bearer …`) or an API key (the route's API-key
/// header, or a bearer token with the API-key prefix).
enum PresentedCredential: Equatable {
    case bearer(String)
    case apiKey(String)

    /// Tokens beyond this are refused before any parsing (RFC 8725 §3.x: bound the work an
    /// unauthenticated caller can cause). Real JWTs, even with many groups, stay well under it.
    static let maxTokenBytes = 16 * 1024
    /// Keys Gatehouse issues start with this, so they are recognisable wherever they are sent.
    static let apiKeyPrefix = "gak_"

    enum Refusal: Error, Equatable {
        /// More than one credential: RFC 6750 §3.1 `invalid_request` (400). Accepting one of two
        /// would let a proxy and the function disagree about who is calling.
        case multiple
        /// `Authorization: Bearer` without a well-formed token68: `invalid_request` (400).
        case malformed
        /// Over `maxTokenBytes`: `invalid_token` (401).
        case tooLarge
    }

    /// The single credential in `headers`, nil when there is none (or only a scheme Gatehouse
    /// does not accept, such as Basic), or why the request is refused outright.
    static func extract(from headers: HTTPHeaders, apiKeyHeader: String) -> Result<PresentedCredential?, Refusal> {
        var found: PresentedCredential?
        var count = 0
        for (name, value) in headers {
            if name.utf8.elementsEqualIgnoringASCIICase("authorization".utf8) {
                count += 1
                guard let token = bearerToken(value) else {
                    if isBearerScheme(value) { return .failure(.malformed) }
                    continue  // another scheme: not a credential for us, but still counted
                }
                guard token.utf8.count <= maxTokenBytes else { return .failure(.tooLarge) }
                found = token.hasPrefix(apiKeyPrefix) ? .apiKey(token) : .bearer(token)
            } else if name.utf8.elementsEqualIgnoringASCIICase(apiKeyHeader.utf8) {
                count += 1
                let key = trimmed(value)
                guard !key.isEmpty, key.utf8.count <= maxTokenBytes else { return .failure(.malformed) }
                found = .apiKey(String(key))
            }
            if count > 1 { return .failure(.multiple) }
        }
        return .success(found)
    }

    private static func isBearerScheme(_ value: String) -> Bool {
        let utf8 = trimmed(value).utf8
        return utf8.count >= 6 && utf8.prefix(6).elementsEqualIgnoringASCIICase("bearer".utf8)
            && (utf8.count == 6 || utf8.dropFirst(6).first == UInt8(ascii: " "))
    }

    /// RFC 6750 §2.1: `Bearer 1*SP token68`, scheme case-insensitive.
    private static func bearerToken(_ value: String) -> String? {
        guard isBearerScheme(value) else { return nil }
        let token = trimmed(Substring(trimmed(value).dropFirst(6)))
        guard !token.isEmpty, isToken68(token) else { return nil }
        return String(token)
    }

    private static func isToken68(_ token: Substring) -> Bool {
        var sawPadding = false
        for byte in token.utf8 {
            if byte == UInt8(ascii: "=") {
                sawPadding = true
                continue
            }
            guard !sawPadding else { return false }  // '=' only at the end
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return false
            }
        }
        return true
    }

    private static func trimmed(_ value: some StringProtocol) -> Substring {
        let text = Substring(value)
        let start = text.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? text.endIndex
        let end = text.lastIndex(where: { $0 != " " && $0 != "\t" }).map { text.index(after: $0) } ?? start
        return start < end ? text[start..<end] : ""
    }
}
