// How Gatehouse proves to a provider's token endpoint that it is the registered client: the
// three methods of OIDC Core §9 that providers actually ask for.

extension IdentityProvider {
    /// `tokenEndpointAuthMethod` of an `oidc` or `azureAd` block. Absent: `client_secret_basic`
    /// when the provider's discovery document allows it (the default of OIDC client
    /// registration), else `client_secret_post`; `private_key_jwt` only when asked for.
    public enum TokenEndpointAuthMethod: String, Codable, Sendable, CaseIterable {
        /// The client id and secret in `Authorization: Basic` (RFC 6749 §2.3.1).
        case clientSecretBasic = "client_secret_basic"
        /// The client id and secret in the form body.
        case clientSecretPost = "client_secret_post"
        /// An RFC 7523 client assertion signed with Gatehouse's own key, whose public half the
        /// provider reads from Gatehouse's JWKS (`{issuer}/.well-known/jwks.json`). No secret.
        case privateKeyJWT = "private_key_jwt"

        /// Whether the method authenticates with the client secret.
        public var usesClientSecret: Bool { self != .privateKeyJWT }

        public init(from decoder: any Decoder) throws {
            self = try decodeNamed(decoder, what: "a token endpoint authentication method")
        }
    }
}
