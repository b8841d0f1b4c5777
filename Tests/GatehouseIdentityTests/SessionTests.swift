import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("Sessions and their cookie")
struct SessionTests {
    static let key = [UInt8](repeating: 7, count: 32)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func session(_ recordID: String, org: String = "acme", groups: [String] = ["eng"], expiresIn: TimeInterval = 3600) -> Session {
        Session(
            recordID: recordID, org: org, provider: "corp", subject: "alice", email: "alice@example.com", groups: groups,
            createdAt: now, expiresAt: now.addingTimeInterval(expiresIn))
    }

    @Test("a cookie names its session; the principal is the signed-in user of the org")
    func roundTrip() throws {
        let directory = try SessionDirectory(cookieKey: Self.key)
        let (recordID, cookie) = directory.newCookie(org: "acme", expiresAt: now.addingTimeInterval(3600))
        directory.insert(session(recordID))
        let principal = try directory.principal(forCookie: cookie, now: now).get()
        #expect(principal.kind == .user)
        #expect(principal.subject == "alice")
        #expect(principal.org == "acme")
        #expect(principal.groups == ["eng"])
        #expect(principal.provider == "corp")
        #expect(directory.recordID(forCookie: cookie) == recordID)
        #expect(!cookie.contains(recordID))
    }

    @Test("the cookie stays small however many groups the user has")
    func smallCookie() throws {
        let directory = try SessionDirectory(cookieKey: Self.key)
        let (recordID, cookie) = directory.newCookie(org: String(repeating: "a", count: 63), expiresAt: now.addingTimeInterval(3600))
        directory.insert(session(recordID, org: String(repeating: "a", count: 63), groups: (0..<5000).map { "group-\($0)" }))
        #expect(cookie.utf8.count < 300)
        #expect(SessionCookie.setCookie(value: cookie, maxAge: 3600).utf8.count < 4096)
        #expect(try directory.principal(forCookie: cookie, now: now).get().groups.count == 5000)
    }

    @Test("tampered, truncated, foreign-key and oversized cookies are malformed")
    func tampered() throws {
        let directory = try SessionDirectory(cookieKey: Self.key)
        let (recordID, cookie) = directory.newCookie(org: "acme", expiresAt: now.addingTimeInterval(3600))
        directory.insert(session(recordID))
        var bytes = Array(cookie.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(directory.principal(forCookie: String(decoding: bytes, as: UTF8.self), now: now) == .failure(.malformed))
        #expect(directory.principal(forCookie: String(cookie.dropLast(4)), now: now) == .failure(.malformed))
        #expect(directory.principal(forCookie: "", now: now) == .failure(.malformed))
        #expect(directory.principal(forCookie: String(repeating: "A", count: 5000), now: now) == .failure(.malformed))
        let other = try SessionDirectory(cookieKey: [UInt8](repeating: 8, count: 32))
        other.insert(session(recordID))
        #expect(other.principal(forCookie: cookie, now: now) == .failure(.malformed))
    }

    @Test("a cookie sealed for one org does not open another org's session")
    func foreignOrg() throws {
        let directory = try SessionDirectory(cookieKey: Self.key)
        let (recordID, cookie) = directory.newCookie(org: "globex", expiresAt: now.addingTimeInterval(3600))
        directory.insert(session(recordID, org: "acme"))
        #expect(directory.principal(forCookie: cookie, now: now) == .failure(.orgMismatch))
    }

    @Test("ended and expired sessions are refused; sweep forgets the expired")
    func endedAndExpired() throws {
        let directory = try SessionDirectory(cookieKey: Self.key)
        let (recordID, cookie) = directory.newCookie(org: "acme", expiresAt: now.addingTimeInterval(3600))
        directory.insert(session(recordID, expiresIn: 60))
        #expect(directory.principal(forCookie: cookie, now: now.addingTimeInterval(61)) == .failure(.expired))
        #expect(directory.principal(forCookie: cookie, now: now.addingTimeInterval(3601)) == .failure(.expired))
        #expect(directory.sweep(now: now.addingTimeInterval(61)) == 1)
        #expect(directory.principal(forCookie: cookie, now: now) == .failure(.unknown))
        directory.load([session(recordID)])
        #expect((try? directory.principal(forCookie: cookie, now: now).get()) != nil)
        directory.remove(recordID: recordID)
        #expect(directory.principal(forCookie: cookie, now: now) == .failure(.unknown))
    }

    @Test("the cookie's attributes: __Host- prefix rules, HttpOnly, SameSite=Lax")
    func attributes() {
        let header = SessionCookie.setCookie(value: "v", maxAge: 60)
        #expect(header.hasPrefix("__Host-gatehouse-session=v;"))
        for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=60"] { #expect(header.contains(attribute)) }
        #expect(!header.lowercased().contains("domain"))
        #expect(SessionCookie.expiredCookie.contains("Max-Age=0"))
        #expect(SessionCookie.value(inCookieHeader: "a=b; __Host-gatehouse-session=xyz; c=d") == "xyz")
        #expect(SessionCookie.value(inCookieHeader: "x__Host-gatehouse-session=xyz") == nil)
    }
}

@Suite("Pending logins")
struct PendingLoginTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func login() -> PendingLogin {
        PendingLogin(
            org: "acme", provider: "corp", redirectURI: "https://gh/cb", pkce: .generate(), nonce: "n", returnTo: "/",
            browserBinding: "b", expiresAt: now.addingTimeInterval(600))
    }

    @Test("a state works once, and not after it expired")
    func singleUse() throws {
        let pending = PendingLogins()
        let first = login()
        let state = try #require(pending.add(first, now: now))
        #expect(pending.take(state: state, now: now) == first)
        #expect(pending.take(state: state, now: now) == nil)
        let late = try #require(pending.add(login(), now: now))
        #expect(pending.take(state: late, now: now.addingTimeInterval(601)) == nil)
        #expect(pending.take(state: "made-up", now: now) == nil)
    }

    @Test("bounded: full of live logins, new ones are refused; expired ones make room")
    func bounded() {
        let pending = PendingLogins(capacity: 2)
        #expect(pending.add(login(), now: now) != nil)
        #expect(pending.add(login(), now: now) != nil)
        #expect(pending.add(login(), now: now) == nil)
        #expect(pending.add(login(), now: now.addingTimeInterval(601)) != nil)
    }

    @Test("PKCE S256 matches RFC 7636's example")
    func pkce() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.generate().verifier.utf8.count == 43)
    }
}
