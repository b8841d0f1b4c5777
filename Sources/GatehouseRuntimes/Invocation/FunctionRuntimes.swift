import GatehouseModel

/// The drivers Gatehouse runs functions with, one per `Function.Runtime`. A runtime without a
/// driver here answers 503 with the reason (for example: no `node` on this machine).
public struct FunctionRuntimes: Sendable {
    private var drivers: [Function.Runtime: any FunctionRuntime] = [:]
    /// Each driver once, in registration order, however many runtimes it serves: the ones to
    /// tell which functions are live and to shut down.
    public private(set) var distinctDrivers: [any FunctionRuntime] = []

    public init() {}

    public func driver(for runtime: Function.Runtime) -> (any FunctionRuntime)? { drivers[runtime] }

    public mutating func register(_ driver: any FunctionRuntime, for runtimes: Function.Runtime...) {
        for runtime in runtimes { drivers[runtime] = driver }
        distinctDrivers.append(driver)
    }
}
