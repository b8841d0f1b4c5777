import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel
import JSONSchema

/// `gatehouse function ...`: what routes send requests to. The flags of one runtime choose it:
/// `--runtime process` (with `--language` and `--handler`) or `--runtime wasm` for code run by
/// Gatehouse (uploaded with `gatehouse function code`), `--url` an HTTP endpoint,
/// `--openfaas-gateway` an OpenFaaS function, `--knative-url` or `--knative-ingress` a Knative
/// Service. The invocation flags (`--mode`, `--secret`, `--env`, `--schema-in`, ...) apply to any.
enum FunctionCommands: ResourceCommandKind {
    typealias Value = Function
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(help: "runtime http: the http(s) URL the edge proxies requests to.")
        var url: String?

        @Option(name: .customLong("http-version"), help: "runtime http: HTTP version towards the upstream: 1.1 (default) or 2 (h2c for http://, ALPN h2 for https://).")
        var httpVersion: String?

        @Option(name: .customLong("openfaas-gateway"), help: "runtime openfaas: the gateway's URL (with --openfaas-function).")
        var openfaasGateway: String?

        @Option(name: .customLong("openfaas-function"), help: "runtime openfaas: the function's name on the gateway.")
        var openfaasFunction: String?

        @Option(name: .customLong("openfaas-namespace"), help: "runtime openfaas: its namespace (default: the gateway's).")
        var openfaasNamespace: String?

        @Option(name: .customLong("openfaas-basic-auth-secret"), help: "runtime openfaas: an org secret with keys username and password, sent as basic auth.")
        var openfaasBasicAuthSecret: String?

        @Option(name: .customLong("openwhisk-api-host"), help: "runtime openwhisk: the API host's URL (with --openwhisk-action and --openwhisk-auth-secret).")
        var openwhiskAPIHost: String?

        @Option(name: .customLong("openwhisk-namespace"), help: "runtime openwhisk: the namespace (default: _, the credentials' own).")
        var openwhiskNamespace: String?

        @Option(name: .customLong("openwhisk-action"), help: "runtime openwhisk: the action, or package/action.")
        var openwhiskAction: String?

        @Option(name: .customLong("openwhisk-auth-secret"), help: "runtime openwhisk: an org secret whose key auth holds the API key (uuid:key).")
        var openwhiskAuthSecret: String?

        @Option(name: .customLong("knative-url"), help: "runtime knative: the Knative Service's URL.")
        var knativeURL: String?

        @Option(name: .customLong("knative-ingress"), help: "runtime knative: the ingress address, with --knative-service.")
        var knativeIngress: String?

        @Option(name: .customLong("knative-service"), help: "runtime knative: the Service's name (Host: SERVICE.NAMESPACE.DOMAIN).")
        var knativeService: String?

        @Option(name: .customLong("knative-namespace"), help: "runtime knative: the Service's namespace (default: default).")
        var knativeNamespace: String?

        @Option(name: .customLong("knative-domain"), help: "runtime knative: the cluster's domain (default: svc.cluster.local).")
        var knativeDomain: String?

        @Option(name: .customLong("timeout-ms"), help: "How long a call may take, 1-900000 ms (default 30000).")
        var timeoutMs: Int?

        @Option(help: "process or wasm: code run by Gatehouse (the other runtimes follow from their own flags).")
        var runtime: String?

        @Option(help: "runtime process: python3, node or exec.") var language: String?
        @Option(help: "runtime process: module.function (main.handle), or the executable's path for exec.") var handler: String?
        @Option(name: .customLong("max-instances"), help: "runtime process: workers at most (default 4).") var maxInstances: Int?
        @Option(name: .customLong("memory-mb"), help: "runtime process: each worker's memory limit (default 256).") var memoryMB: Int?
        @Option(name: .customLong("memory-pages"), help: "runtime wasm: linear memory limit in 64 KiB pages (default 256).")
        var memoryPages: Int?

        @Option(help: "http (the function sees the request) or envelope ({context, payload} in, return value out).")
        var mode: String?
        @Option(name: .customLong("secret"), help: "An org secret the function receives; repeat.") var secrets: [String] = []
        @Option(name: .customLong("env"), help: "NAME=VALUE in the function's environment; repeat.") var env: [String] = []
        @Option(name: .customLong("max-concurrency"), help: "Invocations at once (beyond it and --max-queue: 429).")
        var maxConcurrency: Int?
        @Option(name: .customLong("max-queue"), help: "Invocations waiting for a slot (default --max-concurrency).") var maxQueue: Int?
        @Option(name: .customLong("schema-in"), help: "A JSON Schema file the request body must satisfy.") var schemaIn: String?
        @Option(name: .customLong("schema-out"), help: "A JSON Schema file the response body must satisfy.") var schemaOut: String?

        var isEmpty: Bool {
            runtimeBlock == nil && httpVersion == nil && timeoutMs == nil && openfaasBasicAuthSecret == nil && openwhiskAuthSecret == nil && mode == nil && secrets.isEmpty && env.isEmpty
                && maxConcurrency == nil && maxQueue == nil && schemaIn == nil && schemaOut == nil && maxInstances == nil
                && memoryMB == nil && memoryPages == nil && handler == nil
        }

        /// The invocation fields, whatever the runtime.
        func applyInvocation(to function: inout Function) throws {
            if let mode {
                guard let value = Function.Mode(rawValue: mode) else { throw ValidationError("--mode must be http or envelope") }
                function.mode = value
            }
            if !secrets.isEmpty { function.secrets = secrets }
            if !env.isEmpty {
                var values = function.env ?? [:]
                for item in env {
                    guard let pair = try? KeyValueArgument(parsing: item) else { throw ValidationError("--env takes NAME=VALUE") }
                    values[pair.key] = pair.value
                }
                function.env = values
            }
            if let maxConcurrency { function.maxConcurrency = maxConcurrency }
            if let maxQueue { function.maxQueue = maxQueue }
            for (path, input) in [(schemaIn, true), (schemaOut, false)] {
                guard let path else { continue }
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                let schema = try JSONSchemaFile.parse(data, path: path)
                var schemas = function.schema ?? Function.Schemas()
                if input { schemas.in = schema } else { schemas.out = schema }
                function.schema = schemas
            }
            if let handler, function.process != nil { function.process?.handler = handler }
            if let maxInstances { function.process?.maxInstances = maxInstances }
            if let memoryMB { function.process?.memoryMB = memoryMB }
            if let memoryPages, function.runtime == .wasm { function.wasm = .init(module: function.wasm?.module, memoryPages: memoryPages) }
        }

        func version() throws -> Function.HTTPRuntime.Version? {
            guard let httpVersion else { return nil }
            guard let version = Function.HTTPRuntime.Version(rawValue: httpVersion) else {
                throw ValidationError("--http-version must be 1.1 or 2")
            }
            return version
        }

        /// The runtime the flags give, if any; flags of two runtimes at once are a usage error.
        var runtimeBlock: Function.Runtime? {
            if runtime == "process" || language != nil { return .process }
            if runtime == "wasm" { return .wasm }
            if url != nil { return .http }
            if openfaasGateway != nil || openfaasFunction != nil || openfaasNamespace != nil { return .openfaas }
            if openwhiskAPIHost != nil || openwhiskAction != nil || openwhiskNamespace != nil { return .openwhisk }
            if [knativeURL, knativeIngress, knativeService, knativeNamespace, knativeDomain].contains(where: { $0 != nil }) {
                return .knative
            }
            return nil
        }

        /// Replaces `function`'s runtime with the one the flags give.
        func applyRuntime(to function: inout Function) throws {
            let given = [
                runtime != nil || language != nil, url != nil, openfaasGateway != nil || openfaasFunction != nil,
                knativeURL != nil || knativeIngress != nil, openwhiskAPIHost != nil || openwhiskAction != nil,
            ]
            guard given.filter({ $0 }).count <= 1 else {
                throw ValidationError("give the flags of one runtime: --runtime process|wasm, --url, --openfaas-..., --knative-..., or --openwhisk-...")
            }
            if let runtime, runtime != "process", runtime != "wasm" {
                throw ValidationError("--runtime is process or wasm; the other runtimes follow from their flags (--url, --openfaas-..., --knative-...)")
            }
            guard let runtime = runtimeBlock else { return }
            function.runtime = runtime
            function.http = nil
            function.openfaas = nil
            function.knative = nil
            function.process = nil
            function.wasm = nil
            function.openwhisk = nil
            switch runtime {
            case .http:
                function.http = Function.HTTPRuntime(url: url ?? "", version: try version())
            case .openfaas:
                function.openfaas = Function.OpenFaaSRuntime(
                    gateway: openfaasGateway ?? "", function: openfaasFunction ?? "", namespace: openfaasNamespace,
                    basicAuthSecret: openfaasBasicAuthSecret)
            case .knative:
                function.knative = Function.KnativeRuntime(
                    url: knativeURL, ingress: knativeIngress, service: knativeService, namespace: knativeNamespace,
                    domain: knativeDomain)
            case .process:
                guard let language, let parsed = Function.ProcessRuntime.Language(rawValue: language) else {
                    throw ValidationError("--runtime process needs --language python3, node or exec")
                }
                guard let handler else { throw ValidationError("--runtime process needs --handler (main.handle, or bin/server for exec)") }
                function.process = Function.ProcessRuntime(language: parsed, handler: handler)
            case .wasm:
                function.wasm = Function.WasmRuntime()
            case .openwhisk:
                guard let openwhiskAuthSecret else {
                    throw ValidationError("--openwhisk-api-host needs --openwhisk-auth-secret (an org secret with key auth)")
                }
                function.openwhisk = Function.OpenWhiskRuntime(
                    apiHost: openwhiskAPIHost ?? "", namespace: openwhiskNamespace, action: openwhiskAction ?? "",
                    authSecret: openwhiskAuthSecret)
            }
        }
    }

    static let abstract =
        "Manage functions: code run by Gatehouse (process, wasm), HTTP endpoints, OpenFaaS functions, Knative Services and OpenWhisk actions that routes publish."

    static var extraSubcommands: [any ParsableCommand.Type] { [FunctionCodeCommand.self] }

    static func makeResource(named name: String, from fields: Fields) throws -> Function {
        guard fields.runtimeBlock != nil else {
            throw ValidationError(
                "give --runtime process (with --language and --handler), --runtime wasm, --url, --openfaas-gateway with --openfaas-function, --knative-url / --knative-ingress, or --openwhisk-api-host with --openwhisk-action and --openwhisk-auth-secret")
        }
        var function = Function(name: name, http: "", timeoutMs: fields.timeoutMs)
        try fields.applyRuntime(to: &function)
        try fields.applyInvocation(to: &function)
        return function
    }

    static func update(_ function: inout Function, from fields: Fields) throws {
        try fields.applyRuntime(to: &function)
        if fields.runtimeBlock == nil, let version = try fields.version() { function.http?.version = version }
        if let timeoutMs = fields.timeoutMs { function.timeoutMs = timeoutMs }
        // The credential secrets alone change the current block rather than switch runtimes.
        if fields.runtimeBlock == nil, let secret = fields.openfaasBasicAuthSecret {
            guard function.openfaas != nil else { throw ValidationError("--openfaas-basic-auth-secret applies to runtime openfaas") }
            function.openfaas?.basicAuthSecret = secret
        }
        if fields.runtimeBlock == nil, let secret = fields.openwhiskAuthSecret {
            guard function.openwhisk != nil else { throw ValidationError("--openwhisk-auth-secret applies to runtime openwhisk") }
            function.openwhisk?.authSecret = secret
        }
        try fields.applyInvocation(to: &function)
    }
}

/// A JSON Schema read from a file for `--schema-in` / `--schema-out`.
enum JSONSchemaFile {
    static func parse(_ data: Data, path: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(data)
        } catch {
            throw ValidationError("\(path) is not JSON: \(error)")
        }
    }
}
