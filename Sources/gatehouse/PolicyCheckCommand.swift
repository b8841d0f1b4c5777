import ArgumentParser
import GatehouseClient
import GatehouseModel

/// `gatehouse policy check`: what the org's policies decide, and the rule that decided. Exits 0
/// when allowed and 1 when denied, so scripts can ask too.
struct PolicyCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "May these subjects (or you) do ACTION on RESOURCE in the org? Prints the rule that decided.")

    @Option(name: .customLong("org"), help: "The org whose policies decide.") var org: String
    @Option(help: "functions, routes, secrets, policies, identity-providers, service-accounts, api-keys, orgs, runs, subscriptions or events.")
    var resource: String
    @Option(help: "create, read, update, delete or invoke.") var action: String
    @Option(name: .customLong("subject"), help: "A subject as bindings name it (group:eng); repeat. Without any: you.")
    var subjects: [String] = []
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let question = AccessCheck(subjects: subjects.isEmpty ? nil : subjects, resource: resource, action: action)
        let decision = try await options.withClient { try await $0.checkAccess(question, org: org) }
        Console.out(try options.renderer.render(decision: decision))
        if !decision.allowed { throw ExitCode(1) }
    }
}
