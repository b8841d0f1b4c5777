import ArgumentParser
import Foundation
import GatehouseControl
import Logging

/// `gatehouse serve`: runs the appliance. Every flag can also come from `gatehouse.yaml` or a
/// `GATEHOUSE_*` variable; flags win, then the environment, then the file.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the Gatehouse appliance (edge and control listeners).")

    @Option(help: "Configuration file (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml if present).")
    var config: String?
    @Option(help: "Where the store, keys and admin token live (default ./data).")
    var dataDir: String?
    @Option(help: "Where development certificates are generated (default ./certs).")
    var certsDir: String?
    @Option(help: "Edge listener, TLS (default 0.0.0.0:8443; port 0 = ephemeral).")
    var publicAddr: String?
    @Option(help: "Control listener, TLS (default 0.0.0.0:9443).")
    var adminAddr: String?
    @Option(help: "Optional cleartext edge listener: HTTP/1.1 and h2c with prior knowledge.")
    var plainAddr: String?
    @Option(help: "Largest request body the edge accepts, in bytes (default 10 MiB).")
    var maxBodyBytes: Int?
    @Option(help: "Largest code upload of a function, in bytes (default 64 MiB).")
    var maxCodeBytes: Int?
    @Option(help: "How long in-flight requests may take to finish on shutdown (default 10).")
    var shutdownGraceSeconds: Double?
    @Option(help: "How clients reach the control listener (default derived from --admin-addr).")
    var externalURL: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?
    @Option(help: "Least time between two fetches of one identity provider's keys (default 30).")
    var keyRefreshSeconds: Double?
    @Option(help: "Origins a login may return to, comma-separated (default: Gatehouse's own paths only).")
    var loginReturnOrigins: String?
    @Option(help: "A directory of role files (*.yaml) to use instead of the built-in roles.")
    var policiesDir: String?
    @Option(help: "Proxies (CIDR ranges, comma-separated) whose X-Forwarded-For the edge believes for IP rules and rate limits.")
    var trustedProxies: String?
    @Option(help: "How long a new connection may take to finish its TLS handshake (or, in plain, to send its first bytes) (default 10).")
    var handshakeTimeoutSeconds: Double?
    @Option(help: "How long a client may take to send a request's header fields (default 30).")
    var headerTimeoutSeconds: Double?
    @Option(help: "How long a keep-alive connection may stay idle between requests (default 60).")
    var idleTimeoutSeconds: Double?
    @Option(help: "Strict-Transport-Security per edge host: HOST=VALUE, comma-separated ('*' for every host), e.g. 'app.example.com=max-age=31536000; includeSubDomains'.")
    var hsts: String?
    @Option(help: "Storage quota of an org that sets no storageQuotaBytes: bytes of code, uploaded and unpacked (default 1 GiB).")
    var orgStorageQuotaBytes: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try ServeConfiguration.load(
            configFile: config, environment: environment,
            flags: .init(
                dataDir: dataDir, certsDir: certsDir, publicAddr: publicAddr, adminAddr: adminAddr, plainAddr: plainAddr,
                maxBodyBytes: maxBodyBytes, maxCodeBytes: maxCodeBytes, shutdownGraceSeconds: shutdownGraceSeconds, externalURL: externalURL,
                logLevel: logLevel, keyRefreshSeconds: keyRefreshSeconds, loginReturnOrigins: loginReturnOrigins,
                policiesDir: policiesDir, trustedProxies: trustedProxies, handshakeTimeoutSeconds: handshakeTimeoutSeconds,
                headerTimeoutSeconds: headerTimeoutSeconds, idleTimeoutSeconds: idleTimeoutSeconds, hsts: hsts,
                orgStorageQuotaBytes: orgStorageQuotaBytes))
        let level = try configuration.loggerLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        try await GatehouseServer.run(configuration: configuration, environment: environment, logger: Logger(label: "gatehouse"))
    }
}
