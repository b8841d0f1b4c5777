import ArgumentParser
import Foundation
import GatehouseClient

/// The options every client command shares: where the server is, how to trust and authenticate
/// to it, and how to print the result.
struct ClientOptions: ParsableArguments {
    @Option(help: "The control listener's URL. Default: $GATEHOUSE_SERVER, then the config file, then https://localhost:9443.")
    var server: String?

    @Option(help: "The bearer token. Default: $GATEHOUSE_TOKEN, then the config file, then ./data/admin-token.")
    var token: String?

    @Option(
        name: .customLong("cacert"),
        help: "A PEM CA certificate to trust. Default: $GATEHOUSE_CACERT, then the config file, then ./certs/ca.pem.")
    var caCertificate: String?

    @Flag(help: "Do not verify the server's certificate (development only).")
    var insecure = false

    @Option(name: [.short, .customLong("output")], help: "How to print results: table, json or yaml.")
    var output: OutputFormat = .table

    var renderer: OutputRenderer { OutputRenderer(format: output) }

    /// Runs `body` with a client for the resolved settings, shutting the client down however
    /// `body` ends (an HTTP client left running would keep the process's event loop alive).
    func withClient<T>(_ body: (AdminClient) async throws -> T) async throws -> T {
        let settings = try ClientSettingsResolver.current()
            .resolve(server: server, token: token, caCertificatePath: caCertificate)
        let client = try AdminClient(
            server: settings.server, token: settings.token,
            caCertificatePath: settings.caCertificatePath, insecure: insecure)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
