import Foundation
import GatehouseRuntimes
import GatehouseStore
import Logging

/// Builds the function side of the server: the drivers each runtime runs on, the invocation
/// pipeline around them, and the runs service. The edge and the control listener share them.
enum FunctionServicesFactory {
    static func make(
        configuration: ServeConfiguration, store: SQLiteStore, sealer: SecretSealer, engineClients: EngineClients,
        controlURL: @escaping @Sendable () -> String, logger: Logger
    ) throws -> FunctionServices {
        let codeRoot = configuration.dataDirectory.appendingPathComponent("code", isDirectory: true)
        try FileManager.default.createDirectory(at: codeRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var runtimes = FunctionRuntimes()
        // OpenFaaS's queue-worker reports async results to the control listener's callback route.
        let callbacks = EngineCallbacks()
        runtimes.register(
            HTTPEngineRuntime(clients: engineClients, callbackBaseURL: controlURL, callbacks: callbacks), for: .http, .openfaas, .knative)
        runtimes.register(OpenWhiskActionRuntime(clients: engineClients), for: .openwhisk)
        let workers = ProcessWorkerRuntime()
        if !workers.isolated { logger.warning("\(WorkerSandboxNotice.text)") }
        runtimes.register(workers, for: .process)
        runtimes.register(WasmModuleRuntime(), for: .wasm)
        let invoker = FunctionInvoker(runtimes: runtimes, secrets: StoreSecretSource(store: store, sealer: sealer), logger: logger)
        let runs = RunService(store: store, invoker: invoker, codeRoot: codeRoot, logger: logger)
        return FunctionServices(
            invoker: invoker, runs: runs, callbacks: callbacks, codeRoot: codeRoot, maxBodyBytes: configuration.maxBodyBytes,
            maxCodeBytes: configuration.maxCodeBytes, orgStorage: OrgStorage(defaultQuotaBytes: configuration.orgStorageQuotaBytes))
    }
}
