import Foundation

/// Where a login may send the browser back to. An unchecked `return_to` makes the login page an
/// open redirect — a trusted URL that forwards to a phishing page — so only two shapes pass:
/// a path on Gatehouse's own origin (`/console/...`), or an absolute URL whose origin the
/// operator listed (`loginReturnOrigins`). Everything else is refused, including what browsers
/// read as another host: `//evil`, `/\evil`, `\\evil`, their percent-encoded spellings, and
/// URLs with user info (`https://allowed@evil`).
public struct ReturnURLPolicy: Sendable, Equatable {
    public static let maximumLength = 2048
    /// The signed-in page (`SignedInPage`): who is signed in, and a way out.
    public static let defaultTarget = "/auth/signed-in"

    /// Normalized origins: `scheme://host[:port]`, lowercase, default ports left out.
    public let allowedOrigins: Set<String>

    public init(allowedOrigins: some Sequence<String>) {
        self.allowedOrigins = Set(allowedOrigins.compactMap(Self.normalizedOrigin))
    }

    /// The target to redirect to, or nil when `candidate` is not allowed. Absent or empty
    /// means the signed-in page.
    public func check(_ candidate: String?) -> String? {
        guard let candidate, !candidate.isEmpty else { return Self.defaultTarget }
        guard candidate.utf8.count <= Self.maximumLength, Self.isPlain(candidate) else { return nil }
        // Decoded spellings must be as harmless as the raw one: some servers and frameworks
        // decode a Location before following it.
        var decoded = candidate
        for _ in 0..<3 {
            guard let next = decoded.removingPercentEncoding, Self.isPlain(next) else { return nil }
            if next == decoded { break }
            decoded = next
        }
        if candidate.hasPrefix("/") {
            return decoded.hasPrefix("//") ? nil : candidate
        }
        guard let origin = Self.normalizedOrigin(candidate), allowedOrigins.contains(origin),
            let components = URLComponents(string: candidate), components.user == nil, components.password == nil
        else {
            return nil
        }
        return candidate
    }

    /// `scheme://host[:port]` of an absolute http(s) URL, lowercased, without a default port;
    /// nil for anything else (a relative reference, another scheme, user info).
    public static func normalizedOrigin(_ url: String) -> String? {
        guard isPlain(url), let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil, components.password == nil
        else {
            return nil
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "")
    }

    /// No whitespace, control characters or backslashes: browsers strip or reinterpret them
    /// (`/\evil` is `//evil` to most).
    private static func isPlain(_ text: String) -> Bool {
        !text.unicodeScalars.contains { scalar in
            scalar == "\\" || scalar.value < 0x21 || scalar.value == 0x7F || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
        }
    }
}
