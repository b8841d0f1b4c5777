import ArgumentParser
import GatehouseClient

/// `gatehouse config ...`: the CLI's own settings in its config file, so a user need not repeat
/// `--org` (or `--server`) on every command.
struct ConfigCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show or change the CLI's config file.",
        subcommands: [UseOrg.self, SetContext.self, UseContext.self, Show.self])

    struct UseOrg: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "use-org", abstract: "Make ORG the org commands act in when they are given no --org.")

        @Argument(help: "The org's name.") var org: String

        func run() async throws {
            let resolver = ClientSettingsResolver.current()
            let context = try resolver.currentContext()
            try await resolver.configStore.update { file in
                // With a context in use, its org is the one commands take.
                if let context, file.contexts[context] != nil { file.contexts[context]?.org = org } else { file.org = org }
            }
            Console.out("default org: \(org)" + (context.map { " in context \($0)" } ?? "") + " (in \(resolver.configFilePath))")
        }
    }

    struct SetContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-context", abstract: "Name a server (and its token, CA and org) to switch to with use-context.")

        @Argument(help: "The context's name.") var name: String
        @Option(help: "The control listener's URL.") var server: String?
        @Option(help: "The bearer token for it.") var token: String?
        @Option(name: .customLong("cacert"), help: "A PEM CA certificate to trust for it.") var caCertificate: String?
        @Option(help: "The org commands act in there.") var org: String?

        func run() async throws {
            let store = ClientSettingsResolver.current().configStore
            try await store.update { file in
                var context = file.contexts[name] ?? ClientContext()
                if let server { context.server = server }
                if let token { context.token = token }
                if let caCertificate { context.cacert = caCertificate }
                if let org { context.org = org }
                file.contexts[name] = context
            }
            Console.out("context \(name) saved (in \(store.path)); `gatehouse config use-context \(name)` switches to it")
        }
    }

    struct UseContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "use-context", abstract: "Switch to a named context (GATEHOUSE_CONTEXT overrides it per command).")

        @Argument(help: "The context's name.") var name: String

        func run() async throws {
            let store = ClientSettingsResolver.current().configStore
            try await store.update { file in
                guard file.contexts[name] != nil else {
                    throw ClientSettingsError.unknownContext(name, known: file.contexts.keys.sorted().joined(separator: ", "))
                }
                file.context = name
            }
            Console.out("now using context \(name)")
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
                context:     \(try resolver.currentContext() ?? "(none)")
                server:      \(settings.server.absoluteString)
                org:         \(settings.defaultOrg ?? "(none: pass --org)")
                credential:  \(credential)
                cacert:      \(settings.caCertificatePath ?? "(system roots)")
                timeouts:    connect \(settings.timeouts.connect), request \(settings.timeouts.request)
                """)
        }
    }
}
