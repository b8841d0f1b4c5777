import Foundation
import Testing

@testable import GatehouseIdentity

/// A Gatehouse token minted from a login session (`sid`) is a credential only while the session
/// lives: signing out ends it on every path that asks `GatehouseTokenPrincipal` (issue 14).
@Suite("Session-bound Gatehouse tokens")
struct SessionBoundTokenTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func token(sid: String?) -> VerifiedToken {
        var claims: [String: ClaimValue] = ["org": .string("acme"), "kind": .string("user")]
        if let sid { claims["sid"] = .string(sid) }
        return VerifiedToken(
            issuer: "https://gatehouse.test", subject: "alice", audiences: ["https://gatehouse.test"],
            expiresAt: now.addingTimeInterval(900), algorithm: .es256, claims: claims)
    }

    @Test("live session: accepted; ended or expired session, or no directory: refused")
    func sessionBound() throws {
        let directory = try SessionDirectory(cookieKey: [UInt8](repeating: 7, count: 32))
        let (recordID, _) = directory.newCookie(org: "acme", expiresAt: now.addingTimeInterval(3600))
        directory.insert(
            Session(recordID: recordID, org: "acme", provider: "corp", subject: "alice", createdAt: now, expiresAt: now.addingTimeInterval(3600)))
        let bound = token(sid: recordID)
        #expect(try GatehouseTokenPrincipal.principal(of: bound, sessions: directory, now: now).get().subject == "alice")
        #expect(GatehouseTokenPrincipal.principal(of: bound, sessions: directory, now: now.addingTimeInterval(3601)) == .failure(.sessionEnded))
        #expect(GatehouseTokenPrincipal.principal(of: bound, sessions: nil, now: now) == .failure(.sessionEnded))
        directory.remove(recordID: recordID)
        #expect(GatehouseTokenPrincipal.principal(of: bound, sessions: directory, now: now) == .failure(.sessionEnded))
        // Tokens of other grants (device login, service accounts) name no session.
        #expect(try GatehouseTokenPrincipal.principal(of: token(sid: nil), sessions: nil, now: now).get().org == "acme")
    }

    @Test("the issuer writes sid when asked, and only then")
    func issuerWritesSid() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: directory) }
        let issuer = try TokenIssuer(
            configuration: .init(externalURL: "https://gatehouse.test"), dataDirectory: directory,
            masterKey: Data(repeating: 7, count: 32))
        let request = AccessTokenRequest(subject: "alice", audiences: [issuer.defaultAudience], org: "acme", kind: .user)
        var bound = request
        bound.sessionID = "record-1"
        let plain = try issuer.issueAccessToken(request)
        let withSession = try issuer.issueAccessToken(bound)
        #expect(Self.payload(plain.token)["sid"] == nil)
        #expect(Self.payload(withSession.token)["sid"]?.stringValue == "record-1")
    }

    static func payload(_ token: String) -> [String: ClaimValue] {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]) else { return [:] }
        return ClaimValue.decodeObject(bytes) ?? [:]
    }
}
