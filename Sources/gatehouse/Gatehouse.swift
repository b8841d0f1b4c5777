import ArgumentParser
import Foundation
import GatehouseModel

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse", abstract: "A multi-tenant function gateway.", version: ServerVersion.current,
        subcommands: [
            VersionCommand.self,
            ServeCommand.self,
            LoginCommand.self,
            LogoutCommand.self,
            ResourceCommandGroup<OrgCommands>.self,
            ResourceCommandGroup<FunctionCommands>.self,
            ResourceCommandGroup<RouteCommands>.self,
            ResourceCommandGroup<SecretCommands>.self,
            ResourceCommandGroup<IdentityProviderCommands>.self,
            ResourceCommandGroup<ServiceAccountCommands>.self,
            ResourceCommandGroup<APIKeyCommands>.self,
            ResourceCommandGroup<PolicyCommands>.self,
            RunCommands.self,
            LogsCommand.self,
            InvokeCommand.self,
            SigningKeyCommands.self,
            ApplyCommand.self,
            DeleteFromFileCommand.self,
            ConfigCommands.self,
        ])

    /// ArgumentParser's own `main`, with the exit codes scripts rely on: 1 for a failed
    /// operation (printed as `error: ...`), 2 for a usage error (ArgumentParser says 64).
    static func main() async {
        var command: any ParsableCommand
        if let unknown = SubcommandSuggestion.problem(in: Array(CommandLine.arguments.dropFirst()), root: Self.self) {
            Console.error("error: \(unknown)")
            Foundation.exit(2)
        }
        ContextArgument.select(from: Array(CommandLine.arguments.dropFirst()))
        do {
            command = try await asyncParseAsRoot(nil)
        } catch {
            exitForParseError(error)
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Raised by a command's run (a flag that only some operations require): the command's
            // usage is not at hand here, so point to its help instead.
            Console.error("error: \(error.message)\n(see --help)")
            Foundation.exit(2)
        } catch {
            guard let message = ErrorReport.message(for: error) else { exit(withError: error) }
            Console.error("error: \(message)")
            Foundation.exit(1)
        }
    }

    private static func exitForParseError(_ error: any Error) -> Never {
        if exitCode(for: error) == .validationFailure {
            Console.error(fullMessage(for: error))
            Foundation.exit(2)
        }
        exit(withError: error)
    }
}
