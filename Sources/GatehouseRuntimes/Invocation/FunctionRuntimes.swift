import GatehouseModel

/// The drivers Gatehouse runs functions with, one per `Function.Runtime`. A runtime without a
/// driver here answers 503 with the reason (for example: no `node` on this machine).
public struct FunctionRuntimes: Sendable {
    private var drivers: [Function.Runtime: any FunctionRuntime]

    public init(_ drivers: [Function.Runtime: any FunctionRuntime] = [:]) {
        self.drivers = drivers
    }

    public func driver(for runtime: Function.Runtime) -> (any FunctionRuntime)? { drivers[runtime] }

    public mutating func register(_ driver: any FunctionRuntime, for runtimes: Function.Runtime...) {
        for runtime in runtimes { drivers[runtime] = driver }
    }

    /// Each distinct driver once (one driver may serve several runtimes).
    public var distinctDrivers: [any FunctionRuntime] {
        var seen: Set<ObjectIdentifier> = []
        var result: [any FunctionRuntime] = []
        for runtime in Function.Runtime.allCases {
            guard let driver = drivers[runtime] else { continue }
            if let object = driver as? AnyObject, !seen.insert(ObjectIdentifier(object)).inserted { continue }
            result.append(driver)
        }
        return result
    }
}
