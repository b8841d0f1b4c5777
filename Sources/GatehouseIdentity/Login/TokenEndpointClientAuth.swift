import Foundation
import GatehouseModel

/// How the code exchange authenticates Gatehouse to the provider's token endpoint: the method
/// the provider's settings name, or else the best one its discovery document allows
/// (`client_secret_basic`, the registration default, then `client_secret_post`), and what that
/// method adds to the token request. A client without a secret or a method is public: it sends
/// only its `client_id`, as PKCE allows.
enum TokenEndpointClientAuth: Equatable {
    case method(IdentityProvider.TokenEndpointAuthMethod)
    case publicClient

    typealias Method = IdentityProvider.TokenEndpointAuthMethod

    static func choose(configured: Method?, supported: [String], hasSecret: Bool) throws(LoginError) -> Self {
        if let configured {
            if configured.usesClientSecret, !hasSecret {
                throw .notConfigured("\(configured.rawValue) needs the provider's clientSecret")
            }
            return .method(configured)
        }
        guard hasSecret else { return .publicClient }
        for preferred in [Method.clientSecretBasic, .clientSecretPost] where supported.contains(preferred.rawValue) {
            return .method(preferred)
        }
        throw .notConfigured(
            "the provider's token endpoint accepts \(supported.map(LogSafe.fragment).joined(separator: ", ")); set tokenEndpointAuthMethod (private_key_jwt needs Gatehouse's JWKS registered at the provider)")
    }

    /// The form members and headers that authenticate one token request.
    func credentials(
        clientID: String, secret: String?, tokenEndpoint: String, signer: (any ClientAssertionSigning)?, now: Date
    ) throws(LoginError) -> (form: [(String, String)], headers: [(String, String)]) {
        switch self {
        case .publicClient:
            return ([("client_id", clientID)], [])
        case .method(.clientSecretPost):
            return ([("client_id", clientID), ("client_secret", secret ?? "")], [])
        case .method(.clientSecretBasic):
            // RFC 6749 §2.3.1: each part form-encoded before the Base64 of `id:secret`.
            let pair = FormEncoding.escape(clientID) + ":" + FormEncoding.escape(secret ?? "")
            return ([], [("Authorization", "Basic " + Data(pair.utf8).base64EncodedString())])
        case .method(.privateKeyJWT):
            guard let signer else { throw .notConfigured("Gatehouse's signing key is not available yet") }
            let assertion: String
            do throws(TokenIssuerError) {
                assertion = try signer.clientAssertion(clientID: clientID, audience: tokenEndpoint, now: now)
            } catch {
                throw .notConfigured("the client assertion could not be signed")
            }
            return (
                [
                    ("client_id", clientID),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", assertion),
                ], []
            )
        }
    }
}
