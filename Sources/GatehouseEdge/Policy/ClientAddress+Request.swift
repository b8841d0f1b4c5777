import GatehousePolicy
import NIOCore
import NIOHTTP1

extension ClientAddress {
    /// The address a request comes from, as IP rules and rate limits see it: the connection's
    /// peer, or what trusted proxies say in `X-Forwarded-For`. Nil when the peer is not an IP
    /// address (a Unix socket): no IP rule can admit it.
    static func resolve(peer: SocketAddress?, headers: HTTPHeaders, trustedProxies: [IPRange]) -> IPAddress? {
        guard let text = peer?.ipAddress, let address = IPAddress(text) else { return nil }
        // Without trusted proxies the header is the client's own word: not even read.
        guard !trustedProxies.isEmpty else { return address }
        return resolve(peer: address, forwardedFor: headers["x-forwarded-for"], trustedProxies: trustedProxies)
    }
}
