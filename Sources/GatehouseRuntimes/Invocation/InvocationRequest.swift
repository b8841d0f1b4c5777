import Foundation
import GatehouseModel

/// One request to a function, whole: the edge or the runs service has read its body (bounded by
/// the edge's body limit) and cleaned its headers (hop-by-hop, credentials and client-sent
/// `x-gatehouse-*` removed) before it gets here.
public struct InvocationRequest: Sendable {
    public var method: String
    /// The path the function sees: the route's remaining path, starting with "/".
    public var path: String
    /// The query string without its "?" ("" when there is none).
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var context: InvocationContext

    public init(
        method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        context: InvocationContext
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.context = context
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Who, what and until when: everything about an invocation but the HTTP request itself.
public struct InvocationContext: Sendable {
    public var runId: String
    public var requestId: String
    public var org: String
    public var function: String
    /// The route that received the request; nil for `/invoke` and for replayed async runs.
    public var route: String?
    public var caller: Caller?
    /// When the invocation must have answered (the function's `timeoutMs` from its start).
    public var deadline: ContinuousClock.Instant
    /// Wall-clock form of `deadline`, for the envelope's context and the worker's headers.
    public var deadlineDate: Date
    public var isAsync: Bool

    public init(
        runId: String, requestId: String, org: String, function: String, route: String? = nil, caller: Caller? = nil,
        timeoutMs: Int, isAsync: Bool = false
    ) {
        self.runId = runId
        self.requestId = requestId
        self.org = org
        self.function = function
        self.route = route
        self.caller = caller
        self.deadline = .now + .milliseconds(timeoutMs)
        self.deadlineDate = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        self.isAsync = isAsync
    }

    /// Restarts the clock, for a queued run that starts later than it was accepted.
    public mutating func startClock(timeoutMs: Int) {
        deadline = .now + .milliseconds(timeoutMs)
        deadlineDate = Date().addingTimeInterval(Double(timeoutMs) / 1000)
    }
}

extension InvocationContext {
    /// The run record of this invocation, as it starts (or waits, when queued).
    public func run(status: Run.Status, createdAt: Date) -> Run {
        var run = Run(id: runId, org: org, function: function, status: status, async: isAsync, createdAt: createdAt)
        run.route = route
        run.caller = caller?.subject
        run.requestId = requestId
        return run
    }
}

/// The authenticated caller, as the function may learn of it.
public struct Caller: Codable, Sendable, Equatable {
    /// `user:...`, `service-account:...`, `api-key:...` (the subject policies bind).
    public var subject: String
    public var kind: String
    public var provider: String?
    public var groups: [String]
    public var scopes: [String]
    /// The signed `x-gatehouse-identity` token for this function, when the edge made one.
    public var identityToken: String?

    public init(
        subject: String, kind: String, provider: String? = nil, groups: [String] = [], scopes: [String] = [],
        identityToken: String? = nil
    ) {
        self.subject = subject
        self.kind = kind
        self.provider = provider
        self.groups = groups
        self.scopes = scopes
        self.identityToken = identityToken
    }
}
