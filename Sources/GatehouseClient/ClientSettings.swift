import Foundation

/// Where the CLI connects and how it proves who it is, once every source has been consulted.
public struct ClientSettings: Sendable, Equatable {
    public var server: URL
    /// An explicit bearer token (the platform admin's, typically); it wins over `login`.
    public var token: String?
    public var caCertificatePath: String?
    /// The stored `gatehouse login` for `server`, used when there is no `token`.
    public var login: StoredLogin?
    public var timeouts: ClientTimeouts
    /// The org commands act in when they are given no `--org`.
    public var defaultOrg: String?

    public init(
        server: URL, token: String?, caCertificatePath: String?, login: StoredLogin? = nil,
        timeouts: ClientTimeouts = .standard, defaultOrg: String? = nil
    ) {
        self.server = server
        self.timeouts = timeouts
        self.defaultOrg = defaultOrg
        self.token = token
        self.caCertificatePath = caCertificatePath
        self.login = login
    }
}

/// Resolves `ClientSettings`. Each setting independently comes from the first source that has
/// it: the command-line flag, then the environment (`GATEHOUSE_SERVER`, `GATEHOUSE_TOKEN`,
/// `GATEHOUSE_CACERT`), then the config file (`$XDG_CONFIG_HOME/gatehouse/config.yaml`, by
/// default `~/.config/gatehouse/config.yaml`, keys `server`, `token`, `cacert`), then the
/// file's `login` (its server, its CA, its tokens — these only when the server is the login's),
/// Timeouts come from `--connect-timeout` / `--request-timeout`, `GATEHOUSE_CONNECT_TIMEOUT` /
/// `GATEHOUSE_REQUEST_TIMEOUT`, the file's `connectTimeout` / `requestTimeout` (seconds), then
/// 10 s and 30 s; the default org from `GATEHOUSE_ORG`, then the file's `org`
/// (`gatehouse config use-org`), then the login's org.
/// then what a local `gatehouse serve` leaves in the working directory: server
/// `https://localhost:9443`, the token in `data/admin-token`, the CA in `certs/ca.pem` (each only
/// if the file exists).
///
/// The environment, home and working directories are injected so tests never read the real ones.
public struct ClientSettingsResolver: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String
    public var workingDirectory: String

    public static let defaultServer = "https://localhost:9443"

    public init(environment: [String: String], homeDirectory: String, workingDirectory: String) {
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.workingDirectory = workingDirectory
    }

    /// The resolver for this process.
    public static func current() -> ClientSettingsResolver {
        let environment = ProcessInfo.processInfo.environment
        return ClientSettingsResolver(
            environment: environment,
            homeDirectory: environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path,
            workingDirectory: FileManager.default.currentDirectoryPath)
    }

    public var configFilePath: String {
        // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return join(xdg, "gatehouse/config.yaml")
        }
        return join(homeDirectory, ".config/gatehouse/config.yaml")
    }

    /// The config file this resolver reads, for commands that change it.
    public var configStore: ClientConfigStore { ClientConfigStore(path: configFilePath) }

    public func resolve(
        server: String?, token: String?, caCertificatePath: String?, connectTimeout: Double? = nil,
        requestTimeout: Double? = nil
    ) throws(ClientSettingsError) -> ClientSettings {
        let file = try configFile()
        let fileDirectory = (configFilePath as NSString).deletingLastPathComponent

        let serverSetting =
            server.map { ($0, "--server") }
            ?? nonEmpty(environment["GATEHOUSE_SERVER"]).map { ($0, "GATEHOUSE_SERVER") }
            ?? file.server.map { ($0, configFilePath) }
            ?? file.login.map { ($0.server, "\(configFilePath) (login)") }
            ?? (Self.defaultServer, "the default")
        let serverURL = try serverURL(serverSetting.0, source: serverSetting.1)
        let login = file.login.flatMap { $0.isFor(server: serverURL) ? $0 : nil }
        let explicitToken = token ?? nonEmpty(environment["GATEHOUSE_TOKEN"]) ?? file.token
        let caPath =
            caCertificatePath.map { absolute($0, relativeTo: workingDirectory) }
            ?? nonEmpty(environment["GATEHOUSE_CACERT"]).map { absolute($0, relativeTo: workingDirectory) }
            ?? file.cacert.map { absolute($0, relativeTo: fileDirectory) }
            ?? login?.cacert
            ?? existing(join(workingDirectory, "certs/ca.pem"))

        let timeouts = ClientTimeouts(
            connect: try seconds(
                connectTimeout, "--connect-timeout", environment: "GATEHOUSE_CONNECT_TIMEOUT", file: file.connectTimeout,
                key: "connectTimeout", default: ClientTimeouts.standard.connect),
            request: try seconds(
                requestTimeout, "--request-timeout", environment: "GATEHOUSE_REQUEST_TIMEOUT", file: file.requestTimeout,
                key: "requestTimeout", default: ClientTimeouts.standard.request))

        return ClientSettings(
            server: serverURL,
            token: explicitToken ?? (login == nil ? readTrimmed(join(workingDirectory, "data/admin-token")) : nil),
            caCertificatePath: caPath, login: explicitToken == nil ? login : nil, timeouts: timeouts,
            defaultOrg: try defaultOrg())
    }

    /// The org commands act in without `--org`: `GATEHOUSE_ORG`, the file's `org`, the login's.
    public func defaultOrg() throws(ClientSettingsError) -> String? {
        let file = try configFile()
        return nonEmpty(environment["GATEHOUSE_ORG"]) ?? file.org ?? file.login?.org
    }

    /// The context in use: `GATEHOUSE_CONTEXT` (the CLI's `--context` sets it), then the file's `context`.
    public func currentContext() throws(ClientSettingsError) -> String? {
        if let named = nonEmpty(environment["GATEHOUSE_CONTEXT"]) { return named }
        return try configStore.read().context
    }

    /// The config file with the context in use applied.
    private func configFile() throws(ClientSettingsError) -> ClientConfigFile {
        try configStore.read().applying(context: try currentContext())
    }

    /// A timeout in seconds from the first source that has one; each must be a positive number.
    private func seconds(
        _ flag: Double?, _ flagName: String, environment name: String, file: String?, key: String, default fallback: Duration
    ) throws(ClientSettingsError) -> Duration {
        let candidates: [(String?, String)] = [
            (flag.map { String($0) }, flagName), (nonEmpty(environment[name]), name), (file, "\(configFilePath) (\(key))"),
        ]
        guard let (text, source) = candidates.first(where: { $0.0 != nil }), let text else { return fallback }
        guard let value = Double(text), value > 0, value <= 86400 else {
            throw ClientSettingsError.invalidTimeout(text, source: source)
        }
        return .milliseconds(Int64(value * 1000))
    }

    // MARK: - Sources

    private func serverURL(_ text: String, source: String) throws(ClientSettingsError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", url.host?.isEmpty == false
        else {
            throw ClientSettingsError.invalidServer(text, source: source)
        }
        return url
    }

    private func readTrimmed(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return nonEmpty(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func existing(_ path: String) -> String? {
        FileManager.default.fileExists(atPath: path) ? path : nil
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// Paths may start with `~/`; relative ones are taken from where they were written.
    private func absolute(_ path: String, relativeTo directory: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return join(homeDirectory, String(path.dropFirst(2))) }
        return path.hasPrefix("/") ? path : join(directory, path)
    }

    private func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }
}

public enum ClientSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidServer(String, source: String)
    case invalidConfigFile(path: String, reason: String)
    case invalidTimeout(String, source: String)
    case unknownContext(String, known: String)

    public var description: String {
        switch self {
        case .invalidServer(let value, let source):
            "the server '\(value)' (from \(source)) is not an http:// or https:// URL with a host"
        case .unknownContext(let name, let known):
            "no context '\(name)' in the config file (known: \(known)); add it with `gatehouse config set-context \(name) --server URL`"
        case .invalidTimeout(let value, let source):
            "the timeout '\(value)' (from \(source)) is not a number of seconds between 0 and 86400"
        case .invalidConfigFile(let path, let reason):
            "config file \(path): \(reason)"
        }
    }
}
