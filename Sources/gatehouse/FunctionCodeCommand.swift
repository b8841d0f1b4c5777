import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse function code upload|get`: the code of a `process` or `wasm` function.
struct FunctionCodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code", abstract: "Upload or download a function's code (runtimes process and wasm).",
        subcommands: [Upload.self, Get.self])

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload code: a directory (packed as .tar.gz), a .tar.gz, a .zip, or a single file.",
            discussion: "Shows the bytes sent on stderr, then waits while the function is 'building' until its runtime has prepared the code (ready, or the reason it is not). An upload over the server's --max-code-bytes is refused before it is sent.")

        @Argument(help: "The function's name.") var name: String
        @Argument(help: "The code: a directory, a .tar.gz/.tgz, a .zip, or one file (sent under its name).") var path: String
        @OptionGroup var scope: OrgScope
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let upload = try await CodePackage.make(from: path)
            let report = UploadProgress(total: upload.bytes.count)
            let function = try await options.withClient { client -> Function in
                var function = try await client.uploadCode(
                    upload, function: name, org: scope.orgName, progress: { report.sent($0) })
                // The build is quick (unpack, find the handler, compile a module): wait for it,
                // so a script can invoke right after.
                report.building()
                let deadline = ContinuousClock.now + .seconds(60)
                while function.status?.state == .building, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                    function = try await client.get(Function.self, named: name, org: scope.orgName)
                }
                return function
            }
            for warning in function.status?.warnings ?? [] { Console.error("warning: \(warning)") }
            if options.output == .table {
                let digest = function.code?.digest ?? ""
                Console.out("function \(name) in org \(scope.orgName): code \(digest) uploaded (\(upload.bytes.count) bytes), \(function.status?.state.rawValue ?? "building")")
            } else {
                Console.out(try options.renderer.render(function))
            }
            if function.status?.state == .error {
                Console.error("error: the code did not build: \(function.status?.reason ?? "unknown reason")")
                throw ExitCode(1)
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download the code as it was uploaded.")

        @Argument(help: "The function's name.") var name: String
        @Option(name: [.customShort("f"), .customLong("file")], help: "Where to write it (default: stdout).") var file: String?
        @OptionGroup var scope: OrgScope
        @OptionGroup(title: "Connection and output") var options: ClientOptions

        func run() async throws {
            let bytes = try await options.withClient { try await $0.code(function: name, org: scope.orgName) }
            if let file {
                guard FileManager.default.createFile(atPath: file, contents: bytes) else { throw ValidationError("cannot write \(file)") }
            } else {
                FileHandle.standardOutput.write(bytes)
            }
        }
    }
}
