import Foundation

/// One org's identity provider as a browser login: where to send the user, and how to turn the
/// code the provider sends back into who the user is. `OIDCLoginProvider` (OIDC and Entra ID)
/// and `GitHubLoginProvider` implement it; the control listener's login routes are the same
/// for every provider.
public protocol LoginProvider: Sendable {
    /// The provider's authorization URL for this login.
    func authorizationURL(for request: AuthorizationRequest) async throws(LoginError) -> String
    /// Exchanges the code and establishes the user's identity, checking everything the protocol
    /// requires (ID token, nonce, allowed organizations).
    func complete(_ callback: AuthorizationCallback) async throws(LoginError) -> LoginIdentity
    /// Where the browser ends its session at the provider too (OpenID Connect RP-Initiated
    /// Logout 1.0), coming back to `postLogoutRedirectURI`; nil when the provider has no
    /// `end_session_endpoint`.
    func endSessionURL(postLogoutRedirectURI: String) async -> String?
}

extension LoginProvider {
    public func endSessionURL(postLogoutRedirectURI: String) async -> String? { nil }
}

public struct AuthorizationRequest: Sendable, Equatable {
    public var redirectURI: String
    public var state: String
    public var nonce: String
    public var codeChallenge: String
    /// Passed on as `login_hint` (OIDC) or `login` (GitHub) when the user named themself.
    public var loginHint: String?

    public init(redirectURI: String, state: String, nonce: String, codeChallenge: String, loginHint: String? = nil) {
        self.redirectURI = redirectURI
        self.state = state
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.loginHint = loginHint
    }
}

public struct AuthorizationCallback: Sendable, Equatable {
    public var code: String
    public var redirectURI: String
    public var codeVerifier: String
    public var nonce: String
    /// The callback's RFC 9207 `iss` parameter, if it had one.
    public var issuer: String?

    public init(code: String, redirectURI: String, codeVerifier: String, nonce: String, issuer: String? = nil) {
        self.issuer = issuer
        self.code = code
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
        self.nonce = nonce
    }
}

/// Who signed in, as the provider's claims (mapped by its claim settings) say.
public struct LoginIdentity: Sendable, Equatable {
    /// Stable at the provider: the mapped subject claim, or GitHub's numeric user id.
    public var subject: String
    public var email: String?
    public var name: String?
    public var groups: [String]

    public init(subject: String, email: String? = nil, name: String? = nil, groups: [String] = []) {
        self.subject = subject
        self.email = email
        self.name = name
        self.groups = groups
    }
}

/// Why a login failed. Descriptions carry no code, token or secret; provider-supplied text is
/// cut down with `LogSafe`.
public enum LoginError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The provider could not be reached, or answered something unusable (HTTP 5xx, bad JSON).
    case providerUnavailable(String)
    /// The provider refused the code exchange (`invalid_grant`, a wrong client secret, ...).
    case exchangeRefused(error: String)
    /// The ID token did not verify.
    case idToken(TokenError)
    case nonceMismatch
    /// RFC 9207: the authorization response came from, or claims, another issuer.
    case responseIssuerMismatch(String)
    case missingClaim(String)
    /// The user authenticated but may not sign in here (GitHub organization or team rules).
    case notAllowed(String)
    /// The provider is not set up for login (no client secret, ...).
    case notConfigured(String)

    /// Failures of the provider rather than of the user's login: answered 502, not 401/403.
    public var isProviderFailure: Bool {
        switch self {
        case .providerUnavailable, .notConfigured: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .providerUnavailable(let reason): "the identity provider is unavailable: \(reason)"
        case .exchangeRefused(let error): "the identity provider refused the code exchange (\(LogSafe.fragment(error)))"
        case .idToken(let error): "the ID token was refused: \(error)"
        case .nonceMismatch: "the ID token's nonce does not match the login's"
        case .responseIssuerMismatch(let reason): "the authorization response is not this provider's (RFC 9207): \(reason)"
        case .missingClaim(let name): "the identity provider did not say '\(LogSafe.fragment(name))'"
        case .notAllowed(let reason): reason
        case .notConfigured(let reason): "the identity provider is not set up for login: \(reason)"
        }
    }
}

extension ProviderHTTP.Failure {
    var loginError: LoginError {
        switch self {
        case .transport(let url, _): .providerUnavailable("\(url) did not answer")
        case .bodyTooLarge(let url, let limit): .providerUnavailable("the answer of \(url) is larger than \(limit) bytes")
        }
    }
}
