import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse invoke FUNCTION`: calls a function without a route. The function's body goes to
/// stdout as it is; the run id (and a non-2xx status) to stderr, so a script can pipe the body.
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke", abstract: "Invoke a function directly (needs functions:invoke).",
        discussion: "Exits 1 when the function (or Gatehouse in its place) answered with a status of 400 or more.")

    @Argument(help: "The function's name.") var function: String
    @OptionGroup var scope: OrgScope
    @Option(name: [.short, .customLong("data")], help: "The payload: JSON text, or @FILE for a file's bytes (default: empty).")
    var data: String?
    @Option(name: .customLong("content-type"), help: "The payload's content type (default: application/json with --data).")
    var contentType: String?
    @Flag(name: .customLong("async"), help: "Queue the run and print it (Prefer: respond-async) instead of waiting for the answer.")
    var isAsync = false
    @Option(name: .customLong("timeout"), help: "Seconds to wait for the answer (default 930: the longest function timeout, and some).")
    var timeoutSeconds: Int = 930
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let payload = try readPayload()
        let type = contentType ?? (data != nil ? "application/json" : nil)
        let invocation = try await options.withClient(requestTimeout: .seconds(timeoutSeconds)) { client in
            try await client.invoke(function: function, org: scope.orgName, payload: payload, contentType: type, async: isAsync)
        }
        if let run = invocation.acceptedRun {
            Console.error("run \(run.id) queued: gatehouse run get \(run.id) --org \(scope.orgName)")
            Console.out(options.output == .table ? run.id : try options.renderer.render(run: run))
            return
        }
        if let runId = invocation.runId { Console.error("run \(runId)" + (invocation.status >= 400 ? ": HTTP \(invocation.status)" : "")) }
        // A problem Gatehouse answered in the function's place (a timeout, a worker that did not
        // start) is for a person to read: title, detail, request id, on stderr with its newline.
        if invocation.status >= 400, options.output == .table,
            invocation.contentType?.lowercased().hasPrefix(Problem.mediaType) == true
        {
            let problem = ProblemResponse.problem(
                status: invocation.status, contentType: invocation.contentType, body: invocation.body)
            Console.error("error: " + ErrorReport.describe(problem))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(invocation.body)
        if invocation.status >= 400 { throw ExitCode(1) }
    }

    private func readPayload() throws -> Data {
        guard let data else { return Data() }
        guard data.hasPrefix("@") else { return Data(data.utf8) }
        let path = String(data.dropFirst())
        guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("--data @\(path): cannot read it") }
        return bytes
    }
}
