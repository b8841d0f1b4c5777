import Foundation
import GatehouseModel

/// What an invocation came to: the response to send (the function's, or a problem Gatehouse
/// answered in its place) and what the run record keeps of it.
public struct InvocationOutcome: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Set when Gatehouse answered in the function's place; `body` is then its JSON.
    public var problem: Problem?
    public var errorType: Run.ErrorType?
    public var logs: [UInt8]
    public var startedAt: Date
    public var finishedAt: Date
    /// The function's secret values, so nothing recorded of this run can contain them.
    let scrubber: SecretScrubber

    init(response: RuntimeResponse, startedAt: Date, scrubber: SecretScrubber) {
        self.status = response.status
        self.headers = response.headers
        self.body = response.body
        self.logs = response.logs
        self.startedAt = startedAt
        self.finishedAt = Date()
        self.scrubber = scrubber
    }

    init(problem: Problem, errorType: Run.ErrorType, requestId: String, logs: [UInt8] = [], extraHeaders: [(String, String)] = [],
        startedAt: Date, scrubber: SecretScrubber
    ) {
        var problem = problem.with(requestId: requestId)
        problem.detail = problem.detail.map(scrubber.scrub)
        self.problem = problem
        self.status = problem.status
        self.headers = [(name: "content-type", value: Problem.mediaType)] + extraHeaders.map { (name: $0.0, value: $0.1) }
        self.body = Array(problem.encoded())
        self.errorType = errorType
        self.logs = logs
        self.startedAt = startedAt
        self.finishedAt = Date()
        self.scrubber = scrubber
    }

    /// The headers to answer with: the function's, less what belongs to one hop (framing and
    /// connection fields: whoever answers sends the whole body it holds) and the request id,
    /// which the answering listener sets itself.
    public var forwardableHeaders: [(name: String, value: String)] {
        headers.filter { !Self.hopFields.contains($0.name.lowercased()) }
    }

    private static let hopFields: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "proxy-connection", "x-request-id",
    ]

    public var durationMs: Int { max(0, Int((finishedAt.timeIntervalSince(startedAt) * 1000).rounded())) }

    /// `base` completed with this outcome: status, response status, error, output and logs
    /// (bounded to `Run.maxRecordedBytes` and scrubbed of the function's secret values), timings.
    public func completing(_ base: Run) -> Run {
        var run = base
        run.status = errorType == nil ? .succeeded : .failed
        run.httpStatus = status
        run.errorType = errorType
        run.error = problem.map { $0.detail ?? $0.title }
        run.startedAt = run.startedAt ?? startedAt
        run.finishedAt = finishedAt
        run.durationMs = durationMs
        if problem == nil {
            let (output, cut) = Self.bounded(body)
            run.output = output.flatMap { String(validating: $0, as: UTF8.self) }.map(scrubber.scrub)
            run.outputTruncated = cut ? true : nil
        }
        let (logText, logsCut) = Self.bounded(logs)
        if let logText, !logText.isEmpty {
            run.logs = scrubber.scrub(String(decoding: logText, as: UTF8.self))
            run.logsTruncated = logsCut ? true : nil
        }
        return run
    }

    /// At most `Run.maxRecordedBytes`, cut on a UTF-8 boundary.
    static func bounded(_ bytes: [UInt8]) -> ([UInt8]?, Bool) {
        guard bytes.count > Run.maxRecordedBytes else { return (bytes, false) }
        var end = Run.maxRecordedBytes
        while end > 0 && (bytes[end] & 0xC0) == 0x80 { end -= 1 }
        return (Array(bytes[..<end]), true)
    }
}

/// Replaces a function's secret values wherever they might be recorded (logs, output, error
/// details): a function that prints its secret must not publish it through the runs API.
struct SecretScrubber: Sendable {
    static let replacement = "[redacted]"
    /// Values shorter than this are not scrubbed: replacing every "1" or "yes" would garble
    /// the record without protecting anything guessable.
    static let minimumLength = 4
    private let values: [String]

    init(_ secrets: [String: [String: String]], credentials: [String: String] = [:]) {
        let all = secrets.values.flatMap(\.values) + credentials.values
        // Longest first, so a value containing another is replaced whole.
        values = Set(all.filter { $0.utf8.count >= Self.minimumLength }).sorted { $0.utf8.count > $1.utf8.count }
    }

    static let none = SecretScrubber([:])

    func scrub(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var result = text
        for value in values where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: Self.replacement)
        }
        return result
    }
}
