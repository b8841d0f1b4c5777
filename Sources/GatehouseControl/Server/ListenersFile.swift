import Foundation
import NIOCore

/// `<data-dir>/listeners.json`: the addresses really bound, so scripts can find ephemeral ports.
enum ListenersFile {
    struct Contents: Encodable {
        var `public`: String
        var admin: String
        var plain: String?
    }

    static func write(_ contents: Contents, dataDir: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(contents), as: UTF8.self) + "\n"
        try AtomicFile.store(text, at: dataDir.appendingPathComponent("listeners.json"), permissions: AtomicFile.publicPermissions)
    }

    /// `host:port`, with IPv6 hosts in brackets.
    static func describe(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
