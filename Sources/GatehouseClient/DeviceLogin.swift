import Foundation

/// Waits for a person to approve a device code (RFC 8628 §3.4–3.5): polls the token endpoint
/// every `interval` seconds, five more after each `slow_down`, until tokens come, or the code
/// expires or is refused.
public struct DeviceLogin: Sendable {
    let oauth: OAuthClient
    let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Date

    /// The interval RFC 8628 prescribes when the server names none, and what `slow_down` adds.
    static let defaultInterval = 5

    public init(oauth: OAuthClient) {
        self.init(oauth: oauth, sleep: { try await Task.sleep(for: $0) }, now: Date.init)
    }

    init(oauth: OAuthClient, sleep: @escaping @Sendable (Duration) async throws -> Void, now: @escaping @Sendable () -> Date) {
        self.oauth = oauth
        self.sleep = sleep
        self.now = now
    }

    /// The login the approved code yields, for `org` at the client's server.
    public func waitForApproval(
        of code: DeviceCode, org: String, provider: String?, cacert: String?
    ) async throws -> StoredLogin {
        let deadline = now().addingTimeInterval(TimeInterval(code.expiresIn))
        var interval = max(code.interval ?? Self.defaultInterval, 1)
        while true {
            try await sleep(.seconds(interval))
            do {
                let grant = try await oauth.deviceToken(code.deviceCode)
                guard let refreshToken = grant.refreshToken else {
                    throw AdminClientError.invalidResponse("the login has no refresh token")
                }
                return StoredLogin(
                    server: oauth.server.absoluteString, org: org, provider: provider, cacert: cacert,
                    accessToken: grant.accessToken,
                    accessTokenExpiresAt: now().addingTimeInterval(TimeInterval(grant.expiresIn)),
                    refreshToken: refreshToken)
            } catch let error as OAuthError {
                switch error.error {
                case "authorization_pending": break
                case "slow_down": interval += Self.defaultInterval
                case "expired_token": throw LoginError.expired
                case "access_denied": throw LoginError.denied(error)
                default: throw error
                }
            }
            if now() >= deadline { throw LoginError.expired }
        }
    }
}
