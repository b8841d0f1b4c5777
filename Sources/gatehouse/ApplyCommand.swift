import ArgumentParser
import GatehouseClient

/// `gatehouse apply -f FILE`: makes the server hold what the file says, one PUT per document,
/// in dependency order (orgs, secrets, identity providers, functions, routes). PUT is
/// idempotent, so applying the same file again changes nothing; it stops at the first failure.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Create or replace the resources in a file.",
        discussion: """
            Each document has 'kind' (org, function, route, secret, identity-provider, \
            service-account, api-key), 'org' for all but orgs, and the resource's fields, as the \
            admin API takes them. An identity provider without 'clientSecret' keeps the one stored, \
            so files need not hold it. An API key created by apply has its key printed once (with \
            -o json|yaml, in its 'key' member); applying it again keeps the key. Prints \
            '<kind> <org>/<name> created|configured|unchanged' per document (unchanged: the server \
            held exactly that, and its revision stays), or with -o json|yaml the stored resources.
            """)

    @OptionGroup var source: DocumentFileOptions

    @Flag(help: "Show what applying would change (created, each changed field, unchanged) without changing anything.")
    var dryRun = false

    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let documents = ApplyDocument.orderedForApply(try source.documents())
        if dryRun {
            if options.output != .table {
                Console.out(try options.renderer.renderMixed(documents))
                return
            }
            let lines = try await options.withClient { client in
                var lines: [String] = []
                for document in documents { lines += try await client.dryRunLines(for: document) }
                return lines
            }
            Console.out(lines.joined(separator: "\n"))
            return
        }
        let stored = try await options.withClient { client in
            var stored: [ApplyDocument] = []
            for document in documents {
                let outcome: AdminClient.ApplyOutcome
                do {
                    let (saved, result) = try await client.applyReporting(document)
                    stored.append(saved)
                    outcome = result
                } catch {
                    throw OperationFailure(subject: document.label, underlying: error)
                }
                ResourceOutput.confirm("\(document.label) \(outcome.rawValue)", options: options)
                // An API key the apply created carries its key, shown this once.
                if case .apiKey(let apiKey) = stored.last, let key = apiKey.key {
                    Console.error("\(document.label) created; its key is shown now and never again: store it safely")
                    if options.output == .table { Console.out("\(document.label) key: \(key)") }
                }
            }
            return stored
        }
        if options.output != .table { Console.out(try options.renderer.renderMixed(stored)) }
    }
}
