import Foundation

/// One invocation of a function, as the runs API reports it: synchronous invocations through
/// `/invoke`, asynchronous ones (`Prefer: respond-async`) from the edge or `/invoke`, and
/// synchronous edge invocations of runtimes that Gatehouse runs itself.
public struct Run: Codable, Sendable, Equatable {
    /// Output and logs are kept up to this many bytes each; the rest is cut and marked.
    public static let maxRecordedBytes = 64 * 1024

    public var id: String
    public var org: String
    public var function: String
    /// The route that received the request; absent for `/invoke`.
    public var route: String?
    public var status: Status
    public var async: Bool
    /// Who invoked it (`user:...`, `service-account:...`, `api-key:...`), absent when anonymous.
    public var caller: String?
    public var requestId: String?
    /// The response status the function answered with, or the one Gatehouse answered in its place.
    public var httpStatus: Int?
    public var errorType: ErrorType?
    /// What went wrong, in a sentence; never a secret's value.
    public var error: String?
    /// The response body, UTF-8 (cut at `maxRecordedBytes`); absent when the body was binary.
    public var output: String?
    public var outputTruncated: Bool?
    /// What the function wrote to stdout and stderr during this run (cut at `maxRecordedBytes`).
    public var logs: String?
    public var logsTruncated: Bool?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var durationMs: Int?

    public enum Status: String, Codable, Sendable, CaseIterable {
        case queued
        case running
        case succeeded
        case failed
    }

    /// Dispatch's error types: the caller's fault, the function's, Gatehouse's, or time.
    public enum ErrorType: String, Codable, Sendable, CaseIterable {
        case inputError = "InputError"
        case functionError = "FunctionError"
        case systemError = "SystemError"
        case timeout = "Timeout"
    }

    public init(id: String, org: String, function: String, status: Status, async: Bool, createdAt: Date) {
        self.id = id
        self.org = org
        self.function = function
        self.status = status
        self.async = async
        self.createdAt = createdAt
    }

    /// Run ids: `run_` and 26 lowercase base32 characters (128 random bits), unguessable, so a
    /// run's URL or callback address reveals nothing and cannot be enumerated.
    public static func isValidID(_ id: String) -> Bool {
        guard id.hasPrefix("run_"), id.utf8.count == 30 else { return false }
        return id.utf8.dropFirst(4).allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x32 && $0 <= 0x37) }
    }
}
