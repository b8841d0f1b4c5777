import ArgumentParser

/// `gatehouse serve` — placeholder until the server bootstrap lands.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the Gatehouse appliance.")
    func run() async throws {}
}
