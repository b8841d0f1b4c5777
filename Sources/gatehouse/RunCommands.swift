import ArgumentParser
import GatehouseClient
import GatehouseModel

/// `gatehouse run list|get`: records of function invocations.
struct RunCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Show the runs of an org's functions (newest first).", subcommands: [List.self, Get.self],
        aliases: ["runs"])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")

        @OptionGroup var scope: OrgScope
        @Option(help: "Only this function's runs.") var function: String?
        @Option(help: "The most runs to show (1-1000).") var limit: Int = 50
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        }

        func run() async throws {
            let page = try await options.withClient { try await $0.runs(org: scope.orgName, function: function, limit: limit) }
            if page.items.isEmpty && options.output == .table {
                Console.error("no runs in org \(scope.orgName)" + (function.map { " for function \($0)" } ?? ""))
                return
            }
            Console.out(try options.renderer.render(runs: page.items))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run: its outcome, output and logs.")

        @Argument(help: "The run's id (run_...).") var id: String
        @OptionGroup var scope: OrgScope
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let run = try await options.withClient { try await $0.run(id, org: scope.orgName) }
            Console.out(try options.renderer.render(run: run))
        }
    }
}
