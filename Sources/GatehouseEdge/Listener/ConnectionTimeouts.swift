import NIOCore

/// How long a connection may spend in each phase before the edge closes it. Without these an
/// idle TCP connection, a stalled TLS handshake or a client sending its header fields a byte at
/// a time held a slot for as long as it liked (330 s and counting, in an outside probe).
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From accept to a finished TLS handshake (on the plain listener: to the first bytes, which
    /// show the protocol).
    public var handshake: TimeAmount
    /// From a connection's start to its first request's complete header block (HTTP/1.1).
    public var header: TimeAmount
    /// After a response, until the next request's header block is complete (HTTP/1.1); with no
    /// stream open (HTTP/2, which then sends GOAWAY).
    public var idle: TimeAmount

    public init(handshake: TimeAmount = .seconds(10), header: TimeAmount = .seconds(30), idle: TimeAmount = .seconds(60)) {
        self.handshake = handshake
        self.header = header
        self.idle = idle
    }
}

/// One HTTP/1.1 connection's clock, as a value: events in, the deadline and what its expiry
/// means out. The channel handler only schedules and performs.
struct HTTP1ConnectionClock: Equatable {
    enum Phase: Equatable {
        /// No request yet: its head must be complete by `header` after the connection started.
        case firstHead
        /// Requests are being served (more than one when the client pipelines); the route's own
        /// timeout governs each.
        case serving(Int)
        /// Between requests: the next head must be complete by `idle` after the last response.
        case keptAlive
    }

    enum Expiry: Equatable {
        /// A client too slow with its first request's head: 408, then close.
        case requestTimeout
        /// An idle keep-alive connection: closed quietly (a 408 could cross a request the client
        /// is just sending and be read as its answer).
        case close
    }

    private(set) var phase = Phase.firstHead
    let timeouts: ConnectionTimeouts

    init(timeouts: ConnectionTimeouts) { self.timeouts = timeouts }

    /// A request's head arrived: no deadline until its response has ended.
    mutating func requestHeadReceived() {
        if case .serving(let n) = phase { phase = .serving(n + 1) } else { phase = .serving(1) }
    }

    /// A response ended: the new phase's timeout once no request is left in flight, else nil.
    mutating func responseEnded() -> TimeAmount? {
        guard case .serving(let n) = phase else { return nil }
        if n > 1 {
            phase = .serving(n - 1)
            return nil
        }
        phase = .keptAlive
        return timeouts.idle
    }

    /// The timeout of the phase a new connection starts in.
    var initialTimeout: TimeAmount { timeouts.header }

    /// What a passed deadline means in the current phase; nil while serving (a stale timer).
    var expiry: Expiry? {
        switch phase {
        case .firstHead: .requestTimeout
        case .keptAlive: .close
        case .serving: nil
        }
    }
}
