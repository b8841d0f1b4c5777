import Foundation
import Yams

/// Where the CLI connects and how it proves who it is, once every source has been consulted.
public struct ClientSettings: Sendable, Equatable {
    public var server: URL
    public var token: String?
    public var caCertificatePath: String?

    public init(server: URL, token: String?, caCertificatePath: String?) {
        self.server = server
        self.token = token
        self.caCertificatePath = caCertificatePath
    }
}

/// Resolves `ClientSettings`. Each setting independently comes from the first source that has
/// it: the command-line flag, then the environment (`GATEHOUSE_SERVER`, `GATEHOUSE_TOKEN`,
/// `GATEHOUSE_CACERT`), then the config file (`$XDG_CONFIG_HOME/gatehouse/config.yaml`, by
/// default `~/.config/gatehouse/config.yaml`, keys `server`, `token`, `cacert`), then what a
/// local `gatehouse serve` leaves in the working directory: server `https://localhost:9443`,
/// the token in `data/admin-token`, the CA in `certs/ca.pem` (each only if the file exists).
///
/// The environment, home and working directories are injected so tests never read the real ones.
public struct ClientSettingsResolver: Sendable {
    public var environment: [String: String]
    public var homeDirectory: String
    public var workingDirectory: String

    public static let defaultServer = "https://localhost:9443"
    static let configKeys: Set<String> = ["server", "token", "cacert"]

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

    public func resolve(server: String?, token: String?, caCertificatePath: String?) throws(ClientSettingsError)
        -> ClientSettings
    {
        let file = try readConfigFile()
        let fileDirectory = (configFilePath as NSString).deletingLastPathComponent

        let serverSetting =
            server.map { ($0, "--server") }
            ?? nonEmpty(environment["GATEHOUSE_SERVER"]).map { ($0, "GATEHOUSE_SERVER") }
            ?? file["server"].map { ($0, configFilePath) }
            ?? (Self.defaultServer, "the default")
        let resolvedToken =
            token
            ?? nonEmpty(environment["GATEHOUSE_TOKEN"])
            ?? file["token"]
            ?? readTrimmed(join(workingDirectory, "data/admin-token"))
        let caPath =
            caCertificatePath.map { absolute($0, relativeTo: workingDirectory) }
            ?? nonEmpty(environment["GATEHOUSE_CACERT"]).map { absolute($0, relativeTo: workingDirectory) }
            ?? file["cacert"].map { absolute($0, relativeTo: fileDirectory) }
            ?? existing(join(workingDirectory, "certs/ca.pem"))

        return ClientSettings(
            server: try serverURL(serverSetting.0, source: serverSetting.1),
            token: resolvedToken, caCertificatePath: caPath)
    }

    // MARK: - Sources

    /// The config file's settings; empty when there is no file. A key it does not know is an
    /// error rather than silently ignored, so a typo (`sever:`) does not send requests elsewhere.
    func readConfigFile() throws(ClientSettingsError) -> [String: String] {
        guard FileManager.default.fileExists(atPath: configFilePath) else { return [:] }
        let path = configFilePath
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "cannot read it: \(error.localizedDescription)")
        }
        let node: Yams.Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "not valid YAML: \(error)")
        }
        guard let node, YAMLConversion.resolvedTag(of: node) != .null else { return [:] }
        guard case .mapping(let mapping) = node else {
            throw ClientSettingsError.invalidConfigFile(path: path, reason: "expected a mapping of server, token, cacert")
        }
        var settings: [String: String] = [:]
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard Self.configKeys.contains(name) else {
                throw ClientSettingsError.invalidConfigFile(
                    path: path, reason: "unknown key '\(name)' (known: cacert, server, token)")
            }
            guard case .scalar(let scalar) = value else {
                throw ClientSettingsError.invalidConfigFile(path: path, reason: "'\(name)' must be a string")
            }
            if !scalar.string.isEmpty { settings[name] = scalar.string }
        }
        return settings
    }

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

    public var description: String {
        switch self {
        case .invalidServer(let value, let source):
            "the server '\(value)' (from \(source)) is not an http:// or https:// URL with a host"
        case .invalidConfigFile(let path, let reason):
            "config file \(path): \(reason)"
        }
    }
}
