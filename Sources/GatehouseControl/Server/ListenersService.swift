import GatehouseEdge
import Hummingbird
import ServiceLifecycle

/// Runs the edge and control listeners side by side in one service, so that on SIGTERM both
/// stop accepting at once and drain together. (A `ServiceGroup` shuts its services down one
/// after another, which would keep one listener accepting while the other drains.)
struct ListenersService<Control: Service>: Service {
    let edge: EdgeServer
    let control: Control

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await edge.run() }
            group.addTask { try await control.run() }
        }
    }
}
