import ArgumentParser
import GatehouseClient

/// `gatehouse config ...`: the CLI's own settings in its config file, so a user need not repeat
/// `--org` (or `--server`) on every command.
struct ConfigCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show or change the CLI's config file.",
        subcommands: [UseOrg.self, Show.self])

    struct UseOrg: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "use-org", abstract: "Make ORG the org commands act in when they are given no --org.")

        @Argument(help: "The org's name.") var org: String

        func run() async throws {
            let store = ClientSettingsResolver.current().configStore
            try await store.update { $0.org = org }
            Console.out("default org: \(org) (in \(store.path))")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print where the CLI connects, as which org, and from which config file; tokens are never shown.")

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (resolver, settings) = try connection.resolve()
            let credential =
                settings.token != nil ? "a bearer token" : settings.login.map { "\($0)" } ?? "none"
            Console.out("""
                config file: \(resolver.configFilePath)
                server:      \(settings.server.absoluteString)
                org:         \(settings.defaultOrg ?? "(none: pass --org)")
                credential:  \(credential)
                cacert:      \(settings.caCertificatePath ?? "(system roots)")
                timeouts:    connect \(settings.timeouts.connect), request \(settings.timeouts.request)
                """)
        }
    }
}
