import Foundation

/// A function: what a route sends requests to. The runtime block says where it runs: as local
/// worker processes or a WebAssembly module inside Gatehouse (with code uploaded to
/// `/functions/{name}/code`), at any HTTP endpoint, or on a FaaS engine the cluster already
/// runs (OpenFaaS, Knative, OpenWhisk). The common fields (`mode`, `schema`, `secrets`, `env`,
/// `maxConcurrency`) say how each invocation is shaped; `code` and `status` are the server's.
public struct Function: OrgScopedResource {
    public static let kind = ResourceKind.function
    public static let defaultTimeoutMs = 30_000
    public static let maxTimeoutMs = 900_000

    public var name: String
    public var runtime: Runtime
    public var process: ProcessRuntime?
    public var wasm: WasmRuntime?
    public var http: HTTPRuntime?
    public var openfaas: OpenFaaSRuntime?
    public var knative: KnativeRuntime?
    public var openwhisk: OpenWhiskRuntime?
    public var timeoutMs: Int?
    /// How many invocations may run at once; absent: no limit of the function's own (local
    /// runtimes are still bounded by their instances). See `maxQueue`.
    public var maxConcurrency: Int?
    /// How many invocations may wait for a slot beyond `maxConcurrency`; more are refused with
    /// 429. Absent: as many as `maxConcurrency`.
    public var maxQueue: Int?
    /// `http` (the default): the function sees the HTTP request. `envelope`: it receives
    /// `{"context": {...}, "payload": ...}` and its return value is the response body.
    public var mode: Mode?
    /// JSON Schemas (draft 2020-12) for the request body (`in`) and the response body (`out`).
    public var schema: Schemas?
    /// Names of the org's secrets the function receives.
    public var secrets: [String]?
    /// Environment variables the function receives (local runtimes) or sees in its context.
    public var env: [String: String]?
    /// The uploaded code (server-managed: set by `PUT .../code`, ignored on input).
    public var code: Code?
    /// Whether the function can be invoked (server-managed, ignored on input).
    public var status: Status?
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public enum Runtime: String, Codable, Sendable, CaseIterable {
        case process
        case wasm
        case http
        case openfaas
        case knative
        case openwhisk

        /// Runtimes that run uploaded code inside Gatehouse.
        public var runsUploadedCode: Bool { self == .process || self == .wasm }
        /// Runtimes the edge reaches as an HTTP upstream, proxying the request as it is.
        public var isHTTPUpstream: Bool { self == .http || self == .openfaas || self == .knative }

        public init(from decoder: any Decoder) throws {
            self = try decodeNamed(decoder, what: "a runtime")
        }
    }

    /// `runtime: http`: any HTTP(S) endpoint. The edge proxies to it, streaming both ways.
    public struct HTTPRuntime: Codable, Sendable, Equatable {
        public var url: String
        /// The HTTP version the edge speaks to the upstream; absent means "1.1".
        public var version: Version?

        public init(url: String, version: Version? = nil) {
            self.url = url
            self.version = version
        }

        /// Chosen explicitly rather than guessed: `2` over `https` is negotiated with ALPN `h2`,
        /// over `http` it is h2c with prior knowledge (RFC 9113 §3.3).
        public enum Version: String, Codable, Sendable, CaseIterable {
            case http1_1 = "1.1"
            case http2 = "2"
        }
    }

    public init(name: String, http url: String, timeoutMs: Int? = nil) {
        self.name = name
        self.runtime = .http
        self.http = HTTPRuntime(url: url)
        self.timeoutMs = timeoutMs
    }

    public var effectiveTimeoutMs: Int { timeoutMs ?? Function.defaultTimeoutMs }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        if let timeoutMs, !(1...Function.maxTimeoutMs).contains(timeoutMs) {
            throw Problem.invalidField("timeoutMs", "timeoutMs must be between 1 and \(Function.maxTimeoutMs)")
        }
        // Exactly the runtime's own block: a stray block would look configured while unused.
        let blocks: [(Runtime, Bool)] = [
            (.process, process != nil), (.wasm, wasm != nil), (.http, http != nil), (.openfaas, openfaas != nil),
            (.knative, knative != nil), (.openwhisk, openwhisk != nil),
        ]
        for (block, present) in blocks where present && block != runtime {
            throw Problem.invalidField(
                block.rawValue, "'\(block.rawValue)' configures runtime '\(block.rawValue)', but this function's runtime is '\(runtime.rawValue)'")
        }
        switch runtime {
        case .process:
            guard let process else {
                throw Problem.invalidField("process", "runtime 'process' needs a 'process' block with 'language' and 'handler'")
            }
            try process.validate()
        case .wasm:
            try (wasm ?? WasmRuntime()).validate()
        case .openwhisk:
            guard let openwhisk else {
                throw Problem.invalidField("openwhisk", "runtime 'openwhisk' needs an 'openwhisk' block with 'apiHost' and 'action'")
            }
            try openwhisk.validate()
        case .http, .openfaas, .knative:
            _ = try endpoint()
        }
        try validateInvocationFields()
    }

    /// Where the edge sends the function's requests, for the runtimes reached as an HTTP
    /// upstream (`runtime.isHTTPUpstream`); the others have no endpoint.
    public func endpoint() throws(Problem) -> Endpoint {
        switch runtime {
        case .process, .wasm, .openwhisk:
            throw Problem.invalidField("runtime", "runtime '\(runtime.rawValue)' is not reached as an HTTP upstream")
        case .http:
            guard let http else {
                throw Problem.invalidField("http", "runtime 'http' needs an 'http' block with a 'url'")
            }
            return Endpoint(upstream: try UpstreamURL(parsing: http.url, field: "http.url"), http2: http.version == .http2)
        case .openfaas:
            guard let openfaas else {
                throw Problem.invalidField("openfaas", "runtime 'openfaas' needs an 'openfaas' block with 'gateway' and 'function'")
            }
            return try openfaas.endpoint()
        case .knative:
            guard let knative else {
                throw Problem.invalidField("knative", "runtime 'knative' needs a 'knative' block with 'url', or 'ingress' and 'service'")
            }
            return try knative.endpoint()
        }
    }

    /// An upstream as the edge reaches it: the URL (its path is the prefix of every forwarded
    /// path), the HTTP version, and the `Host` to send when it is not the URL's own.
    public struct Endpoint: Sendable, Equatable {
        public var upstream: UpstreamURL
        public var http2: Bool
        public var host: String?

        public init(upstream: UpstreamURL, http2: Bool = false, host: String? = nil) {
            self.upstream = upstream
            self.http2 = http2
            self.host = host
        }
    }
}

/// An upstream's address, parsed once so the edge never parses URLs on the request path.
public struct UpstreamURL: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int
    /// The path prefix, without a trailing slash ("" for the root).
    public var basePath: String

    public var usesTLS: Bool { scheme == "https" }

    public init(parsing string: String, field: String) throws(Problem) {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw Problem.invalidField(field, "\(field) must be an absolute http:// or https:// URL with a host")
        }
        guard components.query == nil, components.fragment == nil, components.user == nil else {
            throw Problem.invalidField(field, "\(field) must not carry a query, fragment or user info")
        }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(self.port) else {
            throw Problem.invalidField(field, "\(field) has an invalid port")
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }
}
