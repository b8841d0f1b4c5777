import GatehouseModel
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

struct UpstreamKey: Hashable {
    let host: String
    let port: Int
    let tls: Bool

    init(_ url: UpstreamURL) {
        host = url.host
        port = url.port
        tls = url.usesTLS
    }
}

/// Keep-alive connections to upstreams, one pool per event loop: a request uses a connection
/// of its own loop, so proxying never hops threads and the pool needs no lock.
final class UpstreamPool {
    let eventLoop: any EventLoop
    private var idle: [UpstreamKey: [UpstreamConnection]] = [:]
    private let maxIdlePerKey: Int
    private let idleTimeout: TimeAmount
    private let connectTimeout: TimeAmount
    private let tlsContext: NIOSSLContext?
    private var sweeper: RepeatedTask?

    init(eventLoop: any EventLoop, maxIdlePerKey: Int = 128, idleTimeout: TimeAmount = .seconds(60),
         connectTimeout: TimeAmount = .seconds(5), tlsContext: NIOSSLContext?) {
        self.eventLoop = eventLoop
        self.maxIdlePerKey = maxIdlePerKey
        self.idleTimeout = idleTimeout
        self.connectTimeout = connectTimeout
        self.tlsContext = tlsContext
    }

    /// A usable connection: the most recently used idle one (warm, likely still open), or a new one.
    /// Completes synchronously when an idle connection is there, which is the common case.
    func acquire(_ key: UpstreamKey, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        eventLoop.assertInEventLoop()
        while var list = idle[key], let connection = list.popLast() {
            idle[key] = list
            if connection.isUsable {
                completion(.success(connection))
                return
            }
            connection.close()
        }
        connect(key, completion)
    }

    /// Returns a connection after a complete exchange; closes it when it cannot be reused.
    func release(_ connection: UpstreamConnection) {
        eventLoop.assertInEventLoop()
        connection.detach()
        guard connection.isUsable, idle[connection.key, default: []].count < maxIdlePerKey else {
            connection.close()
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
    }

    private func connect(_ key: UpstreamKey, _ completion: @escaping (Result<UpstreamConnection, any Error>) -> Void) {
        let tlsContext = key.tls ? self.tlsContext : nil
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tlsContext {
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: key.host.isIPAddress ? nil : key.host)
                        try sync.addHandler(tls)
                    }
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                    try sync.addHandler(UpstreamHandler())
                }
            }
        bootstrap.connect(host: key.host, port: key.port).assumeIsolated().whenComplete { result in
            completion(
                result.flatMap { channel in
                    Result {
                        let handler = try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)
                        return UpstreamConnection(channel: channel, key: key, handler: handler)
                    }
                })
        }
    }

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

extension String {
    var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
