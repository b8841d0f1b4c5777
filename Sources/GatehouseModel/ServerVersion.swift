/// What `GET /v1/version` answers: the server's version, and the limits a client should know
/// before it sends a body (so `gatehouse function code upload` refuses an oversized upload
/// itself instead of sending 64 MiB to be refused).
public struct ServerVersion: Codable, Sendable, Equatable {
    /// The version of this build of Gatehouse, CLI and server alike.
    public static let current = "0.1.0"

    public var version: String
    public var limits: Limits
    /// Where the edge publishes functions (`{edgeURL}/{org}{path}`), as a client can reach it.
    public var edgeURL: String?

    public struct Limits: Codable, Sendable, Equatable {
        /// The largest code upload (`--max-code-bytes`).
        public var maxCodeBytes: Int
        /// The largest request body at the edge and of an invocation (`--max-body-bytes`).
        public var maxBodyBytes: Int

        public init(maxCodeBytes: Int, maxBodyBytes: Int) {
            self.maxCodeBytes = maxCodeBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    public init(version: String = ServerVersion.current, limits: Limits, edgeURL: String? = nil) {
        self.version = version
        self.limits = limits
        self.edgeURL = edgeURL
    }
}
