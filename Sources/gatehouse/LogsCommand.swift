import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse logs FUNCTION [-f]`: what a function printed in its recent runs, oldest first, each
/// under a line naming the run; `-f` keeps polling and prints each run as it finishes.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a function's recent run logs; -f follows new runs.")

    @Argument(help: "The function's name.") var function: String
    @Flag(name: [.short, .customLong("follow")], help: "Keep printing the logs of new runs as they finish (Ctrl-C stops).")
    var follow = false
    @Option(help: "How many recent runs to show first (1-1000).") var tail: Int = 10
    @OptionGroup var scope: OrgScope
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    static let pollInterval: Duration = .seconds(1)

    func validate() throws {
        guard (1...1000).contains(tail) else { throw ValidationError("--tail must be between 1 and 1000") }
    }

    func run() async throws {
        try await options.withClient { client in
            var shown: Set<String> = []
            var limit = tail
            repeat {
                let runs = try await client.runs(org: scope.orgName, function: function, limit: limit).items
                // Oldest first; a run still going is printed once it has finished.
                for run in runs.reversed() where !shown.contains(run.id) && (run.status == .succeeded || run.status == .failed) {
                    shown.insert(run.id)
                    // Unbuffered, unlike print: a follower's reader sees each run as it is printed.
                    FileHandle.standardOutput.write(Data(Self.describe(run).utf8))
                }
                limit = 100
                if follow { try await Task.sleep(for: Self.pollInterval) }
            } while follow
        }
    }

    static func describe(_ run: Run) -> String {
        let stamp = ISO8601DateFormatter().string(from: run.createdAt)
        let header = "--- \(run.id) \(stamp) \(run.status.rawValue)" + (run.httpStatus.map { " HTTP \($0)" } ?? "")
        let logs = run.logs ?? ""
        return header + "\n" + (logs.isEmpty ? "(no logs)" : logs) + (logs.hasSuffix("\n") ? "" : "\n")
    }
}
