import ArgumentParser
import Foundation
import GatehouseClient

/// Where the server is and how to trust it: shared by every client command, `login` and `logout`.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The control listener's URL. Default: $GATEHOUSE_SERVER, then the config file, then the login's server, then https://localhost:9443.")
    var server: String?

    /// Read before parsing (see `ContextArgument`); declared here for parsing and help.
    @Option(help: "The config file's context to use (`gatehouse config set-context`). Default: $GATEHOUSE_CONTEXT, then the file's current context (`gatehouse config use-context`).")
    var context: String?

    @Option(
        name: .customLong("cacert"),
        help: "A PEM CA certificate to trust. Default: $GATEHOUSE_CACERT, then the config file, then the login's, then ./certs/ca.pem.")
    var caCertificate: String?

    @Flag(help: "Do not verify the server's certificate (development only).")
    var insecure = false

    @Option(help: "Seconds to wait for a connection. Default: $GATEHOUSE_CONNECT_TIMEOUT, then the config file's connectTimeout, then 10.")
    var connectTimeout: Double?

    @Option(help: "Seconds to wait for a whole request, body sent and answer read. Default: $GATEHOUSE_REQUEST_TIMEOUT, then the config file's requestTimeout, then 30.")
    var requestTimeout: Double?

    /// The settings for these options; `token` is an explicit bearer token, if any.
    func resolve(token: String? = nil) throws -> (ClientSettingsResolver, ClientSettings) {
        let resolver = ClientSettingsResolver.current()
        return (
            resolver,
            try resolver.resolve(
                server: server, token: token, caCertificatePath: caCertificate, connectTimeout: connectTimeout,
                requestTimeout: requestTimeout)
        )
    }
}

/// The options every admin command shares: the connection, the credential, and how to print
/// the result.
struct ClientOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The bearer token. Default: $GATEHOUSE_TOKEN, then the config file's token, then the stored `gatehouse login`, then ./data/admin-token.")
    var token: String?

    @Option(name: [.short, .customLong("output")], help: "How to print results: table, json or yaml.")
    var output: OutputFormat = .table

    var renderer: OutputRenderer { OutputRenderer(format: output) }

    /// Runs `body` with a client for the resolved settings, shutting the client down however
    /// `body` ends (an HTTP client left running would keep the process's event loop alive).
    /// `requestTimeout` replaces the configured one (an invocation waits for its function).
    func withClient<T>(
        requestTimeout: Duration? = nil, _ body: (AdminClient) async throws -> T
    ) async throws -> T {
        let (resolver, settings) = try connection.resolve(token: token)
        var timeouts = settings.timeouts
        if let requestTimeout { timeouts.request = requestTimeout }
        let client = try AdminClient(
            server: settings.server, token: settings.token, login: settings.login, configFile: resolver.configStore,
            caCertificatePath: settings.caCertificatePath, insecure: connection.insecure, timeouts: timeouts)
        return try await withResource(client, shutdown: client.shutdown, body)
    }
}

/// Runs `body` with `resource`, then `shutdown`, however `body` ends.
func withResource<Resource, T>(
    _ resource: Resource, shutdown: () async throws -> Void, _ body: (Resource) async throws -> T
) async throws -> T {
    do {
        let result = try await body(resource)
        try await shutdown()
        return result
    } catch {
        try? await shutdown()
        throw error
    }
}

extension OutputFormat: ExpressibleByArgument {}
