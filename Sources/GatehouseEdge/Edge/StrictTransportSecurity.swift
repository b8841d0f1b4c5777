/// `Strict-Transport-Security` (RFC 6797) per edge host, as an operator configured it: a host
/// published for real tells browsers to use HTTPS only; a development `localhost` must not, or a
/// browser would refuse plain HTTP there for a year. Sent on TLS responses only (§7.2).
public struct StrictTransportSecurity: Sendable, Equatable {
    /// Lowercased host (no port) → the header's value; `*` serves hosts not named.
    private let values: [String: String]

    public static let none = StrictTransportSecurity(values: [:])

    private init(values: [String: String]) { self.values = values }

    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    /// `HOST=VALUE` pairs, comma-separated: `app.example.com=max-age=31536000; includeSubDomains`.
    public init(parsing list: String) throws(Invalid) {
        var values: [String: String] = [:]
        for entry in list.split(separator: ",") {
            let entry = entry.trimmingHTTPWhitespace()
            if entry.isEmpty { continue }
            guard let equals = entry.firstIndex(of: "=") else {
                throw Invalid(reason: "'\(entry)' is not HOST=VALUE")
            }
            let host = entry[..<equals].trimmingHTTPWhitespace().lowercased()
            let value = String(entry[entry.index(after: equals)...].trimmingHTTPWhitespace())
            guard !host.isEmpty, !host.contains(":"), !host.contains(" ") else { throw Invalid(reason: "'\(host)' is not a host name") }
            guard Self.isValid(value) else {
                throw Invalid(reason: "'\(value)' is not a Strict-Transport-Security value (max-age=SECONDS[; includeSubDomains][; preload])")
            }
            guard values[host] == nil else { throw Invalid(reason: "'\(host)' is named twice") }
            values[host] = value
        }
        self.values = values
    }

    /// The value for a request's authority (`host[:port]`), or nil.
    func value(forAuthority authority: String?) -> String? {
        guard !values.isEmpty else { return nil }
        let host = authority.map(Self.hostOnly)?.lowercased()
        return host.flatMap { values[$0] } ?? values["*"]
    }

    private static func hostOnly(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    private static func isValid(_ value: String) -> Bool {
        var sawMaxAge = false
        for directive in value.split(separator: ";").map({ $0.trimmingHTTPWhitespace().lowercased() }) {
            if directive.hasPrefix("max-age=") {
                let seconds = directive.dropFirst("max-age=".count)
                guard !sawMaxAge, !seconds.isEmpty, seconds.allSatisfy(\.isASCIIDigit) else { return false }
                sawMaxAge = true
            } else if directive != "includesubdomains" && directive != "preload" {
                return false
            }
        }
        return sawMaxAge
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
