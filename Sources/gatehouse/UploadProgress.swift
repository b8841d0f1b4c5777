import Foundation
import Synchronization

/// What a code upload tells the user on stderr while it works: the bytes sent (in tenths, so a
/// log stays short), then that the server is building the code.
final class UploadProgress: Sendable {
    private let total: Int
    private let reportedTenths = Mutex(-1)

    init(total: Int) {
        self.total = total
    }

    func sent(_ bytes: Int) {
        let tenths = total == 0 ? 10 : bytes * 10 / total
        let isNew = reportedTenths.withLock { reported in
            guard tenths > reported else { return false }
            reported = tenths
            return true
        }
        if isNew { Console.error("sent \(Self.size(bytes)) of \(Self.size(total)) (\(tenths * 10)%)") }
    }

    func building() {
        Console.error("uploaded; building...")
    }

    static func size(_ bytes: Int) -> String {
        bytes < 1024 * 1024 ? "\(bytes) bytes" : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
