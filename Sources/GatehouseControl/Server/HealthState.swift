import Synchronization

/// What `/healthz` reports: the revision of the snapshot the edge is serving.
final class HealthState: Sendable {
    private let current = Mutex<Int64>(0)

    struct Report: Encodable {
        var status: String
        var revision: Int64
    }

    var revision: Int64 { current.withLock { $0 } }

    func snapshotPublished(revision: Int64) {
        current.withLock { $0 = max($0, revision) }
    }
}
