import Foundation

/// Where Gatehouse's authorization server lives under its external URL. The control listener
/// serves these paths; the discovery document advertises them.
public struct IssuerEndpoints: Sendable, Equatable {
    /// The issuer identifier: the external URL without a trailing slash.
    public let issuer: String

    public static let discoveryPath = "/.well-known/openid-configuration"
    public static let jwksPath = "/.well-known/jwks.json"
    public static let tokenPath = "/auth/token"
    /// Where a device asks for its codes (RFC 8628 §3.1).
    public static let deviceAuthorizationPath = "/auth/device/code"
    /// Where the person enters the user code (RFC 8628 §3.2 `verification_uri`).
    public static let deviceVerificationPath = "/auth/device"
    public static let revocationPath = "/auth/revoke"

    init(externalURL: String) throws(TokenIssuerError) {
        guard let url = URL(string: externalURL), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", url.host != nil
        else {
            throw .invalidExternalURL("it must be an absolute http(s) URL")
        }
        // RFC 8414 §2: the issuer has no query or fragment.
        guard url.query == nil, url.fragment == nil else {
            throw .invalidExternalURL("it must not have a query or fragment")
        }
        var issuer = externalURL
        while issuer.hasSuffix("/") { issuer.removeLast() }
        self.issuer = issuer
    }

    public var discovery: String { issuer + Self.discoveryPath }
    public var jwks: String { issuer + Self.jwksPath }
    public var token: String { issuer + Self.tokenPath }
    public var deviceAuthorization: String { issuer + Self.deviceAuthorizationPath }
    public var deviceVerification: String { issuer + Self.deviceVerificationPath }
    public var revocation: String { issuer + Self.revocationPath }
}
