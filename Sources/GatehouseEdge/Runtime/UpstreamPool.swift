import GatehouseModel
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// Which upstream a pooled connection talks to, and for which org. Connections are never
/// shared between orgs, even to the same host and port (one OpenFaaS gateway behind many
/// tenants): whatever went wrong with one exchange's framing could then only ever reach the
/// same tenant's next request, never another's. Equality and hashing use an id given once per
/// distinct key (at snapshot build time), so the pool's dictionaries hash one integer per
/// request instead of the host name.
struct UpstreamKey: Hashable, Sendable {
    let host: String
    let port: Int
    let tls: Bool
    let http2: Bool
    let org: String
    private let id: Int

    init(_ url: UpstreamURL, http2: Bool = false, org: String) {
        host = url.host
        port = url.port
        tls = url.usesTLS
        self.http2 = http2
        self.org = org
        id = Self.interned(Identity(host: host, port: port, tls: tls, http2: http2, org: org))
    }

    static func == (a: UpstreamKey, b: UpstreamKey) -> Bool { a.id == b.id }
    func hash(into hasher: inout Hasher) { hasher.combine(id) }

    private struct Identity: Hashable {
        let host: String
        let port: Int
        let tls: Bool
        let http2: Bool
        let org: String
    }

    /// Grows with the distinct upstreams ever configured, which is bounded by what admins create.
    private static let ids = NIOLockedValueBox<[Identity: Int]>([:])

    private static func interned(_ identity: Identity) -> Int {
        ids.withLockedValue { ids in
            if let id = ids[identity] { return id }
            let id = ids.count + 1
            ids[identity] = id
            return id
        }
    }
}

/// Connections to upstreams, one pool per event loop: a request uses a connection of its own
/// loop, so proxying never hops threads and the pool needs no lock. HTTP/1.1 connections are
/// kept alive and reused one exchange at a time; an HTTP/2 upstream gets one connection per
/// loop and every exchange is a stream on it (NIO queues streams beyond the peer's limit).
final class UpstreamPool {
    let eventLoop: any EventLoop
    private var idle: [UpstreamKey: [UpstreamConnection]] = [:]
    /// HTTP/1.1 connections open or opening, by upstream.
    private var open: [UpstreamKey: Int] = [:]
    /// Exchanges waiting for a connection because the upstream is at `maxConnectionsPerKey`.
    private var waiting: [UpstreamKey: CircularBuffer<Completion>] = [:]
    private var sessions: [UpstreamKey: HTTP2Session] = [:]
    /// A burst of requests (or a flood of streams a client opens and resets) must not become a
    /// burst of connections to the function: beyond this, exchanges queue for a connection.
    /// Idle connections are kept up to the same number (only the idle timeout closes them):
    /// a smaller idle cap made the pool close connections after each burst of responses and
    /// reconnect for the next burst — one new upstream connection per ~5 requests under load.
    private let maxConnectionsPerKey: Int
    private let idleTimeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let tls: UpstreamTLS
    private var sweeper: RepeatedTask?

    typealias Completion = (Result<UpstreamConnection, any Error>) -> Void

    init(eventLoop: any EventLoop, maxConnectionsPerKey: Int = 256,
         idleTimeout: TimeAmount = .seconds(60), connectTimeout: TimeAmount = .seconds(5), tls: UpstreamTLS) {
        self.eventLoop = eventLoop
        self.maxConnectionsPerKey = maxConnectionsPerKey
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
        self.tls = tls
    }

    /// Completes synchronously when an idle connection (or a live HTTP/2 session) is there,
    /// which is the common case.
    func acquire(_ key: UpstreamKey, _ completion: @escaping Completion) {
        eventLoop.assertInEventLoop()
        if key.http2 {
            stream(key, completion)
            return
        }
        // Mutated in place: copying the list out of the dictionary and back (as this once did)
        // copied, and retained, every idle connection on each request.
        while let connection = idle[key]?.popLast() {
            if connection.isUsable {
                completion(.success(connection))
                return
            }
            connection.close()
        }
        guard open[key, default: 0] < maxConnectionsPerKey else {
            waiting[key, default: []].append(completion)
            return
        }
        connect(key, completion)
    }

    /// Returns a connection after a complete exchange; closes it when it cannot be reused.
    func release(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        connection.detach()
        guard !connection.isStream else { return }  // the stream closes itself once both sides ended
        guard connection.isUsable else {
            connection.close()
            return
        }
        if let next = nextWaiting(connection.key) {
            next(.success(connection))
            return
        }
        connection.setReading(true)
        connection.idleSince = .now()
        idle[connection.key, default: []].append(connection)
        startSweeperIfNeeded()
    }

    func closeAll() {
        sweeper?.cancel()
        sweeper = nil
        for connection in idle.values.joined() { connection.close() }
        idle = [:]
        for queue in waiting.values {
            for completion in queue { completion(.failure(UpstreamError.connectionClosed)) }
        }
        waiting = [:]
        for session in sessions.values { session.channel?.close(promise: nil) }
        sessions = [:]
    }

    // MARK: - HTTP/1.1

    private func connect(_ key: UpstreamKey, _ completion: @escaping Completion) {
        open[key, default: 0] += 1
        let tlsContext = key.tls ? tls.http1 : nil
        bootstrap(key, tlsContext: tlsContext) { sync in
            try sync.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
            try sync.addHandler(UpstreamHandler())
        }
        .connect(host: key.host, port: key.port).assumeIsolated().whenComplete { [weak self] result in
            switch result {
            case .success(let channel):
                channel.closeFuture.assumeIsolated().whenComplete { _ in self?.connectionClosed(key) }
            case .failure:
                self?.connectionClosed(key)
            }
            completion(
                result.flatMap { channel in
                    Result {
                        let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                        return UpstreamConnection(channel: channel, key: key, handler: handler)
                    }
                })
        }
    }

    /// A slot is free: the next waiting exchange gets a new connection.
    private func connectionClosed(_ key: UpstreamKey) {
        open[key, default: 1] -= 1
        if open[key] == 0 { open[key] = nil }
        guard open[key, default: 0] < maxConnectionsPerKey, let next = nextWaiting(key) else { return }
        connect(key, next)
    }

    /// The longest-waiting exchange for `key`, taken off its queue in place.
    private func nextWaiting(_ key: UpstreamKey) -> Completion? {
        guard let next = waiting[key]?.popFirst() else { return nil }
        if waiting[key]?.isEmpty == true { waiting[key] = nil }
        return next
    }

    private func bootstrap(
        _ key: UpstreamKey, tlsContext: NIOSSLContext?,
        protocolHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tlsContext {
                        let serverName = key.host.isIPAddress ? nil : key.host
                        try sync.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    }
                    try protocolHandlers(sync)
                }
            }
    }

    // MARK: - HTTP/2

    /// One HTTP/2 connection to an upstream, shared by every exchange of this loop.
    private final class HTTP2Session {
        var channel: (any Channel)?
        var multiplexer: NIOHTTP2Handler.StreamMultiplexer?
        /// Exchanges waiting for the connection to come up.
        var waiting: [Completion] = []
    }

    private func stream(_ key: UpstreamKey, _ completion: @escaping Completion) {
        if let session = sessions[key] {
            if let multiplexer = session.multiplexer, session.channel?.isActive == true {
                openStream(on: multiplexer, key: key, completion)
                return
            }
            if session.multiplexer == nil {
                session.waiting.append(completion)
                return
            }
            sessions[key] = nil  // the connection died: start a new one
        }
        let session = HTTP2Session()
        session.waiting = [completion]
        sessions[key] = session
        let tlsContext = key.tls ? tls.http2 : nil
        let loop = eventLoop
        bootstrap(key, tlsContext: tlsContext) { sync in
            try sync.addHandler(
                NIOHTTP2Handler(
                    mode: .client, eventLoop: loop, connectionConfiguration: .init(), streamConfiguration: .init(),
                    inboundStreamInitializer: { $0.eventLoop.makeSucceededVoidFuture() }))
        }
        .connect(host: key.host, port: key.port).assumeIsolated().whenComplete { [weak self] result in
            guard let self else { return }
            let waiting = session.waiting
            session.waiting = []
            do {
                let channel = try result.get()
                let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
                session.channel = channel
                session.multiplexer = multiplexer
                channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in
                    if self?.sessions[key] === session { self?.sessions[key] = nil }
                }
                for completion in waiting { self.openStream(on: multiplexer, key: key, completion) }
            } catch {
                if self.sessions[key] === session { self.sessions[key] = nil }
                for completion in waiting { completion(.failure(error)) }
            }
        }
    }

    private func openStream(on multiplexer: NIOHTTP2Handler.StreamMultiplexer, key: UpstreamKey, _ completion: @escaping Completion) {
        let scheme: HTTP2FramePayloadToHTTP1ClientCodec.HTTPProtocol = key.tls ? .https : .http
        multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandlers([
                    HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: scheme), UpstreamHandler(),
                ])
            }
        }.assumeIsolated().whenComplete { result in
            completion(
                result.flatMap { stream in
                    Result {
                        let handler = try stream.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                        return UpstreamConnection(channel: stream, key: key, handler: handler, isStream: true)
                    }
                })
        }
    }

    // MARK: - Idle expiry

    private func startSweeperIfNeeded() {
        guard sweeper == nil else { return }
        let interval = idleTimeout
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.closeExpired()
        }
    }

    private func closeExpired() {
        let cutoff = NIODeadline.now() - idleTimeout
        for (key, list) in idle {
            let (expired, fresh) = (list.filter { $0.idleSince < cutoff }, list.filter { $0.idleSince >= cutoff })
            expired.forEach { $0.close() }
            idle[key] = fresh.isEmpty ? nil : fresh
        }
    }
}

/// Client TLS for upstreams, one context per ALPN offer.
struct UpstreamTLS: Sendable {
    let http1: NIOSSLContext
    let http2: NIOSSLContext

    /// `extraRoots`: CA certificates trusted besides the system's (the development CA, so
    /// functions served behind Gatehouse's own dev certificates can be upstreams too).
    init(extraRoots: [NIOSSLCertificate]) throws {
        func context(_ alpn: String) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.applicationProtocols = [alpn]
            if !extraRoots.isEmpty {
                configuration.trustRoots = .default
                configuration.additionalTrustRoots = [.certificates(extraRoots)]
            }
            return try NIOSSLContext(configuration: configuration)
        }
        http1 = try context("http/1.1")
        http2 = try context("h2")
    }
}

extension String {
    var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
