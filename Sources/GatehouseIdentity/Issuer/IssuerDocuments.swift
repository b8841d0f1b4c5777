/// The JSON shapes Gatehouse signs and publishes as an issuer. Member names are the wire names
/// (RFC 7519, RFC 9068, OpenID Connect Discovery 1.0 / RFC 8414), hence the snake case.

/// The protected header of an issued access token (RFC 9068 §2.1: `typ` is `at+jwt`).
struct AccessTokenHeader: Encodable {
    var alg: String
    var typ: String
    var kid: String
}

/// The claims of an issued access token (RFC 9068 §2.2). Optional members are omitted when nil.
struct AccessTokenClaims: Encodable {
    enum Audience: Encodable {
        case one(String)
        case many([String])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let audience): try container.encode(audience)
            case .many(let audiences): try container.encode(audiences)
            }
        }
    }

    var iss: String
    var sub: String
    var aud: Audience
    var org: String?
    var groups: [String]?
    var scope: String?
    var client_id: String?
    var kind: String?
    var idp: String?
    var email: String?
    var sid: String?
    var iat: Int64
    var exp: Int64
    var jti: String
}

/// The claims of the identity token the edge sends functions (`TokenIssuer.issueIdentityToken`).
struct IdentityTokenClaims: Encodable {
    var iss: String
    var sub: String
    var aud: String
    var org: String?
    var kind: String
    var idp: String?
    var groups: [String]?
    var scope: String?
    var iat: Int64
    var exp: Int64
    var jti: String
}

/// The function an identity token is for: its `aud`, `urn:gatehouse:function:{org}/{name}`.
public struct FunctionAudience: Sendable, Hashable {
    public let audience: String

    public init(org: String, function: String) {
        audience = "urn:gatehouse:function:\(org)/\(function)"
    }
}

/// The OIDC discovery document.
struct DiscoveryDocument: Encodable {
    var issuer: String
    var jwks_uri: String
    var token_endpoint: String
    var device_authorization_endpoint: String
    var revocation_endpoint: String
    var response_types_supported: [String]
    var subject_types_supported: [String]
    var id_token_signing_alg_values_supported: [String]
    var grant_types_supported: [String]
    /// Public clients only (the CLI; service accounts authenticate with their assertion).
    var token_endpoint_auth_methods_supported: [String]
}
