import Foundation

// The edge rules of a policy. Each applies to the routes it names (`routes`), or to every route
// of the org when it names none. Ranges, origins and media types are parsed by GatehousePolicy.

extension Policy {
    /// `requests` per `periodSeconds` with up to `burst` at once, counted per `key`.
    public struct RateLimitRule: Codable, Sendable, Equatable {
        public static let maxRequests = 1_000_000_000
        public static let maxPeriodSeconds = 86_400.0

        public var name: String
        public var requests: Int
        public var periodSeconds: Double
        /// Absent: `requests` (a whole period's worth may come at once after a quiet period).
        public var burst: Int?
        public var key: Key
        public var routes: [String]?

        /// What a limit counts separately.
        public enum Key: String, Codable, Sendable, CaseIterable {
            /// Each authenticated caller (user, service account, API key); anonymous callers by
            /// client address.
            case principal
            /// Each API key; requests authenticated otherwise are not counted by this rule.
            case apiKey = "api-key"
            /// Each client address (the peer, or `X-Forwarded-For` from a trusted proxy).
            case clientIP = "client-ip"
            /// The org as a whole.
            case org
            /// Each route.
            case route

            public init(from decoder: any Decoder) throws {
                self = try decodeNamed(decoder, what: "a rate-limit key")
            }
        }

        public init(name: String, requests: Int, periodSeconds: Double, burst: Int? = nil, key: Key, routes: [String]? = nil) {
            self.name = name
            self.requests = requests
            self.periodSeconds = periodSeconds
            self.burst = burst
            self.key = key
            self.routes = routes
        }

        public var effectiveBurst: Int { burst ?? requests }

        func validate(field: String) throws(Problem) {
            try ResourceName.validate(name, field: "\(field).name")
            guard (1...Self.maxRequests).contains(requests) else {
                throw Problem.invalidField("\(field).requests", "\(field).requests is 1-\(Self.maxRequests)")
            }
            guard periodSeconds >= 0.001, periodSeconds <= Self.maxPeriodSeconds else {
                throw Problem.invalidField(
                    "\(field).periodSeconds", "\(field).periodSeconds is 0.001-\(Int(Self.maxPeriodSeconds)) (a day)")
            }
            if let burst, !(1...Self.maxRequests).contains(burst) {
                throw Problem.invalidField("\(field).burst", "\(field).burst is 1-\(Self.maxRequests)")
            }
            try Policy.validateRoutes(routes, field: field)
        }
    }

    /// At most `requests` per calendar `period` (UTC), counted per `key` and kept across restarts.
    public struct QuotaRule: Codable, Sendable, Equatable {
        public static let maxRequests: Int64 = 1_000_000_000_000

        public var name: String
        public var requests: Int64
        public var period: Period
        public var key: Key
        public var routes: [String]?

        public enum Period: String, Codable, Sendable, CaseIterable {
            case day, month

            public init(from decoder: any Decoder) throws {
                self = try decodeNamed(decoder, what: "a quota period")
            }
        }

        /// Quotas count verified callers, never addresses: a quota is a contract with a
        /// tenant or a caller, and a made-up address must not start a new one.
        public enum Key: String, Codable, Sendable, CaseIterable {
            /// The org as a whole.
            case org
            /// Each authenticated caller; anonymous callers share one count.
            case principal

            public init(from decoder: any Decoder) throws {
                self = try decodeNamed(decoder, what: "a quota key")
            }
        }

        public init(name: String, requests: Int64, period: Period, key: Key, routes: [String]? = nil) {
            self.name = name
            self.requests = requests
            self.period = period
            self.key = key
            self.routes = routes
        }

        func validate(field: String) throws(Problem) {
            try ResourceName.validate(name, field: "\(field).name")
            guard (1...Self.maxRequests).contains(requests) else {
                throw Problem.invalidField("\(field).requests", "\(field).requests is 1-\(Self.maxRequests)")
            }
            try Policy.validateRoutes(routes, field: field)
        }
    }

    /// What a route lets through at all: methods, content types and sizes.
    public struct RequestLimitRule: Codable, Sendable, Equatable {
        public static let maxBytes = 1 << 40

        public var methods: [String]?
        /// Media types (`application/json`, `text/*`); a request with a body must have one.
        public var contentTypes: [String]?
        public var maxBodyBytes: Int?
        public var maxHeaderBytes: Int?
        public var routes: [String]?

        public init(
            methods: [String]? = nil, contentTypes: [String]? = nil, maxBodyBytes: Int? = nil, maxHeaderBytes: Int? = nil,
            routes: [String]? = nil
        ) {
            self.methods = methods
            self.contentTypes = contentTypes
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.routes = routes
        }

        func validate(field: String) throws(Problem) {
            try Route.validateMethods(methods, field: "\(field).methods")
            try FieldRules.texts(contentTypes ?? [], field: "\(field).contentTypes", maxLength: 128)
            for (name, value) in [("maxBodyBytes", maxBodyBytes), ("maxHeaderBytes", maxHeaderBytes)] {
                if let value, !(0...Self.maxBytes).contains(value) {
                    throw Problem.invalidField("\(field).\(name)", "\(field).\(name) is 0-\(Self.maxBytes)")
                }
            }
            guard methods != nil || contentTypes != nil || maxBodyBytes != nil || maxHeaderBytes != nil else {
                throw Problem.invalidField(field, "\(field) limits nothing: give methods, contentTypes, maxBodyBytes or maxHeaderBytes")
            }
            try Policy.validateRoutes(routes, field: field)
        }
    }

    /// Client addresses let through (`allow`, when given: only these) and refused (`deny`, which
    /// wins), as CIDR ranges or single addresses, IPv4 or IPv6.
    public struct IPRule: Codable, Sendable, Equatable {
        public var allow: [String]?
        public var deny: [String]?
        public var routes: [String]?

        public init(allow: [String]? = nil, deny: [String]? = nil, routes: [String]? = nil) {
            self.allow = allow
            self.deny = deny
            self.routes = routes
        }

        func validate(field: String) throws(Problem) {
            try FieldRules.texts(allow ?? [], field: "\(field).allow", maxLength: 64)
            try FieldRules.texts(deny ?? [], field: "\(field).deny", maxLength: 64)
            guard !(allow ?? []).isEmpty || !(deny ?? []).isEmpty else {
                throw Problem.invalidField(field, "\(field) needs allow or deny ranges")
            }
            try Policy.validateRoutes(routes, field: field)
        }
    }

    /// Cross-origin access for browsers; preflights are answered at the edge.
    public struct CORSRule: Codable, Sendable, Equatable {
        public static let maxAgeLimit = 86_400

        /// `https://app.example.com`, `https://*.example.com` (subdomains), or `*`.
        public var origins: [String]
        /// Absent: GET, HEAD, POST.
        public var methods: [String]?
        /// Request headers a preflight may ask for; `*` any (not with credentials).
        public var headers: [String]?
        public var exposedHeaders: [String]?
        public var allowCredentials: Bool?
        public var maxAgeSeconds: Int?
        public var routes: [String]?

        public init(
            origins: [String], methods: [String]? = nil, headers: [String]? = nil, exposedHeaders: [String]? = nil,
            allowCredentials: Bool? = nil, maxAgeSeconds: Int? = nil, routes: [String]? = nil
        ) {
            self.origins = origins
            self.methods = methods
            self.headers = headers
            self.exposedHeaders = exposedHeaders
            self.allowCredentials = allowCredentials
            self.maxAgeSeconds = maxAgeSeconds
            self.routes = routes
        }

        func validate(field: String) throws(Problem) {
            try FieldRules.texts(origins, field: "\(field).origins", maxLength: 256, emptyMeans: "name the origins allowed")
            try Route.validateMethods(methods, field: "\(field).methods")
            for (name, values) in [("headers", headers), ("exposedHeaders", exposedHeaders)] {
                try FieldRules.texts(values ?? [], field: "\(field).\(name)", maxLength: 128)
                for (index, value) in (values ?? []).enumerated() where value != "*" && !FieldRules.isToken(value) {
                    throw Problem.invalidField("\(field).\(name)[\(index)]", "'\(value.prefix(40))' is not a header name")
                }
            }
            if let maxAgeSeconds, !(0...Self.maxAgeLimit).contains(maxAgeSeconds) {
                throw Problem.invalidField("\(field).maxAgeSeconds", "\(field).maxAgeSeconds is 0-\(Self.maxAgeLimit)")
            }
            try Policy.validateRoutes(routes, field: field)
        }
    }
}

