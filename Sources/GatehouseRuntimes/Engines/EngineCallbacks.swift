import Foundation
import NIOConcurrencyHelpers

/// Runs waiting for an engine to call Gatehouse back (OpenFaaS's queue-worker POSTs an async
/// function's result to the `X-Callback-Url` it was given). Each run gets an unguessable token:
/// the callback route is unauthenticated, so the token is the only thing that proves the caller
/// was given the URL.
public final class EngineCallbacks: Sendable {
    /// What the engine reported: the function's status, headers and body.
    public struct Result: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// A registered run: the path segments of its callback URL.
    public struct Ticket: Sendable, Equatable {
        public let runId: String
        public let token: String
    }

    /// Callback bodies above this are refused (413) by the route.
    public let maxBodyBytes: Int

    private struct Entry {
        var token: [UInt8]
        var arrived: Result?
        var waiter: CheckedContinuation<Result?, Never>?
        var cancelled = false
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    public init(maxBodyBytes: Int = 10 << 20) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Registers a run before its request is sent, so a fast callback finds it.
    public func register(runId: String) -> Ticket {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = bytes.map { String(format: "%02x", $0) }.joined()
        // A run registered again (a retry) replaces the old registration; its waiter, if any,
        // must not be left suspended forever.
        let previous = entries.withLockedValue { entries -> CheckedContinuation<Result?, Never>? in
            let previous = entries[runId]?.waiter
            entries[runId] = Entry(token: Array(token.utf8))
            return previous
        }
        previous?.resume(returning: nil)
        return Ticket(runId: runId, token: token)
    }

    /// Forgets a run (its request failed, or it stopped waiting).
    public func cancel(_ ticket: Ticket) {
        let waiter = entries.withLockedValue { entries -> CheckedContinuation<Result?, Never>? in
            guard let entry = entries[ticket.runId], entry.token == Array(ticket.token.utf8) else { return nil }
            return entries.removeValue(forKey: ticket.runId)?.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Hands a callback to its run. False when no run waits under that id and token (unknown,
    /// already answered, or a wrong token; the caller cannot tell which).
    public func deliver(runId: String, token: String, result: Result) -> Bool {
        let given = Array(token.utf8)
        let (accepted, waiter) = entries.withLockedValue { entries -> (Bool, CheckedContinuation<Result?, Never>?) in
            guard var entry = entries[runId], Self.constantTimeEqual(entry.token, given), entry.arrived == nil else {
                return (false, nil)
            }
            if let waiter = entry.waiter {
                entries.removeValue(forKey: runId)
                return (true, waiter)
            }
            entry.arrived = result
            entries[runId] = entry
            return (true, nil)
        }
        waiter?.resume(returning: result)
        return accepted
    }

    /// Waits for the run's callback until `deadline`; nil when it did not come in time. The run
    /// is forgotten either way.
    public func wait(for ticket: Ticket, until deadline: ContinuousClock.Instant) async -> Result? {
        defer { cancel(ticket) }
        return await withTaskGroup(of: Result?.self) { group in
            group.addTask { await self.next(ticket) }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The waiter must be resumed before the group can finish.
            self.resumeWaiter(ticket)
            return first
        }
    }

    public var waitingCount: Int { entries.withLockedValue { $0.count } }

    private func next(_ ticket: Ticket) async -> Result? {
        let runId = ticket.runId, token = Array(ticket.token.utf8)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result?, Never>) in
                let immediate: Result?? = entries.withLockedValue { entries in
                    guard var entry = entries[runId], entry.token == token else { return .some(nil) }
                    if let arrived = entry.arrived {
                        entries.removeValue(forKey: runId)
                        return .some(arrived)
                    }
                    if entry.cancelled { return .some(nil) }
                    entry.waiter = continuation
                    entries[runId] = entry
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            self.resumeWaiter(ticket)
        }
    }

    /// Resumes a suspended waiter with nil, or marks the entry so a waiter about to suspend
    /// returns at once (cancellation may race with `next` storing its continuation).
    private func resumeWaiter(_ ticket: Ticket) {
        let waiter = entries.withLockedValue { entries -> CheckedContinuation<Result?, Never>? in
            guard var entry = entries[ticket.runId], entry.token == Array(ticket.token.utf8) else { return nil }
            let waiter = entry.waiter
            entry.waiter = nil
            entry.cancelled = true
            entries[ticket.runId] = entry
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Compares without stopping at the first difference, so timing does not reveal a prefix.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
