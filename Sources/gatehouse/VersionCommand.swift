import ArgumentParser
import GatehouseClient
import GatehouseModel

/// `gatehouse version`: this CLI's version and the server's (`GET /v1/version`), with the
/// server's limits, so a mismatch or a too-small `--max-code-bytes` is plain to see.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the CLI's version and the server's.")

    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let server = try await options.withClient { client in
            (url: client.server.absoluteString, version: try await client.version())
        }
        guard let version = server.version else {
            Console.out("client: \(ServerVersion.current)\nserver: unknown (\(server.url) has no /v1/version)")
            return
        }
        if options.output == .table {
            Console.out("""
                client: \(ServerVersion.current)
                server: \(version.version) (\(server.url))
                limits: code uploads \(UploadProgress.size(version.limits.maxCodeBytes)), request bodies \(UploadProgress.size(version.limits.maxBodyBytes))
                """)
        } else {
            Console.out(try options.renderer.render(plain: version))
        }
    }
}
