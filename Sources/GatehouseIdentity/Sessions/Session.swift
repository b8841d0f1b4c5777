import Foundation

/// A signed-in user's session: who they are, in which org, until when. Stored server-side
/// (group lists can be long); the browser holds only a sealed reference (`SessionCookie`).
public struct Session: Sendable, Codable, Equatable {
    /// `CredentialHash` of the session id the cookie carries.
    public var recordID: String
    public var org: String
    /// The org's identity provider the user signed in with.
    public var provider: String
    public var subject: String
    public var email: String?
    public var name: String?
    public var groups: [String]
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        recordID: String, org: String, provider: String, subject: String, email: String? = nil, name: String? = nil,
        groups: [String] = [], createdAt: Date, expiresAt: Date
    ) {
        self.recordID = recordID
        self.org = org
        self.provider = provider
        self.subject = subject
        self.email = email
        self.name = name
        self.groups = groups
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// The caller, as authorization sees it. Scopes are empty: a browser session is the user
    /// themself, not a delegation narrowed by scopes.
    public var principal: Principal {
        Principal(
            kind: .user, subject: subject, org: org, groups: Set(groups), provider: provider, expiresAt: expiresAt,
            email: email)
    }
}
