import ArgumentParser
import GatehouseModel

/// `gatehouse function ...`: what routes send requests to. Only `runtime: http` exists so far,
/// so `--url` implies it.
enum FunctionCommands: ResourceCommandKind {
    typealias Value = Function
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(help: "The http(s) URL the edge proxies requests to (required to create).")
        var url: String?

        @Option(name: .customLong("timeout-ms"), help: "How long a call may take, 1-900000 ms (default 30000).")
        var timeoutMs: Int?

        @Option(name: .customLong("http-version"), help: "HTTP version towards the upstream: 1.1 (default) or 2 (h2c for http://, ALPN h2 for https://).")
        var httpVersion: String?

        var isEmpty: Bool { url == nil && timeoutMs == nil && httpVersion == nil }

        func version() throws -> Function.HTTPRuntime.Version? {
            guard let httpVersion else { return nil }
            guard let version = Function.HTTPRuntime.Version(rawValue: httpVersion) else {
                throw ValidationError("--http-version must be 1.1 or 2")
            }
            return version
        }
    }

    static let abstract = "Manage functions, the HTTP endpoints that routes publish."

    static func makeResource(named name: String, from fields: Fields) throws -> Function {
        guard let url = fields.url else { throw ValidationError("--url is required to create a function") }
        var function = Function(name: name, http: url, timeoutMs: fields.timeoutMs)
        function.http?.version = try fields.version()
        return function
    }

    static func update(_ function: inout Function, from fields: Fields) throws {
        if let url = fields.url {
            function.runtime = .http
            function.http = Function.HTTPRuntime(url: url, version: function.http?.version)
        }
        if let version = try fields.version() { function.http?.version = version }
        if let timeoutMs = fields.timeoutMs { function.timeoutMs = timeoutMs }
    }
}
