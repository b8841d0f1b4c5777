import GatehouseEdge
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// The control listener's connections with the edge's handshake timeout: Hummingbird's own
/// timers start only once ALPN has chosen a protocol, so an idle TCP connection or a stalled
/// TLS handshake would otherwise stay open for as long as the client liked.
struct HandshakeTimedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let timeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let configured = inner.setup(channel: channel, logger: logger)
        do {
            // Right behind TLS, where the handshake-completed event passes.
            let sync = channel.pipeline.syncOperations
            let tls = try sync.handler(type: NIOSSLServerHandler.self)
            try sync.addHandler(HandshakeTimeoutHandler(timeout: timeout, waitsForTLS: true), position: .after(tls))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return configured
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
