import GatehouseModel

/// Where finished synchronous runs are recorded: the control plane's runs store. `record` must
/// not block the caller (the edge calls it on its event loop); an implementation buffers and
/// writes in batches, and under overload drops records rather than memory or latency.
public protocol RunRecorder: Sendable {
    func record(_ run: Run)
}

/// Where asynchronous invocations (`Prefer: respond-async`) go: `accept` returns once the run
/// is durable (it survives a restart), then the queue executes it through the invoker.
public protocol AsyncRunQueue: Sendable {
    func accept(_ request: InvocationRequest, function: DeployedFunction) async throws -> Run
}
