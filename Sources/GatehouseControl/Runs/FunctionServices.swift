import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore

/// What the control plane needs to run functions: the pipeline, the runs service, and where
/// uploaded code lives. One per server; the edge gets the same invoker and runs service.
struct FunctionServices: Sendable {
    var invoker: FunctionInvoker
    var runs: RunService
    /// Where engines' asynchronous results arrive (`EngineCallbackRoutes`).
    var callbacks: EngineCallbacks
    /// `<data dir>/code`: blobs under `blobs/`, unpacked code under its digest.
    var codeRoot: URL
    /// The largest request body `/invoke` takes (the edge's `--max-body-bytes`).
    var maxBodyBytes: Int
    /// The largest code upload (`--max-code-bytes`); a larger one is refused before it is written.
    var maxCodeBytes: Int
    /// The storage quota of an org that sets none (`--org-storage-quota-bytes`).
    var orgStorage = OrgStorage(defaultQuotaBytes: ServeConfiguration.defaultOrgStorageQuotaBytes)

    /// The function as the pipeline runs it, or a 404 problem.
    func deployed(org: String, name: String, store: any Store) async throws -> DeployedFunction {
        guard ResourceName.isValid(org), ResourceName.isValid(name),
            let function = try await store.read({ try $0.resource(Function.self, org: org, name: name) })
        else {
            throw Problem.notFound("function '\(name.prefix(63))' does not exist in org '\(org.prefix(63))'")
        }
        return DeployedFunction(org: org, function: function, codeRoot: codeRoot)
    }
}
