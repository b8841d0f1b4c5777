import ArgumentParser
import GatehouseClient

/// `gatehouse signing-key list|rotate`: the keys Gatehouse signs its tokens with.
struct SigningKeyCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing-key", abstract: "List or rotate Gatehouse's token-signing keys (platform admin).",
        subcommands: [List.self, Rotate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The published keys: the current one and retired ones still verifying tokens in circulation.")

        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let keys = try await options.withClient { try await $0.signingKeys() }
            Console.out(try options.renderer.render(signingKeys: keys))
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new current key now; the previous one stays published until its tokens expire.",
            discussion: "Keys also rotate by themselves every 30 days.")

        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let keys = try await options.withClient { try await $0.rotateSigningKey() }
            Console.out(try options.renderer.render(signingKeys: keys))
        }
    }
}
