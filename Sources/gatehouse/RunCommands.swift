import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse run list|get`: the runs of an org's functions, newest first.
struct RunCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Read the runs of an org's functions (status, timings, output, logs).",
        subcommands: [List.self, Get.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The org's runs, newest first.")
        @Option(name: .customLong("org"), help: "The org.") var org: String
        @Option(help: "Only this function's runs.") var function: String?
        @Option(help: "At most this many (1-1000, default 50).") var limit: Int?
        @Option(help: "The cursor a previous page printed.") var cursor: String?
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let (runs, next) = try await options.withClient {
                try await $0.runs(org: org, function: function, limit: limit, cursor: cursor)
            }
            Console.out(try options.renderer.render(runs: runs))
            if let next, options.output == .table { Console.error("more: --cursor \(next)") }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "One run, with its output and logs.")
        @Argument(help: "The run's id (run_...).") var id: String
        @Option(name: .customLong("org"), help: "The org.") var org: String
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let run = try await options.withClient { try await $0.run(id, org: org) }
            if options.output == .table {
                Console.out(try options.renderer.render(runs: [run]))
                if let error = run.error { Console.out("error: \(error)") }
                if let output = run.output { Console.out("output:\n\(output)") }
                if let logs = run.logs { Console.out("logs:\n\(logs)") }
            } else {
                Console.out(try options.renderer.render(runs: [run]))
            }
        }
    }
}

/// `gatehouse invoke FUNCTION`: runs a function without a route and prints its answer (the run
/// id goes to stderr); `--async` queues it and prints the run.
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke", abstract: "Run a function without a route; prints its response body (exit 1 on a 4xx/5xx).")
    @Argument(help: "The function's name.") var function: String
    @Option(name: .customLong("org"), help: "The function's org.") var org: String
    @Option(help: "The payload: JSON text, or @FILE to send a file.") var data: String?
    @Option(name: .customLong("content-type"), help: "The payload's type (default application/json).") var contentType: String?
    @Flag(name: .customLong("async"), help: "Queue the run (Prefer: respond-async) and print it instead of waiting.")
    var async = false
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        var body: Data?
        if let data {
            if data.hasPrefix("@") {
                let path = String(data.dropFirst())
                guard let file = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                body = file
            } else {
                body = Data(data.utf8)
            }
        }
        let answer = try await options.withClient {
            try await $0.invoke(function, org: org, data: body, contentType: contentType, async: async)
        }
        if let runId = answer.runId { Console.error("run: \(runId)") }
        if answer.problem != nil {
            throw ProblemResponse.problem(status: answer.status, contentType: answer.contentType, body: answer.body)
        }
        Console.out(String(decoding: answer.body, as: UTF8.self))
        if answer.status >= 400 { throw ExitCode(1) }
    }
}

/// `gatehouse function code NAME PATH`: uploads a process or wasm function's code. A directory
/// is packed as .tar.gz; a .tar.gz, .tgz or .zip goes as it is; any other file goes alone,
/// under its own name. Waits until the code is built and prints the function's status.
struct FunctionCodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code", abstract: "Upload a process or wasm function's code (a file, a directory, a .tar.gz or a .zip).")
    @Argument(help: "The function's name.") var function: String
    @Argument(help: "A file, a directory (packed as .tar.gz), a .tar.gz or a .zip.") var path: String
    @Option(name: .customLong("org"), help: "The function's org.") var org: String
    @Flag(name: .customLong("no-wait"), help: "Return once uploaded, without waiting for the build.") var noWait = false
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let (data, format, filename) = try CodePackage.read(path)
        let function = try await options.withClient { client -> Function in
            var function = try await client.uploadCode(data, format: format, filename: filename, function: self.function, org: org)
            let deadline = ContinuousClock.now + .seconds(60)
            while !noWait, function.status?.state == .building, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                function = try await client.get(Function.self, named: self.function, org: org)
            }
            return function
        }
        let status = function.status ?? .init(state: .pending)
        Console.out(try options.renderer.render([function]))
        for warning in status.warnings ?? [] { Console.error("warning: \(warning)") }
        if status.state == .error {
            Console.error("error: the code did not build: \(status.reason ?? "unknown")")
            throw ExitCode(1)
        }
    }
}

/// Reads what `function code` uploads.
enum CodePackage {
    static func read(_ path: String) throws -> (Data, Function.Code.Format, String?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no such file: \(path)") }
        if isDirectory.boolValue {
            let archive = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-code-\(UUID().uuidString).tar.gz")
            defer { try? FileManager.default.removeItem(at: archive) }
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tar.arguments = ["tar", "-czf", archive.path, "-C", path, "."]
            try tar.run()
            tar.waitUntilExit()
            guard tar.terminationStatus == 0, let data = FileManager.default.contents(atPath: archive.path) else {
                throw ValidationError("could not pack \(path) with tar")
            }
            return (data, .tarGzip, nil)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return (data, .tarGzip, nil) }
        if name.hasSuffix(".zip") { return (data, .zip, nil) }
        return (data, .file, name)
    }
}
