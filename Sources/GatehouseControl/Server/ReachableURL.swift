import NIOCore

/// A URL a client can use for a bound listener. A wildcard bind (`0.0.0.0`, `::`) is no address
/// to connect to — discovery advertised `"issuer": "https://0.0.0.0:9443"` — so without
/// `--external-url` such a listener is named `localhost` (which the development certificate
/// covers), and `derivation` says so for the log.
struct ReachableURL: Equatable {
    var url: String
    /// How the host was chosen, for the start-up log.
    var derivation: String

    static func https(for address: SocketAddress) -> ReachableURL {
        let host = address.ipAddress ?? "localhost"
        let port = address.port ?? 0
        if host == "0.0.0.0" || host == "::" {
            return ReachableURL(url: "https://localhost:\(port)", derivation: "localhost for the wildcard bind \(host)")
        }
        let shown = host.contains(":") ? "[\(host)]" : host
        return ReachableURL(url: "https://\(shown):\(port)", derivation: "the bound address")
    }
}
