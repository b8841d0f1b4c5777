import Foundation

/// Certificates or keys that could not be generated, read or used, naming the file involved.
/// Never carries key material.
public struct TLSMaterialError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public var path: String?
    public var reason: String

    public init(path: String? = nil, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { path.map { "\($0): \(reason)" } ?? reason }
    public var errorDescription: String? { description }
}
