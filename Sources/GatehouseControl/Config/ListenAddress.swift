/// Where a listener binds: `host:port`, `[v6]:port`, or `:port` for every IPv4 interface.
///
/// Port 0 asks the kernel for an ephemeral port (tests use it; the bound port is read back from
/// the channel). Host names are kept as written and resolved when the listener binds.
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ConfigurationError) {
        func invalid(_ why: String) -> ConfigurationError {
            ConfigurationError(reason: "invalid listen address '\(text)': \(why)")
        }
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw invalid("missing ']' after the IPv6 address")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid("expected ':port' after ']'") }
            portPart = rest.dropFirst()
            guard hostPart.contains(":") else { throw invalid("only IPv6 addresses go in brackets") }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw invalid("missing port (expected host:port, [ipv6]:port or :port)")
            }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") {
                throw invalid("write IPv6 addresses in brackets, e.g. [::1]:8443")
            }
        }
        if let bad = hostPart.first(where: { $0.isWhitespace || "/@[]?#".contains($0) }) {
            throw invalid("the host contains '\(bad)'")
        }
        guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portPart), port <= 65535
        else {
            throw invalid("the port must be a number from 0 to 65535 (0 picks a free port)")
        }
        self.host = hostPart.isEmpty ? "0.0.0.0" : String(hostPart)
        self.port = port
    }

    public var isIPv6: Bool { host.contains(":") }

    /// True when the address binds every interface, so it names no host a client could use.
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
