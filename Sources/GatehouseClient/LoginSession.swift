import Foundation

/// The access token of a stored `gatehouse login`, kept fresh: one that is about to expire, or
/// that the server refused, is replaced by refreshing (which rotates the refresh token too), and
/// the new pair is written back to the config file.
actor LoginSession {
    private var login: StoredLogin
    private let oauth: OAuthClient
    private let store: ClientConfigStore
    private let now: @Sendable () -> Date

    /// An access token closer than this to its expiry is refreshed before it is sent.
    static let expiryMargin: TimeInterval = 30

    init(login: StoredLogin, oauth: OAuthClient, store: ClientConfigStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.login = login
        self.oauth = oauth
        self.store = store
        self.now = now
    }

    /// The access token to send, refreshed first when it has expired or is about to.
    func accessToken() async throws -> String {
        if login.accessTokenExpiresAt.timeIntervalSince(now()) > Self.expiryMargin { return login.accessToken }
        return try await refresh(rejected: login.accessToken)
    }

    /// A new access token after the server refused `rejected` (or it expired). If another
    /// request, or another CLI process, already replaced it, that replacement is used.
    func refresh(rejected: String) async throws -> String {
        guard login.accessToken == rejected else { return login.accessToken }
        let current = login
        login = try await store.update { file in
            // Another process may have rotated the pair since this one read it: its refresh
            // token is spent, so take the new pair rather than present the old one again.
            if let stored = file.login, stored.isFor(server: oauth.server), stored.org == current.org,
                stored.refreshToken != current.refreshToken
            {
                return stored
            }
            let grant: TokenGrant
            do {
                grant = try await oauth.refresh(current.refreshToken)
            } catch let error as OAuthError {
                throw LoginError.ended(org: current.org, server: current.server, reason: error)
            }
            guard let refreshToken = grant.refreshToken else {
                throw AdminClientError.invalidResponse("the refreshed login has no refresh token")
            }
            var next = current
            next.accessToken = grant.accessToken
            next.accessTokenExpiresAt = now().addingTimeInterval(TimeInterval(grant.expiresIn))
            next.refreshToken = refreshToken
            file.login = next
            return next
        }
        return login.accessToken
    }
}

/// Why a device login, or a stored one, cannot go on.
public enum LoginError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stored login's refresh token was refused: it expired, was revoked, or was used twice.
    case ended(org: String, server: String, reason: OAuthError)
    /// Nobody approved the device code in time.
    case expired
    /// The person, or their identity provider, refused the sign-in.
    case denied(OAuthError)

    public var description: String {
        switch self {
        case .ended(let org, let server, let reason):
            "the login to org '\(org)' at \(server) has ended (\(reason.error)); run `gatehouse login --org \(org)` again"
        case .expired:
            "the code expired before the sign-in was completed; run `gatehouse login` again"
        case .denied(let reason):
            "the sign-in was refused" + (reason.errorDescription.map { ": \($0)" } ?? "")
        }
    }
}
