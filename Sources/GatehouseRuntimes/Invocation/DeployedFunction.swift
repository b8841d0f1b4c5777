import Foundation
import GatehouseModel
import JSONSchema

/// A function ready to invoke: its definition, where its unpacked code is, and its schemas
/// compiled once. Built with each snapshot, shared by every request to the function.
public final class DeployedFunction: Sendable {
    public let org: String
    public let function: Function
    /// The directory holding the function's unpacked code, for runtimes that run uploaded code.
    public let codeDirectory: URL?
    public let inputSchema: JSONSchema?
    public let outputSchema: JSONSchema?
    /// Identifies this definition and code: a pool of workers or a compiled module belongs to
    /// one key, so changing the function or its code never reuses the old ones.
    public let key: String

    public var name: String { function.name }
    public var timeoutMs: Int { function.effectiveTimeoutMs }

    /// - Parameter codeRoot: the directory of unpacked code, one subdirectory per digest.
    public init(org: String, function: Function, codeRoot: URL?) {
        self.org = org
        self.function = function
        if let code = function.code, let codeRoot {
            self.codeDirectory = codeRoot.appendingPathComponent(code.directoryName, isDirectory: true)
        } else {
            self.codeDirectory = nil
        }
        // The model validated both schemas on write; a stored one that no longer compiles is
        // dropped here rather than failing every request.
        self.inputSchema = function.schema?.in.flatMap { try? JSONSchema($0) }
        self.outputSchema = function.schema?.out.flatMap { try? JSONSchema($0) }
        self.key = "\(org)/\(function.name)@\(function.revision ?? 0)/\(function.code?.hex.prefix(16) ?? "-")"
    }
}
