/// The address a request really comes from, for IP rules and per-client rate limits.
///
/// The peer of the connection is the client unless it is one of the configured trusted proxies;
/// then `X-Forwarded-For` is read from the right — each trusted proxy appended the address it
/// saw — and the first address that is not a trusted proxy is the client. Everything to its
/// left was written by the client itself and proves nothing: reading the leftmost entry (as
/// many gateways do) lets anyone choose their address by sending the header.
public enum ClientAddress {
    public static func resolve(peer: IPAddress, forwardedFor: [String], trustedProxies: [IPRange]) -> IPAddress {
        guard isTrusted(peer, trustedProxies) else { return peer }
        var client = peer
        // Several X-Forwarded-For fields are one list, in order (RFC 9110 §5.3).
        for hop in headerListItems(forwardedFor).reversed() {
            guard let address = IPAddress(hop) else {
                // Garbage where an address should be: the last trusted hop's view stands.
                return client
            }
            client = address
            guard isTrusted(address, trustedProxies) else { return address }
        }
        return client
    }

    private static func isTrusted(_ address: IPAddress, _ proxies: [IPRange]) -> Bool {
        proxies.contains { $0.contains(address) }
    }
}
