import Foundation
import GatehouseModel

/// The endpoints of an OpenID provider, from `{authority}/.well-known/openid-configuration`.
struct OIDCEndpoints: Sendable, Equatable {
    var issuer: String
    var authorization: String
    var token: String
    var jwks: String
    /// `token_endpoint_auth_methods_supported`; absent means `client_secret_basic` only
    /// (OpenID Connect Discovery §3).
    var tokenEndpointAuthMethods: [String] = ["client_secret_basic"]
    /// RFC 9207 `authorization_response_iss_parameter_supported`: the callback must then carry `iss`.
    var sendsIssuerInResponse = false
    /// RP-Initiated Logout 1.0 `end_session_endpoint`, when the provider has one.
    var endSession: String?
}

enum OIDCDiscovery {
    /// How the discovery document's `issuer` must relate to the configured authority.
    enum IssuerRule: Sendable, Equatable {
        /// OpenID Connect Discovery §4.3: identical.
        case exact
        /// Entra ID, whose document for a domain-name tenant names the tenant's GUID:
        /// `{baseUrl}/{anything}/v2.0`, one path segment in the middle.
        case entraTenant(baseUrl: String)
    }

    static func fetch(authority: String, rule: IssuerRule, http: ProviderHTTP) async throws(LoginError) -> OIDCEndpoints {
        let url = ProviderURLPath.join(authority, ".well-known/openid-configuration")
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.get(url)
        } catch {
            throw error.loginError
        }
        guard reply.status == 200, let document = reply.json else {
            throw .providerUnavailable("\(url) answered HTTP \(reply.status) without a discovery document")
        }
        guard let issuer = document["issuer"]?.stringValue, accepts(issuer, authority: authority, rule: rule) else {
            throw .providerUnavailable("the discovery document at \(url) names another issuer")
        }
        func endpoint(_ member: String) throws(LoginError) -> String {
            guard let value = document[member]?.stringValue, secure(value, like: authority) else {
                throw .providerUnavailable("the discovery document at \(url) has no usable \(member)")
            }
            return value
        }
        var endpoints = OIDCEndpoints(
            issuer: issuer, authorization: try endpoint("authorization_endpoint"), token: try endpoint("token_endpoint"),
            jwks: try endpoint("jwks_uri"))
        if let methods = document["token_endpoint_auth_methods_supported"]?.names, !methods.isEmpty {
            endpoints.tokenEndpointAuthMethods = methods
        }
        endpoints.sendsIssuerInResponse = document["authorization_response_iss_parameter_supported"]?.boolValue == true
        if document["end_session_endpoint"] != nil { endpoints.endSession = try endpoint("end_session_endpoint") }
        return endpoints
    }

    static func accepts(_ issuer: String, authority: String, rule: IssuerRule) -> Bool {
        switch rule {
        case .exact:
            return issuer == authority
        case .entraTenant(let baseUrl):
            let prefix = ProviderURL.trimmed(baseUrl) + "/"
            guard issuer.hasPrefix(prefix), issuer.hasSuffix("/v2.0") else { return issuer == authority }
            let tenant = issuer.dropFirst(prefix.count).dropLast("/v2.0".count)
            return !tenant.isEmpty && !tenant.contains("/")
        }
    }

    /// An endpoint is https, or plain http only when the provider itself was configured with
    /// plain http (a loopback development provider): credentials never downgrade.
    static func secure(_ endpoint: String, like authority: String) -> Bool {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "https" || (scheme == "http" && URL(string: authority)?.scheme?.lowercased() == "http")
    }
}

/// Joining paths onto a configured base URL.
enum ProviderURLPath {
    static func join(_ base: String, _ path: String) -> String {
        ProviderURL.trimmed(base) + "/" + path.drop(while: { $0 == "/" })
    }
}
