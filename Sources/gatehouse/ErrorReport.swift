import GatehouseClient
import GatehouseModel

/// What went wrong, in words: the problem's title and detail, then what a user needs to fix it
/// (the field, the conflicting resource, the request id to quote in a report).
enum ErrorReport {
    /// The message for an error the CLI explains itself; nil for ArgumentParser's own errors
    /// (usage, help), which it prints in its own way.
    static func message(for error: any Error) -> String? {
        switch error {
        case let failure as OperationFailure:
            return "\(failure.subject): " + (message(for: failure.underlying) ?? String(describing: failure.underlying))
        case let problem as Problem:
            return describe(problem)
        case let error as ApplyDocumentError:
            return (error.documentIndex.map { "document \($0): " } ?? "") + describe(error.problem)
        case let error as AdminClientError:
            return error.description
        case let error as ClientSettingsError:
            return error.description
        case let error as LoginError:
            return error.description
        case let error as OAuthError:
            return error.description
        case let error as CommandError:
            return error.description
        default:
            return nil
        }
    }

    static func describe(_ problem: Problem) -> String {
        var lines = [problem.title + (problem.detail.map { ": \($0)" } ?? "")]
        if let field = problem.field { lines.append("  field: \(field)") }
        if let other = problem.conflictsWith { lines.append("  conflicts with: \(other)") }
        for fieldError in problem.errors ?? [] { lines.append("  \(fieldError.pointer): \(fieldError.message)") }
        if let requestId = problem.requestId { lines.append("  request id: \(requestId)") }
        return lines.joined(separator: "\n")
    }
}

/// An error while working on one resource of several, so the message says which.
struct OperationFailure: Error {
    var subject: String
    var underlying: any Error
}

/// A failure of the CLI itself (a file it cannot read), as opposed to a usage error.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
