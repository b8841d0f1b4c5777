import Foundation
import Testing

@testable import GatehouseClient

/// Every test works in its own temporary home and working directory; the real ones are never read.
@Suite("Client settings resolution")
struct ClientSettingsTests {
    let root: String
    var home: String { root + "/home" }
    var work: String { root + "/work" }

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-settings-\(UUID().uuidString)").path
        for directory in [home + "/.config/gatehouse", work + "/data", work + "/certs", root + "/xdg/gatehouse"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func resolver(_ environment: [String: String] = [:]) -> ClientSettingsResolver {
        ClientSettingsResolver(environment: environment, homeDirectory: home, workingDirectory: work)
    }

    func resolve(
        _ environment: [String: String] = [:], server: String? = nil, token: String? = nil, cacert: String? = nil
    ) throws -> ClientSettings {
        try resolver(environment).resolve(server: server, token: token, caCertificatePath: cacert)
    }

    @Test func defaultsWhenNothingIsThere() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(
            try resolve() == ClientSettings(server: URL(string: "https://localhost:9443")!, token: nil, caCertificatePath: nil))
    }

    @Test func localDefaultsComeFromTheWorkingDirectory() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("local-token\n", to: work + "/data/admin-token")
        try write("pem", to: work + "/certs/ca.pem")
        let settings = try resolve()
        #expect(settings.token == "local-token")
        #expect(settings.caCertificatePath == work + "/certs/ca.pem")
    }

    @Test func configFileBeatsLocalDefaults() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("local-token", to: work + "/data/admin-token")
        try write("pem", to: work + "/certs/ca.pem")
        try write(
            "server: https://file.example:9443\ntoken: file-token\ncacert: ca/file.pem\n",
            to: home + "/.config/gatehouse/config.yaml")
        let settings = try resolve()
        #expect(settings.server.absoluteString == "https://file.example:9443")
        #expect(settings.token == "file-token")
        // Relative paths in the config file are relative to the file.
        #expect(settings.caCertificatePath == home + "/.config/gatehouse/ca/file.pem")
    }

    @Test func environmentBeatsConfigFile() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(
            "server: https://file.example\ntoken: file-token\ncacert: /file.pem\n",
            to: home + "/.config/gatehouse/config.yaml")
        let settings = try resolve([
            "GATEHOUSE_SERVER": "https://env.example", "GATEHOUSE_TOKEN": "env-token", "GATEHOUSE_CACERT": "/env.pem",
        ])
        #expect(settings == ClientSettings(server: URL(string: "https://env.example")!, token: "env-token", caCertificatePath: "/env.pem"))
    }

    @Test func flagsBeatEverything() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("server: https://file.example\ntoken: file-token\n", to: home + "/.config/gatehouse/config.yaml")
        let settings = try resolve(
            ["GATEHOUSE_SERVER": "https://env.example", "GATEHOUSE_TOKEN": "env-token", "GATEHOUSE_CACERT": "/env.pem"],
            server: "http://flag.example:8080", token: "flag-token", cacert: "flag.pem")
        #expect(settings.server.absoluteString == "http://flag.example:8080")
        #expect(settings.token == "flag-token")
        #expect(settings.caCertificatePath == work + "/flag.pem")
    }

    @Test func eachSettingResolvesIndependently() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("token: file-token\n", to: home + "/.config/gatehouse/config.yaml")
        try write("pem", to: work + "/certs/ca.pem")
        let settings = try resolve(["GATEHOUSE_SERVER": "https://env.example"])
        #expect(settings.server.absoluteString == "https://env.example")
        #expect(settings.token == "file-token")
        #expect(settings.caCertificatePath == work + "/certs/ca.pem")
    }

    @Test func xdgConfigHomeIsRespected() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("token: home-token\n", to: home + "/.config/gatehouse/config.yaml")
        try write("token: xdg-token\n", to: root + "/xdg/gatehouse/config.yaml")
        let environment = ["XDG_CONFIG_HOME": root + "/xdg"]
        #expect(resolver(environment).configFilePath == root + "/xdg/gatehouse/config.yaml")
        #expect(try resolve(environment).token == "xdg-token")
        // A relative XDG_CONFIG_HOME is invalid by the spec and ignored.
        #expect(try resolve(["XDG_CONFIG_HOME": "relative"]).token == "home-token")
    }

    @Test func unknownConfigKeyIsAnError() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("sever: https://typo.example\n", to: home + "/.config/gatehouse/config.yaml")
        let error = #expect(throws: ClientSettingsError.self) { try resolve() }
        #expect(error?.description.contains("'sever'") == true)
    }

    @Test func invalidServerNamesItsSource() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: ClientSettingsError.invalidServer("localhost:9443", source: "GATEHOUSE_SERVER")) {
            try resolve(["GATEHOUSE_SERVER": "localhost:9443"])
        }
        #expect(throws: ClientSettingsError.invalidServer("ftp://x", source: "--server")) {
            try resolve(server: "ftp://x")
        }
    }

    @Test func emptyEnvironmentValuesAreUnset() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("token: file-token\n", to: home + "/.config/gatehouse/config.yaml")
        #expect(try resolve(["GATEHOUSE_TOKEN": ""]).token == "file-token")
    }

    @Test func tildeExpandsToHome() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try resolve(cacert: "~/ca.pem").caCertificatePath == home + "/ca.pem")
    }

    // MARK: - A stored `gatehouse login`

    func storeLogin(server: String = "https://login.example:9443", extra: String = "") throws -> StoredLogin {
        let login = StoredLogin(
            server: server, org: "acme", cacert: "/login/ca.pem", accessToken: "access",
            accessTokenExpiresAt: Date(timeIntervalSince1970: 1_800_000_000), refreshToken: "grt_refresh")
        try ClientConfigStore(path: home + "/.config/gatehouse/config.yaml").write(ClientConfigFile(login: login))
        if !extra.isEmpty {
            let path = home + "/.config/gatehouse/config.yaml"
            try write(extra + (try String(contentsOfFile: path, encoding: .utf8)), to: path)
        }
        return login
    }

    @Test func theLoginGivesServerCACertAndCredentialAndBeatsTheLocalAdminToken() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("local-token", to: work + "/data/admin-token")
        let login = try storeLogin()
        #expect(
            try resolve() == ClientSettings(
                server: URL(string: "https://login.example:9443")!, token: nil, caCertificatePath: "/login/ca.pem", login: login,
                defaultOrg: login.org))
    }

    @Test func anExplicitTokenBeatsTheLogin() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try storeLogin(extra: "token: file-token\n")
        #expect(try resolve().token == "file-token" && resolve().login == nil)
        #expect(try resolve(["GATEHOUSE_TOKEN": "env"]).login == nil)
        #expect(try resolve(token: "flag").token == "flag")
    }

    @Test func theLoginIsNeverSentToAnotherServer() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write("local-token", to: work + "/data/admin-token")
        _ = try storeLogin()
        let settings = try resolve(server: "https://other.example")
        #expect(settings.login == nil && settings.token == "local-token" && settings.caCertificatePath == nil)
        // The same server written with a trailing slash is the same server.
        #expect(try resolve(server: "https://login.example:9443/").login != nil)
    }

    @Test func timeoutsComeFromTheFlagThenTheEnvironmentThenTheFile() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try resolve().timeouts == .standard)
        try write("connectTimeout: 3\nrequestTimeout: 4.5\n", to: home + "/.config/gatehouse/config.yaml")
        #expect(try resolve().timeouts == ClientTimeouts(connect: .seconds(3), request: .milliseconds(4500)))
        #expect(try resolve(["GATEHOUSE_REQUEST_TIMEOUT": "7"]).timeouts.request == .seconds(7))
        let flagged = try resolver(["GATEHOUSE_REQUEST_TIMEOUT": "7"]).resolve(
            server: nil, token: nil, caCertificatePath: nil, connectTimeout: 1, requestTimeout: 2)
        #expect(flagged.timeouts == ClientTimeouts(connect: .seconds(1), request: .seconds(2)))
    }

    @Test func aTimeoutThatIsNotAPositiveNumberNamesItsSource() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: ClientSettingsError.invalidTimeout("0", source: "GATEHOUSE_CONNECT_TIMEOUT")) {
            try resolve(["GATEHOUSE_CONNECT_TIMEOUT": "0"])
        }
        try write("requestTimeout: soon\n", to: home + "/.config/gatehouse/config.yaml")
        #expect(throws: ClientSettingsError.invalidTimeout("soon", source: home + "/.config/gatehouse/config.yaml (requestTimeout)")) {
            try resolve()
        }
    }

    @Test func theDefaultOrgComesFromTheEnvironmentThenTheFile() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try resolver().defaultOrg() == nil)
        try write("org: acme\n", to: home + "/.config/gatehouse/config.yaml")
        #expect(try resolver().defaultOrg() == "acme")
        #expect(try resolve(["GATEHOUSE_ORG": "beta"]).defaultOrg == "beta")
    }
}
