import GatehousePolicy
import GatehouseRuntimes
import Logging
import NIOCore
import NIOSSL

/// What the edge needs on one event loop: the current snapshot and the upstream pool. Only
/// touched on its own loop, so the request path takes no locks (but the rate limiter's: limits
/// hold for the process, and it is sharded so loops rarely meet).
final class EdgeLoopState {
    var snapshot: Snapshot
    let pool: UpstreamPool
    let settings: EdgeSettings
    /// Request timeouts of this loop's exchanges.
    let timeouts: DeadlineSweeper
    let identifiers = LoopIdentifiers()
    let authenticator = EdgeAuthenticator()
    /// Shared by every loop of the edge.
    let rateLimiter: RateLimiter
    let quotaCounter: QuotaCounter

    init(snapshot: Snapshot, pool: UpstreamPool, settings: EdgeSettings, rateLimiter: RateLimiter, quotaCounter: QuotaCounter) {
        self.snapshot = snapshot
        self.pool = pool
        self.settings = settings
        self.rateLimiter = rateLimiter
        self.quotaCounter = quotaCounter
        self.timeouts = DeadlineSweeper(eventLoop: pool.eventLoop)
    }
}

public struct EdgeSettings: Sendable {
    public var maxBodyBytes: Int
    public var logger: Logger
    /// Proxies in front of the edge (`--trusted-proxies`): only their `X-Forwarded-For` entries
    /// are believed when IP rules and rate limits look for the client's address.
    public var trustedProxies: [IPRange]
    /// How functions that are not streamed to an HTTP upstream are invoked, and where their
    /// runs go; nil: such routes answer 503 (tests of the proxy alone).
    public var invocation: EdgeInvocation?
    /// Handshake, header-read and keep-alive timeouts of every edge connection.
    public var timeouts: ConnectionTimeouts
    /// `Strict-Transport-Security` per host, on TLS responses.
    public var hsts: StrictTransportSecurity

    public init(
        maxBodyBytes: Int, logger: Logger, trustedProxies: [IPRange] = [],
        timeouts: ConnectionTimeouts = ConnectionTimeouts(), hsts: StrictTransportSecurity = .none,
        invocation: EdgeInvocation? = nil
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        self.trustedProxies = trustedProxies
        self.invocation = invocation
        self.timeouts = timeouts
        self.hsts = hsts
    }
}

/// The control plane's side of invocations at the edge: the pipeline, and where runs go.
public struct EdgeInvocation: Sendable {
    public var invoker: FunctionInvoker
    /// Records synchronous runs; nil records none.
    public var recorder: (any RunRecorder)?
    /// Accepts asynchronous runs (`Prefer: respond-async`); nil: such requests run synchronously.
    public var asyncRuns: (any AsyncRunQueue)?
    /// The control listener's base URL, where a run's `Location` points (known once it is bound).
    public var runsBaseURL: @Sendable () -> String

    public init(
        invoker: FunctionInvoker, recorder: (any RunRecorder)?, asyncRuns: (any AsyncRunQueue)?,
        runsBaseURL: @escaping @Sendable () -> String
    ) {
        self.invoker = invoker
        self.recorder = recorder
        self.asyncRuns = asyncRuns
        self.runsBaseURL = runsBaseURL
    }
}

/// One `EdgeLoopState` per event loop of the edge's group, and the way new snapshots reach them.
public final class EdgeLoops: Sendable {
    private let states: [ObjectIdentifier: NIOLoopBound<EdgeLoopState>]

    init(
        group: any EventLoopGroup, settings: EdgeSettings, upstreamTLS: UpstreamTLS, rateLimiter: RateLimiter,
        quotaCounter: QuotaCounter
    ) {
        var states: [ObjectIdentifier: NIOLoopBound<EdgeLoopState>] = [:]
        for loop in group.makeIterator() {
            // NIOLoopBound's initializer must run on the loop; build the state there.
            let bound = try! loop.submit {
                NIOLoopBound(
                    EdgeLoopState(
                        snapshot: .empty, pool: UpstreamPool(eventLoop: loop, tls: upstreamTLS),
                        settings: settings, rateLimiter: rateLimiter, quotaCounter: quotaCounter), eventLoop: loop)
            }.wait()
            states[ObjectIdentifier(loop)] = bound
        }
        self.states = states
    }

    func state(for loop: any EventLoop) -> EdgeLoopState {
        guard let bound = states[ObjectIdentifier(loop)] else {
            preconditionFailure("edge channel on a loop outside the edge's group")
        }
        return bound.value
    }

    /// Hands a new snapshot to every loop; requests already routed keep the one they started with.
    func publish(_ snapshot: Snapshot) {
        for bound in states.values {
            bound.eventLoop.execute { bound.value.snapshot = snapshot }
        }
    }

    func closeIdleUpstreams() {
        for bound in states.values {
            bound.eventLoop.execute { bound.value.pool.closeAll() }
        }
    }
}
