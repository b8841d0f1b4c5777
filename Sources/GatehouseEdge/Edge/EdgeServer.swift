import GatehousePolicy
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle

/// The edge listener: TLS (ALPN h2 / http/1.1) on the public address and, optionally,
/// cleartext HTTP/1.1 + h2c with prior knowledge on the plain address.
public final class EdgeServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var publicHost: String
        public var publicPort: Int
        public var plainHost: String?
        public var plainPort: Int?
        public var tls: TLSConfiguration
        public var settings: EdgeSettings
        public var shutdownGrace: TimeAmount
        /// CA certificates trusted for https upstreams besides the system's.
        public var upstreamTrustRoots: [NIOSSLCertificate]

        public init(
            publicHost: String, publicPort: Int, plainHost: String?, plainPort: Int?, tls: TLSConfiguration,
            settings: EdgeSettings, shutdownGrace: TimeAmount, upstreamTrustRoots: [NIOSSLCertificate] = []
        ) {
            self.upstreamTrustRoots = upstreamTrustRoots
            self.publicHost = publicHost
            self.publicPort = publicPort
            self.plainHost = plainHost
            self.plainPort = plainPort
            self.tls = tls
            self.settings = settings
            self.shutdownGrace = shutdownGrace
        }
    }

    public struct BoundAddresses: Sendable {
        public var `public`: SocketAddress
        public var plain: SocketAddress?
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let loops: EdgeLoops
    /// One per listener: a helper tracks the children of a single server channel.
    private let quiescing: [ServerQuiescingHelper]
    private let tlsContext: NIOSSLContext
    private var logger: Logger { configuration.settings.logger }

    /// Every quota's count; the control plane loads and saves it (`QuotaPersistence`).
    public let quotaCounter = QuotaCounter()

    public init(configuration: Configuration, group: any EventLoopGroup) throws {
        self.configuration = configuration
        self.group = group
        self.tlsContext = try NIOSSLContext(configuration: configuration.tls)
        self.loops = EdgeLoops(
            group: group, settings: configuration.settings,
            upstreamTLS: try UpstreamTLS(extraRoots: configuration.upstreamTrustRoots),
            // One for the process: a limit of 100 requests per second is 100, not 100 per loop.
            rateLimiter: RateLimiter(), quotaCounter: quotaCounter)
        self.quiescing = [ServerQuiescingHelper(group: group), ServerQuiescingHelper(group: group)]
    }

    /// Makes a new snapshot live on every event loop.
    public func publish(_ snapshot: Snapshot) {
        loops.publish(snapshot)
    }

    /// Binds the listeners; returns the real addresses (port 0 binds an ephemeral port).
    public func bind() async throws -> BoundAddresses {
        let secure = try await bootstrap(secure: true, quiescing: quiescing[0]).bind(host: configuration.publicHost, port: configuration.publicPort).get()
        var addresses = BoundAddresses(public: secure.localAddress!, plain: nil)
        if let host = configuration.plainHost, let port = configuration.plainPort {
            let plain = try await bootstrap(secure: false, quiescing: quiescing[1]).bind(host: host, port: port).get()
            addresses.plain = plain.localAddress
        }
        return addresses
    }

    /// Runs until graceful shutdown: then stops accepting, lets HTTP/2 clients see GOAWAY and
    /// HTTP/1.1 connections finish their current request, for at most the grace period.
    public func run() async throws {
        try await gracefulShutdown()
        logger.info("edge: shutting down gracefully", metadata: ["grace_seconds": "\(configuration.shutdownGrace.nanoseconds / 1_000_000_000)"])
        let loop = group.next()
        let done = loop.makePromise(of: Void.self)
        // Only the listeners `bind()` opened: a helper that never saw a server channel never
        // completes its promise, which made an idle server wait out the whole grace period.
        let bound = configuration.plainPort == nil ? Array(quiescing.prefix(1)) : quiescing
        let drained = bound.map { helper in
            let promise = loop.makePromise(of: Void.self)
            helper.initiateShutdown(promise: promise)
            return promise.futureResult.recover { _ in }
        }
        EventLoopFuture.andAllComplete(drained, on: loop).cascade(to: done)
        let timeout = loop.scheduleTask(in: configuration.shutdownGrace) { done.fail(ShutdownTimedOut()) }
        do {
            try await done.futureResult.get()
        } catch {
            // Every request still running has its timeout watched by its loop's sweeper.
            var inFlight = 0
            for member in group.makeIterator() {
                inFlight += (try? await member.submit { [loops] in loops.state(for: member).timeouts.count }.get()) ?? 0
            }
            if inFlight > 0 {
                logger.warning(
                    "edge: \(inFlight) in-flight request(s) did not finish within the grace period; closing them",
                    metadata: ["in_flight": "\(inFlight)"])
            } else {
                logger.info("edge: closing connections still open after the grace period")
            }
        }
        timeout.cancel()
        loops.closeIdleUpstreams()
    }

    struct ShutdownTimedOut: Error {}

    private func bootstrap(secure: Bool, quiescing: ServerQuiescingHelper) -> ServerBootstrap {
        let loops = self.loops
        let tlsContext = secure ? self.tlsContext : nil
        let grace = configuration.shutdownGrace
        let timeouts = configuration.settings.timeouts
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tlsContext {
                        try sync.addHandler(PlainHTTPOnTLSPortHandler())
                        try sync.addHandler(NIOSSLServerHandler(context: tlsContext))
                        try sync.addHandler(HandshakeTimeoutHandler(timeout: timeouts.handshake, waitsForTLS: true))
                        try sync.addHandler(
                            ApplicationProtocolNegotiationHandler { result, channel in
                                channel.eventLoop.makeCompletedFuture {
                                    switch result {
                                    case .negotiated("h2"):
                                        try EdgePipeline.configureHTTP2(channel.pipeline.syncOperations, channel: channel, loops: loops, scheme: "https", grace: grace)
                                    default:
                                        try EdgePipeline.configureHTTP1(channel.pipeline.syncOperations, state: loops.state(for: channel.eventLoop), scheme: "https")
                                    }
                                }
                            })
                    } else {
                        try sync.addHandler(HandshakeTimeoutHandler(timeout: timeouts.handshake, waitsForTLS: false))
                        try sync.addHandler(
                            PlainProtocolSniffer { decided, context in
                                let sync = context.pipeline.syncOperations
                                switch decided {
                                case .http2:
                                    try EdgePipeline.configureHTTP2(sync, channel: context.channel, loops: loops, scheme: "http", grace: grace, position: .after(context.handler))
                                case .http1:
                                    try EdgePipeline.configureHTTP1(sync, state: loops.state(for: context.eventLoop), scheme: "http", position: .after(context.handler))
                                }
                            })
                    }
                }
            }
    }
}

/// The per-protocol pipelines behind TLS/ALPN or the plain sniffer.
enum EdgePipeline {
    /// HTTP/2 limits chosen on purpose: enough concurrency for multiplexing clients, bounded
    /// headers, and reset/error rate limits that stop rapid-reset floods without tripping
    /// clients (Go's) that reset streams they have finished with. NIO's default (200 resets per
    /// 30 s) sends Go's client GOAWAY after a few hundred requests on one connection; 1,000 per
    /// second, nghttp2's burst, lets a client reset every stream at 1,000 requests/s while a
    /// rapid-reset flood (CVE-2023-44487) is cut off after its first thousand streams.
    static func connectionConfiguration() -> NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 256),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 * 1024),
            HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
        ]
        configuration.targetWindowSize = 4 << 20
        return configuration
    }

    static func streamConfiguration() -> NIOHTTP2Handler.StreamConfiguration {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.targetWindowSize = 1 << 20
        configuration.streamResetFrameRateLimit.maximumCount = 1_000
        configuration.streamResetFrameRateLimit.windowLength = .seconds(1)
        configuration.streamErrorRateLimit.maximumCount = 2_000
        configuration.streamErrorRateLimit.windowLength = .seconds(10)
        return configuration
    }

    static func configureHTTP2(
        _ sync: ChannelPipeline.SynchronousOperations, channel: any Channel, loops: EdgeLoops, scheme: String,
        grace: TimeAmount, position: ChannelPipeline.SynchronousOperations.Position = .last
    ) throws {
        let management = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: loops.state(for: channel.eventLoop).settings.timeouts.idle, maxAge: nil, maxGraceTime: grace,
                keepalive: nil))
        let deferral = HTTP2DrainDeferral()
        let http2 = NIOHTTP2Handler(
            mode: .server, eventLoop: channel.eventLoop, connectionConfiguration: connectionConfiguration(),
            streamConfiguration: streamConfiguration(),
            streamDelegate: deferral.streamDelegate(next: management.http2StreamDelegate, eventLoop: channel.eventLoop)
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let facts = HTTP2RequestFacts()
                try stream.pipeline.syncOperations.addHandlers([
                    HTTP2RequestInspector(facts: facts),
                    HTTP2FramePayloadToHTTP1ServerCodec(),
                    EdgeRequestHandler(state: loops.state(for: stream.eventLoop), scheme: scheme, http2Facts: facts),
                ])
            }
        }
        // The drain handler sits before the management handler so the shutdown event stops there;
        // the management handler still closes connections idle for the idle timeout.
        let coalescing = FlushCoalescingHandler()
        // Before NIO's handler: a large first request waits for the client's SETTINGS ACK, so it
        // is judged by the limits announced above rather than NIO's pre-ACK default.
        let gate = SettingsAckGateHandler()
        try sync.addHandler(gate, position: position)
        try sync.addHandler(coalescing, position: .after(gate))
        try sync.addHandler(http2, position: .after(coalescing))
        try sync.addHandler(deferral, position: .after(http2))
        try sync.addHandler(management, position: .after(deferral))
        // NIO's manager starts its idle timer on channelActive, which a handler added to a
        // connection already active (after ALPN or the h2c sniff) never sees: without this, a
        // connection that opens no stream would never be closed.
        if channel.isActive { try sync.context(handler: deferral).fireChannelActive() }
    }

    static func configureHTTP1(
        _ sync: ChannelPipeline.SynchronousOperations, state: EdgeLoopState, scheme: String,
        position: ChannelPipeline.SynchronousOperations.Position = .last
    ) throws {
        let encoder = HTTPResponseEncoder(configuration: .init())
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
        let pipelining = HTTPServerPipelineHandler()
        let timeouts = HTTP1TimeoutHandler(timeouts: state.settings.timeouts)
        let errors = EdgeProtocolErrorHandler()
        let handler = EdgeRequestHandler(state: state, scheme: scheme)
        try sync.addHandler(encoder, position: position)
        try sync.addHandler(decoder, position: .after(encoder))
        try sync.addHandler(timeouts, position: .after(decoder))
        try sync.addHandler(pipelining, position: .after(timeouts))
        try sync.addHandler(errors, position: .after(pipelining))
        try sync.addHandler(handler, position: .after(errors))
    }
}
