import GatehouseModel

/// A declarative config file that cannot be applied: which document (1-based, counting the
/// documents of the file in order) and what is wrong with it, as the server would say it.
public struct ApplyDocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// nil when the problem is with the file as a whole (it is not YAML or JSON at all).
    public var documentIndex: Int?
    public var problem: Problem

    public init(documentIndex: Int?, problem: Problem) {
        self.documentIndex = documentIndex
        self.problem = problem
    }

    public var description: String {
        let place = documentIndex.map { "document \($0)" } ?? "the file"
        let field = problem.field.map { " (field '\($0)')" } ?? ""
        return "\(place): \(problem.detail ?? problem.title)\(field)"
    }
}
