import Foundation

/// The registered and common claims of a token's payload, type-checked. A claim of the wrong
/// JSON type is an error rather than "absent", so a token cannot slip past a check by sending
/// `"exp": "never"`.
struct TokenClaims {
    var issuer: String?
    var subject: String?
    /// `aud` as a list: RFC 7519 allows one string or an array of strings.
    var audiences: [String]?
    var expiresAt: Date?
    var notBefore: Date?
    var issuedAt: Date?
    var tokenID: String?
    var scopes: [String] = []
    var groups: [String] = []
    var roles: [String] = []
    var email: String?

    static func parse(_ claims: [String: ClaimValue]) -> Result<TokenClaims, TokenError> {
        var parsed = TokenClaims()
        do throws(TokenError) {
            parsed.issuer = try string("iss", in: claims)
            parsed.subject = try string("sub", in: claims)
            parsed.audiences = try stringOrArray("aud", in: claims)
            parsed.expiresAt = try date("exp", in: claims)
            parsed.notBefore = try date("nbf", in: claims)
            parsed.issuedAt = try date("iat", in: claims)
            parsed.tokenID = try string("jti", in: claims)
            parsed.email = try string("email", in: claims)
            // RFC 8693 / RFC 9068 `scope` is a space-separated string; Entra ID's `scp` is one
            // too, some issuers send an array. Both are read and merged.
            let scope = try spaceSeparated("scope", in: claims) ?? []
            let scp = try spaceSeparated("scp", in: claims) ?? []
            parsed.scopes = scope + scp.filter { !scope.contains($0) }
            parsed.groups = try stringOrArray("groups", in: claims) ?? []
            parsed.roles = try stringOrArray("roles", in: claims) ?? []
        } catch {
            return .failure(error)
        }
        return .success(parsed)
    }

    private static func string(_ name: String, in claims: [String: ClaimValue]) throws(TokenError) -> String? {
        guard let value = claims[name], value != .null else { return nil }
        guard let string = value.stringValue else { throw .malformed(.memberType(name: name)) }
        return string
    }

    /// NumericDate (RFC 7519 §2): seconds since the epoch, fractions allowed.
    private static func date(_ name: String, in claims: [String: ClaimValue]) throws(TokenError) -> Date? {
        guard let value = claims[name], value != .null else { return nil }
        guard let seconds = value.numberValue, seconds.isFinite else { throw .malformed(.memberType(name: name)) }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func stringOrArray(_ name: String, in claims: [String: ClaimValue]) throws(TokenError) -> [String]? {
        guard let value = claims[name], value != .null else { return nil }
        if let single = value.stringValue { return [single] }
        guard let array = value.stringArrayValue else { throw .malformed(.memberType(name: name)) }
        return array
    }

    private static func spaceSeparated(_ name: String, in claims: [String: ClaimValue]) throws(TokenError) -> [String]? {
        guard let value = claims[name], value != .null else { return nil }
        if let single = value.stringValue { return single.split(separator: " ").map(String.init) }
        guard let array = value.stringArrayValue else { throw .malformed(.memberType(name: name)) }
        return array
    }
}
