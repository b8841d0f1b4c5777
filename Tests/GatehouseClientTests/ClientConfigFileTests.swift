import Foundation
import Testing

@testable import GatehouseClient

@Suite("The CLI config file")
struct ClientConfigFileTests {
    static let login = StoredLogin(
        server: "https://gatehouse.example:9443", org: "acme", provider: "corp", cacert: "/etc/ca.pem",
        accessToken: "eyJ.access.token", accessTokenExpiresAt: Date(timeIntervalSince1970: 1_800_000_000),
        refreshToken: "grt_refresh: with # YAML-special characters")

    @Test func roundTripsEverySettingAndTheLogin() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = ClientConfigStore(path: directory.path + "/gatehouse/config.yaml")
        let file = ClientConfigFile(server: "https://gatehouse.example:9443", token: "admin", cacert: "ca.pem", login: Self.login)
        try store.write(file)
        #expect(try store.read() == file)
        // Without the optional members as well.
        var minimal = Self.login
        minimal.provider = nil
        minimal.cacert = nil
        try store.write(ClientConfigFile(login: minimal))
        #expect(try store.read() == ClientConfigFile(login: minimal))
    }

    @Test func isWrittenOwnerOnlyEvenOverAReadableFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let path = directory.path + "/config.yaml"
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try "server: https://a.example\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try await ClientConfigStore(path: path).update { $0.login = Self.login }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // The people-written settings survive the update.
        #expect(try ClientConfigStore(path: path).read() == ClientConfigFile(server: "https://a.example", login: Self.login))
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["config.yaml", "config.yaml.lock"])
    }

    @Test func unknownKeysAreStillRefused() throws {
        #expect(throws: ClientSettingsError.self) { try ClientConfigFile.parse("sever: https://typo.example\n", path: "c") }
        let inLogin = #expect(throws: ClientSettingsError.self) {
            try ClientConfigFile.parse(
                "login: {server: https://a, org: acme, accessToken: a, accessTokenExpiresAt: '2030-01-01T00:00:00Z', refreshToken: r, refresh: x}\n",
                path: "c")
        }
        #expect(inLogin?.description.contains("unknown key 'refresh' in 'login'") == true)
        let incomplete = #expect(throws: ClientSettingsError.self) {
            try ClientConfigFile.parse("login: {server: https://a, org: acme}\n", path: "c")
        }
        #expect(incomplete?.description.contains("lacks 'accessToken'") == true)
        #expect(throws: ClientSettingsError.self) {
            try ClientConfigFile.parse(
                "login: {server: https://a, org: a, accessToken: a, accessTokenExpiresAt: soon, refreshToken: r}\n", path: "c")
        }
        #expect(try ClientConfigFile.parse("login:\n", path: "c") == ClientConfigFile())
    }

    @Test func tokensNeverAppearInDescriptions() {
        let text = "\(Self.login) \(String(reflecting: Self.login)) \([Self.login])"
        #expect(!text.contains("eyJ.access.token") && !text.contains("grt_refresh"))
    }
}
