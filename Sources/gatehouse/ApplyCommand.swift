import ArgumentParser
import GatehouseClient

/// `gatehouse apply -f FILE`: makes the server hold what the file says, one PUT per document,
/// in dependency order (orgs, secrets, identity providers, functions, routes). PUT is
/// idempotent, so applying the same file again changes nothing; it stops at the first failure.
/// With `--prune` it then deletes what the file's orgs hold that the file no longer declares,
/// after a yes on a terminal or `--yes` (asked before anything is applied, so a no changes nothing).
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
            held exactly that, and its revision stays), or with -o json|yaml the stored resources. \
            --prune also deletes, routes before the functions they use, every resource of the \
            file's orgs that the file does not declare (orgs themselves are kept), printing \
            '<kind> <org>/<name> deleted'; it lists them and asks first, or deletes without asking \
            with --yes, and with no terminal to ask on and no --yes it refuses and changes nothing.
            """)

    @OptionGroup var source: DocumentFileOptions

    @Flag(help: "Show what applying would change (created, each changed field, unchanged) without changing anything.")
    var dryRun = false

    @Flag(help: "Also delete what the file's orgs hold that the file does not declare (asks first).")
    var prune = false

    @Flag(name: [.customShort("y"), .long], help: "With --prune, delete without asking.")
    var yes = false

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
                if prune {
                    lines += try await client.pruneCandidates(for: documents).map { "- \($0.label) would be deleted" }
                }
                return lines
            }
            Console.out(lines.joined(separator: "\n"))
            return
        }
        let stored = try await options.withClient { client in
            let pruned = prune ? try await client.pruneCandidates(for: documents) : []
            try confirmDeleting(pruned)
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
            try await DeleteFromFileCommand.delete(pruned, with: client, options: options)
            return stored
        }
        if options.output != .table { Console.out(try options.renderer.renderMixed(stored)) }
    }

    /// Lists what pruning would delete and goes on only on a yes (or `--yes`).
    private func confirmDeleting(_ documents: [ApplyDocument]) throws {
        guard !documents.isEmpty, !yes else { return }
        let listing = documents.map { "  \($0.label)" }.joined(separator: "\n")
        Console.error("--prune would delete \(documents.count) resource(s) the file does not declare:\n\(listing)")
        switch TerminalConfirmation.ask("Delete them?") {
        case .yes: return
        case .no: throw CommandError("nothing applied or deleted: pruning was not confirmed")
        case .noTerminal:
            throw CommandError("nothing applied or deleted: --prune asks before deleting and there is no terminal to ask on; pass --yes to delete without asking")
        }
    }
}
