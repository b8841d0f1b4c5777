import Foundation
import GatehouseModel
import Synchronization
import Testing

@testable import GatehouseClient

/// The admin client with a stored login, against a stub server whose token endpoint rotates the
/// pair `access-N` / `refresh-N` and whose admin API accepts only `valid` access tokens.
@Suite("Refreshing a stored login")
struct LoginRefreshTests {
    let directory = TemporaryDirectory()
    var store: ClientConfigStore { ClientConfigStore(path: directory.path + "/config.yaml") }
    static let server = URL(string: "https://gatehouse.example")!
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func login(access: String, refresh: String, expiresIn: TimeInterval) -> StoredLogin {
        StoredLogin(
            server: server.absoluteString, org: "acme", accessToken: access,
            accessTokenExpiresAt: now.addingTimeInterval(expiresIn), refreshToken: refresh)
    }

    /// A stub server: `valid` decides which access tokens the admin API takes; each refresh of
    /// the current refresh token answers the next pair, any other refresh token `invalid_grant`.
    static func server(valid: @escaping @Sendable (String) -> Bool) -> StubTransport {
        let generation = Mutex(0)
        return StubTransport { exchange in
            if exchange.url.hasSuffix("/auth/token") {
                return generation.withLock { n in
                    guard exchange.form["grant_type"] == "refresh_token", exchange.form["refresh_token"] == "refresh-\(n)" else {
                        return StubTransport.json(400, ["error": "invalid_grant", "error_description": "spent"])
                    }
                    n += 1
                    return StubTransport.json(200, [
                        "access_token": "access-\(n)", "token_type": "Bearer", "expires_in": 900, "refresh_token": "refresh-\(n)",
                    ])
                }
            }
            guard let token = exchange.bearer, valid(token) else {
                return StubTransport.json(401, ["title": "Unauthorized", "status": 401])
            }
            return StubTransport.json(200, ["items": [], "nextCursor": NSNull()])
        }
    }

    func client(_ transport: StubTransport, _ login: StoredLogin) throws -> AdminClient {
        try store.write(ClientConfigFile(token: nil, login: login))
        let session = LoginSession(
            login: login, oauth: OAuthClient(server: Self.server, transport: transport), store: store, now: { Self.now })
        return AdminClient(server: Self.server, credential: .login(session), transport: transport)
    }

    @Test func anExpiredAccessTokenIsRefreshedBeforeTheCallAndTheRotatedPairStored() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { $0 == "access-1" }
        let client = try client(transport, Self.login(access: "access-0", refresh: "refresh-0", expiresIn: 10))
        _ = try await client.list(Org.self)
        #expect(transport.requests.map { $0.url } == ["https://gatehouse.example/auth/token", "https://gatehouse.example/v1/orgs"])
        #expect(transport.requests.last?.bearer == "access-1")
        #expect(try store.read().login == Self.login(access: "access-1", refresh: "refresh-1", expiresIn: 900))
        // The next call uses the stored token without refreshing again.
        _ = try await client.list(Org.self)
        #expect(transport.requests.count == 3)
    }

    @Test func aRefusedAccessTokenIsRefreshedAndTheCallRetriedOnce() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { $0 == "access-1" }
        let client = try client(transport, Self.login(access: "access-0", refresh: "refresh-0", expiresIn: 600))
        _ = try await client.list(Org.self)
        #expect(transport.requests.map { $0.bearer } == ["access-0", nil, "access-1"])
        #expect(try store.read().login?.refreshToken == "refresh-1")
    }

    @Test func aSecondRefusalIsTheAnswerNotAnotherRefresh() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { _ in false }
        let client = try client(transport, Self.login(access: "access-0", refresh: "refresh-0", expiresIn: 600))
        await #expect { _ = try await client.list(Org.self) } throws: { ($0 as? Problem)?.status == 401 }
        #expect(transport.requests.count == 3)
    }

    @Test func aRefusedRefreshTokenEndsTheLogin() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { _ in true }
        let client = try client(transport, Self.login(access: "access-0", refresh: "revoked", expiresIn: -1))
        let error = await #expect(throws: LoginError.self) { _ = try await client.list(Org.self) }
        #expect(error?.description.contains("gatehouse login --org acme") == true)
        #expect(error?.description.contains("revoked") == false)
        #expect(transport.requests.count == 1)
    }

    @Test func aPairRotatedByAnotherProcessIsTakenNotSpentAgain() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { $0 == "access-other" }
        let client = try client(transport, Self.login(access: "access-0", refresh: "refresh-0", expiresIn: -1))
        // Another CLI process refreshed in the meantime and stored its pair.
        try store.write(ClientConfigFile(login: Self.login(access: "access-other", refresh: "refresh-other", expiresIn: 900)))
        _ = try await client.list(Org.self)
        #expect(transport.requests.map { $0.bearer } == ["access-other"])
    }

    @Test func anExplicitTokenIsNeverRefreshed() async throws {
        defer { directory.cleanUp() }
        let transport = Self.server { _ in false }
        let client = AdminClient(server: Self.server, credential: .bearer("admin"), transport: transport)
        await #expect { _ = try await client.list(Org.self) } throws: { ($0 as? Problem)?.status == 401 }
        #expect(transport.requests.map { $0.bearer } == ["admin"])
    }
}

@Suite("Waiting for a device login")
struct DeviceLoginTests {
    static let code = DeviceCode(
        deviceCode: "dc", userCode: "BCDF-GHJK", verificationURI: "https://g/auth/device",
        verificationURIComplete: nil, expiresIn: 600, interval: 5)

    /// Polls against answers given in order; returns the result and the intervals slept.
    static func poll(_ answers: [HTTPExchangeResponse]) async throws -> (StoredLogin, [Duration]) {
        let remaining = Mutex(answers)
        let slept = Mutex<[Duration]>([])
        let transport = StubTransport { _ in remaining.withLock { $0.removeFirst() } }
        let login = DeviceLogin(
            oauth: OAuthClient(server: URL(string: "https://g")!, transport: transport),
            sleep: { duration in slept.withLock { $0.append(duration) } }, now: { Date(timeIntervalSince1970: 0) })
        let result = try await login.waitForApproval(of: code, org: "acme", provider: nil, cacert: nil)
        #expect(transport.requests.allSatisfy { $0.form["grant_type"] == OAuthClient.deviceCodeGrant && $0.form["device_code"] == "dc" })
        return (result, slept.withLock { $0 })
    }

    static func error(_ code: String) -> HTTPExchangeResponse { StubTransport.json(400, ["error": code]) }

    @Test func pollsAtTheIntervalSlowingDownWhenAsked() async throws {
        let (login, slept) = try await Self.poll([
            Self.error("authorization_pending"), Self.error("slow_down"), Self.error("authorization_pending"),
            StubTransport.json(200, ["access_token": "a", "expires_in": 900, "refresh_token": "r", "token_type": "Bearer"]),
        ])
        #expect(slept == [.seconds(5), .seconds(5), .seconds(10), .seconds(10)])
        #expect(login.accessToken == "a" && login.refreshToken == "r" && login.org == "acme")
        #expect(login.accessTokenExpiresAt == Date(timeIntervalSince1970: 900))
    }

    @Test func stopsWhenTheCodeExpiresOrIsRefused() async throws {
        await #expect(throws: LoginError.expired) { _ = try await Self.poll([Self.error("expired_token")]) }
        await #expect { _ = try await Self.poll([Self.error("access_denied")]) } throws: {
            if case LoginError.denied = $0 { true } else { false }
        }
        await #expect(throws: OAuthError.self) { _ = try await Self.poll([Self.error("invalid_grant")]) }
    }
}
