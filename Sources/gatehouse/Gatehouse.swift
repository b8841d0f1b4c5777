import ArgumentParser
import Foundation

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse", abstract: "A multi-tenant function gateway.",
        subcommands: [
            ServeCommand.self,
            ResourceCommandGroup<OrgCommands>.self,
            ResourceCommandGroup<FunctionCommands>.self,
            ResourceCommandGroup<RouteCommands>.self,
            ResourceCommandGroup<SecretCommands>.self,
            ApplyCommand.self,
            DeleteFromFileCommand.self,
        ])

    /// ArgumentParser's own `main`, with the exit codes scripts rely on: 1 for a failed
    /// operation (printed as `error: ...`), 2 for a usage error (ArgumentParser says 64).
    static func main() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if let message = ErrorReport.message(for: error) {
                Console.error("error: \(message)")
                Foundation.exit(1)
            }
            if exitCode(for: error) == .validationFailure {
                Console.error(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
