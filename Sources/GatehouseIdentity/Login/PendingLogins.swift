import Foundation
import NIOConcurrencyHelpers

/// A login between the redirect to the provider and the provider's redirect back.
public struct PendingLogin: Sendable, Equatable {
    public var org: String
    public var provider: String
    /// The `redirect_uri` sent, which the code exchange must repeat.
    public var redirectURI: String
    public var pkce: PKCE
    public var nonce: String
    /// Where the user goes once signed in (already checked against `ReturnURLPolicy`).
    public var returnTo: String
    /// `CredentialHash` of the browser-binding cookie set with the redirect: the callback must
    /// come from the browser that started the login (no login CSRF with someone else's code).
    public var browserBinding: String
    /// A device authorization this login approves, if it was started from the device page.
    public var deviceUserCode: String?
    public var expiresAt: Date

    public init(
        org: String, provider: String, redirectURI: String, pkce: PKCE, nonce: String, returnTo: String,
        browserBinding: String, deviceUserCode: String? = nil, expiresAt: Date
    ) {
        self.org = org
        self.provider = provider
        self.redirectURI = redirectURI
        self.pkce = pkce
        self.nonce = nonce
        self.returnTo = returnTo
        self.browserBinding = browserBinding
        self.deviceUserCode = deviceUserCode
        self.expiresAt = expiresAt
    }
}

/// Pending logins by `state`: single use (taken, never read), short-lived, bounded. Kept in
/// memory: a restart only makes users in the middle of a login start again.
public final class PendingLogins: Sendable {
    public static let defaultLifetime: TimeInterval = 600
    public static let defaultCapacity = 10_000

    public let lifetime: TimeInterval
    public let capacity: Int
    private let pending = NIOLockedValueBox<[String: PendingLogin]>([:])

    public init(lifetime: TimeInterval = PendingLogins.defaultLifetime, capacity: Int = PendingLogins.defaultCapacity) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Stores `login` under a fresh `state`; nil when full of unexpired logins (a flood of
    /// login starts must not grow memory without bound).
    public func add(_ login: PendingLogin, now: Date) -> String? {
        let state = RandomToken.make()
        return pending.withLockedValue { pending in
            if pending.count >= capacity {
                pending = pending.filter { $0.value.expiresAt > now }
                guard pending.count < capacity else { return nil }
            }
            pending[CredentialHash.of(state)] = login
            return state
        }
    }

    /// The login `state` names, removed whatever happens next: a state works once.
    public func take(state: String, now: Date) -> PendingLogin? {
        guard state.utf8.count <= 128 else { return nil }
        let login = pending.withLockedValue { $0.removeValue(forKey: CredentialHash.of(state)) }
        guard let login, login.expiresAt > now else { return nil }
        return login
    }

    public var count: Int { pending.withLockedValue { $0.count } }
}
