import Foundation
import GatehousePolicy
import Logging

/// The settings of `gatehouse serve`.
///
/// Built by `ServeConfiguration.load(configFile:environment:flags:)` from, in rising precedence,
/// these defaults, a YAML file, `GATEHOUSE_*` environment variables and command-line flags.
/// Relative paths are relative to the working directory of the process.
public struct ServeConfiguration: Hashable, Sendable {
    public static let defaultMaxBodyBytes = 10 * 1024 * 1024
    /// 64 MiB: a function's code, its dependencies included, is seldom larger.
    public static let defaultMaxCodeBytes = 64 * 1024 * 1024
    /// 1 GiB: two uploads unpacked to the largest size one may have, or many ordinary ones.
    public static let defaultOrgStorageQuotaBytes = 1024 * 1024 * 1024

    /// Where the embedded store keeps its database.
    public var dataDir: String
    /// Where the development CA and server certificate are generated (when no certificates are
    /// configured).
    public var certsDir: String
    /// The edge listener (TLS; HTTP/2 and HTTP/1.1 by ALPN).
    public var publicAddr: String
    /// The control listener (TLS): admin API, auth endpoints, console, metrics.
    public var adminAddr: String
    /// An optional cleartext edge listener (HTTP/1.1 and h2c), for deployments behind a proxy
    /// that terminates TLS.
    public var plainAddr: String?
    /// The largest request body the edge accepts.
    public var maxBodyBytes: Int
    /// The largest code upload (`PUT .../functions/{name}/code`); a larger one is refused (413)
    /// before it is written.
    public var maxCodeBytes: Int
    /// How long in-flight requests may run after a shutdown signal before connections are closed.
    public var shutdownGraceSeconds: Double
    /// How clients reach the control listener (OAuth redirect URIs, token issuer, links). `nil`
    /// derives it from `adminAddr`; see `resolvedExternalURL(boundAdminPort:)`.
    public var externalURL: String?
    /// A swift-log level name: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String
    /// The least time between two fetches of one identity provider's keys, whatever asks for
    /// them (a token with an unknown `kid`, a stale key set): bounds what a flood of made-up
    /// `kid`s can cost the provider, and how long a key that appeared just after a fetch waits.
    public var keyRefreshSeconds: Double
    /// Origins (`https://console.example.com`, comma-separated) a login may return the browser
    /// to besides Gatehouse's own paths; see `ReturnURLPolicy`. Empty: own paths only.
    public var loginReturnOrigins: String?
    /// A directory of role files (`*.yaml`) used instead of the built-in roles; a file that does
    /// not parse stops start-up, naming its file, line and reason. Nil: the built-in roles.
    public var policiesDir: String?
    /// CIDR ranges (comma-separated) of the proxies in front of the edge whose
    /// `X-Forwarded-For` is believed when IP rules and rate limits look at a client's address.
    /// Empty: only the peer's own address counts, whatever the headers say.
    public var trustedProxies: String?
    /// How long a new connection may take to complete its TLS handshake (on the plain listener: to show
    /// which protocol it speaks) before it is closed: idle TCP and stalled handshakes hold no slot.
    public var handshakeTimeoutSeconds: Double
    /// How long a client may take to send a request's header fields, from the connection's start or the
    /// previous response (slow-header clients: 408, then close).
    public var headerTimeoutSeconds: Double
    /// How long a keep-alive connection (HTTP/1.1 between requests, HTTP/2 with no open stream) may
    /// stay idle before it is closed (HTTP/2: GOAWAY first).
    public var idleTimeoutSeconds: Double
    /// `Strict-Transport-Security` per edge host, `HOST=VALUE` pairs, comma-separated; `*` names every
    /// host not named otherwise. Sent on TLS edge responses only. Nil: none (development certificates
    /// on `localhost` must not pin a browser to HTTPS).
    public var hsts: String?
    /// The storage quota of an org that sets no `storageQuotaBytes`: the bytes of uploaded code,
    /// as uploaded and unpacked, its functions may hold.
    public var orgStorageQuotaBytes: Int
    public var tls: TLSSettings

    public init(
        dataDir: String = "./data",
        certsDir: String = "./certs",
        publicAddr: String = "0.0.0.0:8443",
        adminAddr: String = "0.0.0.0:9443",
        plainAddr: String? = nil,
        maxBodyBytes: Int = ServeConfiguration.defaultMaxBodyBytes,
        maxCodeBytes: Int = ServeConfiguration.defaultMaxCodeBytes,
        shutdownGraceSeconds: Double = 10,
        externalURL: String? = nil,
        logLevel: String = "info",
        keyRefreshSeconds: Double = 30,
        loginReturnOrigins: String? = nil,
        policiesDir: String? = nil,
        trustedProxies: String? = nil,
        handshakeTimeoutSeconds: Double = 10,
        headerTimeoutSeconds: Double = 30,
        idleTimeoutSeconds: Double = 60,
        hsts: String? = nil,
        orgStorageQuotaBytes: Int = ServeConfiguration.defaultOrgStorageQuotaBytes,
        tls: TLSSettings = TLSSettings()
    ) {
        self.dataDir = dataDir
        self.certsDir = certsDir
        self.publicAddr = publicAddr
        self.adminAddr = adminAddr
        self.plainAddr = plainAddr
        self.maxBodyBytes = maxBodyBytes
        self.maxCodeBytes = maxCodeBytes
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.externalURL = externalURL
        self.logLevel = logLevel
        self.keyRefreshSeconds = keyRefreshSeconds
        self.loginReturnOrigins = loginReturnOrigins
        self.policiesDir = policiesDir
        self.trustedProxies = trustedProxies
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.hsts = hsts
        self.orgStorageQuotaBytes = orgStorageQuotaBytes
        self.tls = tls
    }
}

// Typed views of the settings. They throw only for a configuration that was built by hand and
// never validated; `load` validates every value before returning.
extension ServeConfiguration {
    public var publicListenAddress: ListenAddress {
        get throws(ConfigurationError) { try ListenAddress(parsing: publicAddr) }
    }

    public var adminListenAddress: ListenAddress {
        get throws(ConfigurationError) { try ListenAddress(parsing: adminAddr) }
    }

    public var plainListenAddress: ListenAddress? {
        get throws(ConfigurationError) { try plainAddr.map { addr throws(ConfigurationError) in try ListenAddress(parsing: addr) } }
    }

    public var loggerLevel: Logger.Level {
        get throws(ConfigurationError) {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ConfigurationError(key: ServeSetting.logLevel.rawValue, reason: Self.logLevelReason(logLevel))
            }
            return level
        }
    }

    /// `loginReturnOrigins` as a list.
    public var loginReturnOriginList: [String] {
        (loginReturnOrigins ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `trustedProxies` as ranges (validated by `load`).
    public var trustedProxyRanges: [IPRange] {
        (trustedProxies ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .compactMap { try? IPRange(parsing: $0) }
    }

    public var certsDirectory: URL { URL(fileURLWithPath: certsDir, isDirectory: true) }
    public var dataDirectory: URL { URL(fileURLWithPath: dataDir, isDirectory: true) }

    /// The URL clients use to reach the control listener: `externalURL` when set, otherwise
    /// `https://<admin host>:<port>`, with `localhost` standing in for a wildcard bind address.
    /// Pass the port the listener actually bound when `adminAddr` asks for an ephemeral port.
    public func resolvedExternalURL(boundAdminPort: Int? = nil) throws(ConfigurationError) -> String {
        if let externalURL { return externalURL }
        let address = try adminListenAddress
        let host = address.isWildcard ? "localhost" : (address.isIPv6 ? "[\(address.host)]" : address.host)
        return "https://\(host):\(boundAdminPort ?? address.port)"
    }

    static func logLevelReason(_ value: String) -> String {
        let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        return "unknown log level '\(value)' (expected one of \(names))"
    }
}
