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

        var isEmpty: Bool { url == nil && timeoutMs == nil }
    }

    static let abstract = "Manage functions, the HTTP endpoints that routes publish."

    static func makeResource(named name: String, from fields: Fields) throws -> Function {
        guard let url = fields.url else { throw ValidationError("--url is required to create a function") }
        return Function(name: name, http: url, timeoutMs: fields.timeoutMs)
    }

    static func update(_ function: inout Function, from fields: Fields) throws {
        if let url = fields.url {
            function.runtime = .http
            function.http = Function.HTTPRuntime(url: url)
        }
        if let timeoutMs = fields.timeoutMs { function.timeoutMs = timeoutMs }
    }
}
