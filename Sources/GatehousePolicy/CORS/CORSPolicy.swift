/// A route's CORS rules, and the answers they give (Fetch standard, "CORS protocol").
///
/// Preflights (`OPTIONS` with `Access-Control-Request-Method`) are answered at the edge without
/// the function; actual requests get the `Access-Control-Allow-*` headers added to the
/// function's response. An origin that is not allowed gets no CORS headers at all, which is
/// how a browser is told no.
public struct CORSPolicy: Sendable, Equatable {
    public let origins: [OriginPattern]
    /// Upper-case; empty means the CORS-safelisted methods (GET, HEAD, POST).
    public let methods: Set<String>
    /// Lower-case request headers a preflight may ask for; `*` any (not with credentials).
    public let headers: Set<String>
    public let exposedHeaders: [String]
    public let allowCredentials: Bool
    public let maxAgeSeconds: Int?

    public static let safelistedMethods: Set<String> = ["GET", "HEAD", "POST"]

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case origin(String, String)
        case wildcardWithCredentials

        public var description: String {
            switch self {
            case .origin(let text, let why): "'\(text.prefix(80))' is not an allowed-origin pattern: \(why)"
            case .wildcardWithCredentials:
                "'*' cannot be combined with credentials: browsers refuse it; list the origins instead"
            }
        }
    }

    public init(
        origins: [String], methods: [String] = [], headers: [String] = [], exposedHeaders: [String] = [],
        allowCredentials: Bool = false, maxAgeSeconds: Int? = nil
    ) throws(ConfigurationError) {
        var patterns: [OriginPattern] = []
        for origin in origins {
            do throws(OriginPattern.ParseError) {
                patterns.append(try OriginPattern(parsing: origin))
            } catch {
                throw .origin(origin, error.reason)
            }
        }
        let anyHeader = headers.contains("*")
        if allowCredentials, patterns.contains(.any) || anyHeader { throw .wildcardWithCredentials }
        self.origins = patterns
        self.methods = Set(methods.map { $0.uppercased() })
        self.headers = Set(headers.map { $0.lowercased() })
        self.exposedHeaders = exposedHeaders
        self.allowCredentials = allowCredentials
        self.maxAgeSeconds = maxAgeSeconds
    }

    public func allows(origin: String) -> Bool { origins.contains { $0.matches(origin) } }

    /// The answer to a preflight: the headers of a 204, or nil (answer without CORS headers).
    public func preflight(origin: String, requestMethod: String, requestHeaders: String?) -> [(String, String)]? {
        guard allows(origin: origin) else { return nil }
        let method = requestMethod.uppercased()
        guard (methods.isEmpty ? Self.safelistedMethods : methods).contains(method) else { return nil }
        let asked = headerListItems([requestHeaders ?? ""]).map { $0.lowercased() }
        guard headers.contains("*") || asked.allSatisfy(headers.contains) else { return nil }
        var out = originHeaders(origin)
        out.append(("access-control-allow-methods", method))
        if !asked.isEmpty { out.append(("access-control-allow-headers", asked.joined(separator: ", "))) }
        if let maxAgeSeconds { out.append(("access-control-max-age", String(maxAgeSeconds))) }
        return out
    }

    /// Headers to add to the response of an actual cross-origin request, or nil.
    public func responseHeaders(origin: String) -> [(String, String)]? {
        guard allows(origin: origin) else { return nil }
        var out = originHeaders(origin)
        if !exposedHeaders.isEmpty { out.append(("access-control-expose-headers", exposedHeaders.joined(separator: ", "))) }
        return out
    }

    private func originHeaders(_ origin: String) -> [(String, String)] {
        // The origin itself, never `*`, so the answer is right with and without credentials;
        // `Vary` keeps caches from serving one origin's answer to another.
        var out = [("access-control-allow-origin", origin), ("vary", "Origin")]
        if allowCredentials { out.append(("access-control-allow-credentials", "true")) }
        return out
    }
}

/// An allowed origin: exact (`https://app.example.com`, `http://localhost:3000`), any
/// sub-domain (`https://*.example.com`: `https://a.example.com`, `https://a.b.example.com`, not
/// `https://example.com`), or `*`. Scheme and port always match exactly.
public enum OriginPattern: Sendable, Equatable {
    case any
    case exact(String)
    case subdomains(scheme: String, suffix: String, port: String)

    public struct ParseError: Error, Equatable {
        public let reason: String
    }

    public init(parsing text: String) throws(ParseError) {
        if text == "*" {
            self = .any
            return
        }
        let lowered = text.lowercased()
        let schemeAndRest = lowered.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard schemeAndRest.count == 2, schemeAndRest[1].hasPrefix("//") else {
            throw ParseError(reason: "it needs a scheme (https://...)")
        }
        let scheme = String(schemeAndRest[0])
        let rest = String(schemeAndRest[1].dropFirst(2))
        guard scheme == "https" || scheme == "http" else { throw ParseError(reason: "the scheme must be http or https") }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?"), !rest.contains("#"), !rest.contains("@") else {
            throw ParseError(reason: "an origin is scheme://host[:port], without path, query or user")
        }
        let hostAndPort = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let host = String(hostAndPort[0])
        let port = hostAndPort.count == 2 ? ":" + hostAndPort[1] : ""
        if hostAndPort.count == 2, Int(hostAndPort[1]) == nil { throw ParseError(reason: "the port is not a number") }
        if host.hasPrefix("*.") {
            let suffix = String(host.dropFirst(1))  // ".example.com"
            guard suffix.count > 1, !suffix.dropFirst().contains("*"), suffix.dropFirst().contains(".") else {
                throw ParseError(reason: "a wildcard covers the sub-domains of a domain with a dot, as *.example.com")
            }
            self = .subdomains(scheme: scheme, suffix: suffix, port: port)
        } else {
            guard !host.isEmpty, !host.contains("*") else { throw ParseError(reason: "'*' may only lead the host, as *.example.com") }
            self = .exact(scheme + "://" + host + port)
        }
    }

    public func matches(_ origin: String) -> Bool {
        // `null` (sandboxed documents, file: pages) is never allowed, not even by `*`'s reading here.
        guard origin != "null" else { return false }
        let lowered = origin.lowercased()
        switch self {
        case .any: return true
        case .exact(let exact): return lowered == exact
        case .subdomains(let scheme, let suffix, let port):
            let prefix = scheme + "://"
            guard lowered.hasPrefix(prefix) else { return false }
            let rest = lowered.dropFirst(prefix.count)
            let hostAndPort = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let host = hostAndPort[0]
            let originPort = hostAndPort.count == 2 ? ":" + hostAndPort[1] : ""
            return originPort == port && host.hasSuffix(suffix) && host.count > suffix.count
                && !host.dropLast(suffix.count).hasSuffix(".") && !host.contains("/")
        }
    }
}
