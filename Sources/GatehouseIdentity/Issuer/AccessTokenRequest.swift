import Foundation

/// What an access token Gatehouse issues says about its holder (RFC 9068 profile).
public struct AccessTokenRequest: Sendable, Equatable {
    public var subject: String
    /// At least one; relying parties check that they are named.
    public var audiences: [String]
    public var org: String?
    public var groups: [String]
    public var scopes: [String]
    /// The OAuth client the token was issued to (`client_id`, RFC 9068 §2.2).
    public var clientID: String?
    /// What kind of principal holds it (claim `kind`): a user signed in through a provider, or
    /// a service account. The edge and the admin API rebuild the `Principal` from it.
    public var kind: Principal.Kind?
    /// The org's identity provider that authenticated a user (claim `idp`).
    public var identityProvider: String?
    /// A user's email (claim `email`), for policies that bind `user:<email>`.
    public var email: String?
    /// nil: the issuer's default lifetime.
    public var lifetime: TimeInterval?
    /// The login session the token is minted from (claim `sid`): it ends with the session.
    public var sessionID: String?

    public init(
        subject: String, audiences: [String], org: String? = nil, groups: [String] = [], scopes: [String] = [],
        clientID: String? = nil, kind: Principal.Kind? = nil, identityProvider: String? = nil,
        lifetime: TimeInterval? = nil, email: String? = nil, sessionID: String? = nil
    ) {
        self.sessionID = sessionID
        self.subject = subject
        self.audiences = audiences
        self.org = org
        self.groups = groups
        self.scopes = scopes
        self.clientID = clientID
        self.kind = kind
        self.identityProvider = identityProvider
        self.email = email
        self.lifetime = lifetime
    }
}

/// An issued access token. The token itself is a credential: it is kept out of `description`
/// and reflection so that logging this value logs only its id and expiry.
public struct IssuedAccessToken: Sendable, Equatable {
    public let token: String
    /// `jti`: what a log line or a revocation list names the token by.
    public let tokenID: String
    public let keyID: String
    public let issuedAt: Date
    public let expiresAt: Date
}

extension IssuedAccessToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "IssuedAccessToken(jti: \(tokenID), kid: \(keyID), expiresAt: \(TokenError.timestamp(expiresAt)))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["tokenID": tokenID, "keyID": keyID, "issuedAt": issuedAt, "expiresAt": expiresAt])
    }
}
