/// The `WWW-Authenticate` challenge of a refused request (RFC 6750 §3, RFC 9110 §11.6.1).
///
/// A request without credentials gets the bare challenge — no `error`, as §3.1 asks, so a client
/// knows to authenticate rather than that its token was bad. `error_description` is for the
/// developer reading it: it carries the reason (never the token), reduced to the characters a
/// quoted-string may hold, and bounded.
struct BearerChallenge: Equatable {
    enum Code: String {
        /// 400: two credentials, a malformed `Authorization` header.
        case invalidRequest = "invalid_request"
        /// 401: expired, revoked, malformed or otherwise invalid token.
        case invalidToken = "invalid_token"
        /// 403: authenticated, but the token lacks the scope (or group, or audience) required.
        case insufficientScope = "insufficient_scope"
    }

    static let realm = "gatehouse"
    static let maxDescriptionLength = 200

    var code: Code?
    var description: String?
    /// For `insufficient_scope`: the scopes the route requires (§3: space-delimited).
    var scopes: [String] = []

    /// No credentials were presented.
    static let missing = BearerChallenge(code: nil, description: nil)

    var headerValue: String {
        var parts = ["Bearer realm=\"\(Self.realm)\""]
        if let code { parts.append("error=\"\(code.rawValue)\"") }
        if let description, !description.isEmpty {
            parts.append("error_description=\"\(Self.quotedStringSafe(description))\"")
        }
        let scope = scopes.filter(Self.isScopeToken).joined(separator: " ")
        if !scope.isEmpty { parts.append("scope=\"\(scope)\"") }
        return parts.joined(separator: ", ")
    }

    /// RFC 6750 §3: `error_description` is %x20-21 / %x23-5B / %x5D-7E — no quote, no backslash.
    static func quotedStringSafe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            guard out.unicodeScalars.count < maxDescriptionLength else { break }
            let value = scalar.value
            if value == 0x22 || value == 0x5C { out.append("'") }
            else if (0x20...0x7E).contains(value) { out.unicodeScalars.append(scalar) }
            else { out.append("?") }
        }
        return out
    }

    /// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
    static func isScopeToken(_ scope: String) -> Bool {
        !scope.isEmpty
            && scope.unicodeScalars.allSatisfy { s in
                s.value == 0x21 || (0x23...0x5B).contains(s.value) || (0x5D...0x7E).contains(s.value)
            }
    }
}
