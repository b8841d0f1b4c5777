import Foundation
import NIOConcurrencyHelpers

/// The live sessions, in memory, for the one question the edge and the control listener ask on
/// every request that carries a session cookie: who is this?
///
/// `principal(forCookie:now:)` never suspends and does no I/O: it opens the sealed cookie
/// (AES-GCM), hashes the id, and looks it up under a lock. The control plane keeps the
/// directory in step with the store (`insert` on login, `remove` on logout, `load` at start),
/// so a session ended on one path is refused on every path at once.
public final class SessionDirectory: Sendable {
    private let sealer: SessionCookieSealer
    private let sessions = NIOLockedValueBox<[String: Session]>([:])

    /// `cookieKey`: 32 bytes, derived from the master key for this purpose alone (the server
    /// passes `SecretSealer.derivedKey(for: "session-cookies")`).
    public init(cookieKey: some ContiguousBytes) throws(TokenIssuerError) {
        sealer = try SessionCookieSealer(key: cookieKey)
    }

    public func principal(forCookie value: String, now: Date) -> Result<Principal, SessionError> {
        session(forCookie: value, now: now).map(\.principal)
    }

    /// The session a cookie names, if it is live at `now`.
    public func session(forCookie value: String, now: Date) -> Result<Session, SessionError> {
        guard let content = sealer.open(value) else { return .failure(.malformed) }
        guard Double(content.e) > now.timeIntervalSince1970 else { return .failure(.expired) }
        let recordID = CredentialHash.of(content.s)
        guard let session = sessions.withLockedValue({ $0[recordID] }) else { return .failure(.unknown) }
        guard session.org == content.o else { return .failure(.orgMismatch) }
        guard session.expiresAt > now else { return .failure(.expired) }
        return .success(session)
    }

    /// Whether the session stored under `recordID` is live at `now`: what a token minted from it
    /// (`sid`) is checked against.
    public func isLive(recordID: String, now: Date) -> Bool {
        sessions.withLockedValue { $0[recordID] }.map { $0.expiresAt > now } ?? false
    }

    /// The `recordID` of the session a cookie names, live or not: what logout removes.
    public func recordID(forCookie value: String) -> String? {
        sealer.open(value).map { CredentialHash.of($0.s) }
    }

    /// A fresh session id, as the `recordID` a `Session` is stored under and the cookie value
    /// that names it (the id itself is in the sealed cookie only).
    public func newCookie(org: String, expiresAt: Date) -> (recordID: String, cookie: String) {
        let id = RandomToken.make()
        let cookie = sealer.seal(
            SessionCookieContent(s: id, o: org, e: Int64(expiresAt.timeIntervalSince1970.rounded(.down))))
        return (CredentialHash.of(id), cookie)
    }

    public func insert(_ session: Session) {
        sessions.withLockedValue { $0[session.recordID] = session }
    }

    @discardableResult
    public func remove(recordID: String) -> Session? {
        sessions.withLockedValue { $0.removeValue(forKey: recordID) }
    }

    /// Replaces every session (at start-up, from the store).
    public func load(_ all: [Session]) {
        let byID = Dictionary(all.map { ($0.recordID, $0) }, uniquingKeysWith: { _, last in last })
        sessions.withLockedValue { $0 = byID }
    }

    /// Forgets sessions that expired before `now`; returns how many.
    @discardableResult
    public func sweep(now: Date) -> Int {
        sessions.withLockedValue { sessions in
            let before = sessions.count
            sessions = sessions.filter { $0.value.expiresAt > now }
            return before - sessions.count
        }
    }

    public var count: Int { sessions.withLockedValue { $0.count } }
}
