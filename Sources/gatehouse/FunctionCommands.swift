import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse function ...`: what routes send requests to. The flags of one runtime choose it:
/// `--language`/`--handler` local process workers, `--wasm-module` (or `--runtime wasm`) a
/// WebAssembly module, `--url` an HTTP endpoint, `--openfaas-...` an OpenFaaS function,
/// `--knative-...` a Knative Service, `--openwhisk-...` an OpenWhisk action.
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

        @Option(help: "The runtime: process, wasm, http, openfaas, knative or openwhisk (default: the one the runtime's flags imply).")
        var runtime: String?

        @Option(help: "runtime process: python3, node or exec.")
        var language: String?

        @Option(help: "runtime process: module.function for python3 and node (main.handle), the executable's path for exec.")
        var handler: String?

        @Option(name: .customLong("file-size-mb"), help: "runtime process: the largest file a worker may write, MiB (RLIMIT_FSIZE, 1-16384, default 64).")
        var fileSizeMB: Int?

        @Option(name: .customLong("tmp-mb"), help: "runtime process: the worker's temp space (/tmp and TMPDIR, one tmpfs under bubblewrap), MiB (1-16384, default 64).")
        var tmpMB: Int?

        @Option(name: .customLong("max-processes"), help: "runtime process: processes and threads per worker (RLIMIT_NPROC, 8-4096, default 64).")
        var maxProcesses: Int?

        @Option(name: .customLong("wasm-module"), help: "runtime wasm: the module's path inside an archive (default: its only .wasm or .wat).")
        var wasmModule: String?

        @Option(name: .customLong("timeout-ms"), help: "How long a call may take, 1-900000 ms (default 30000).")
        var timeoutMs: Int?

        @Option(help: "http (default): the function sees the HTTP request; envelope: it gets {context, payload} and returns the body.")
        var mode: String?

        @Option(name: .customLong("secret"), help: "An org secret the function receives; repeat for several (on update: replaces the list).")
        var secrets: [String] = []

        @Option(name: .customLong("env"), help: "An environment variable K=V; repeat for several (on update: replaces them all).")
        var env: [String] = []

        @Option(name: .customLong("max-concurrency"), help: "Invocations that may run at once (1-10000).")
        var maxConcurrency: Int?

        @Option(name: .customLong("max-queue"), help: "Invocations that may wait beyond --max-concurrency (0-10000).")
        var maxQueue: Int?

        @Option(name: .customLong("schema-in"), help: "A JSON Schema file the request body must match.")
        var schemaIn: String?

        @Option(name: .customLong("schema-out"), help: "A JSON Schema file the response body must match.")
        var schemaOut: String?

        @Option(help: "runtime process or wasm: code to upload once the function is written (a file, a directory, a .tar.gz or a .zip).")
        var code: String?

        var isEmpty: Bool {
            runtime == nil && runtimeBlock == nil && httpVersion == nil && timeoutMs == nil && mode == nil && secrets.isEmpty && env.isEmpty
                && maxConcurrency == nil && maxQueue == nil && schemaIn == nil && schemaOut == nil && code == nil
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
            if let runtime { return Function.Runtime(rawValue: runtime) }
            return impliedRuntime
        }

        /// The runtime whose own flags were given, whatever `--runtime` says.
        private var impliedRuntime: Function.Runtime? { runtimesWithFlags.first }

        /// Every runtime some of whose own flags were given (more than one is a usage error).
        private var runtimesWithFlags: [Function.Runtime] {
            let given: [(runtime: Function.Runtime, flags: [String?])] = [
                (.process, [language, handler, fileSizeMB.map(String.init), tmpMB.map(String.init), maxProcesses.map(String.init)]),
                (.wasm, [wasmModule]), (.http, [url]),
                (.openfaas, [openfaasGateway, openfaasFunction, openfaasNamespace, openfaasBasicAuthSecret]),
                (.openwhisk, [openwhiskAPIHost, openwhiskNamespace, openwhiskAction, openwhiskAuthSecret]),
                (.knative, [knativeURL, knativeIngress, knativeService, knativeNamespace, knativeDomain]),
            ]
            return given.filter { $0.flags.contains { $0 != nil } }.map(\.runtime)
        }

        /// Replaces `function`'s runtime with the one the flags give. Flags of the runtime the
        /// function already has change only those fields of its block; flags of another runtime
        /// replace the block (the server says which required field is then missing).
        func applyRuntime(to function: inout Function) throws {
            guard runtimesWithFlags.count <= 1 else {
                throw ValidationError(
                    "give the flags of one runtime: --language/--handler/--file-size-mb/--tmp-mb/--max-processes, --wasm-module, --url, --openfaas-..., --knative-... or --openwhisk-...")
            }
            if let runtime {
                guard let named = Function.Runtime(rawValue: runtime) else {
                    throw ValidationError("--runtime must be one of \(Function.Runtime.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                if let implied = impliedRuntime, implied != named {
                    throw ValidationError("--runtime \(runtime) does not take the flags of runtime \(implied.rawValue)")
                }
            }
            guard let runtime = runtimeBlock else { return }
            let previous = function
            function.runtime = runtime
            function.process = nil
            function.wasm = nil
            function.http = nil
            function.openfaas = nil
            function.knative = nil
            function.openwhisk = nil
            switch runtime {
            case .process:
                guard let languageName = language ?? previous.process?.language.rawValue,
                    let handler = handler ?? previous.process?.handler
                else {
                    throw ValidationError("runtime process needs --language (python3, node or exec) and --handler")
                }
                guard let language = Function.ProcessRuntime.Language(rawValue: languageName) else {
                    throw ValidationError("--language must be python3, node or exec")
                }
                var block = previous.process ?? Function.ProcessRuntime(language: language, handler: handler)
                block.language = language
                block.handler = handler
                if let fileSizeMB { block.fileSizeMB = fileSizeMB }
                if let tmpMB { block.tmpMB = tmpMB }
                if let maxProcesses { block.maxProcesses = maxProcesses }
                function.process = block
            case .wasm:
                var block = previous.wasm ?? Function.WasmRuntime()
                if let wasmModule { block.module = wasmModule }
                function.wasm = block
            case .http:
                function.http = Function.HTTPRuntime(url: url ?? previous.http?.url ?? "", version: try version() ?? previous.http?.version)
            case .openfaas:
                var block = previous.openfaas ?? Function.OpenFaaSRuntime(gateway: "", function: "")
                if let openfaasGateway { block.gateway = openfaasGateway }
                if let openfaasFunction { block.function = openfaasFunction }
                if let openfaasNamespace { block.namespace = openfaasNamespace }
                if let openfaasBasicAuthSecret { block.basicAuthSecret = openfaasBasicAuthSecret }
                function.openfaas = block
            case .knative:
                function.knative = Function.KnativeRuntime(
                    url: knativeURL, ingress: knativeIngress, service: knativeService, namespace: knativeNamespace,
                    domain: knativeDomain)
            case .openwhisk:
                var block = previous.openwhisk ?? Function.OpenWhiskRuntime(apiHost: "", action: "", authSecret: "")
                if let openwhiskAPIHost { block.apiHost = openwhiskAPIHost }
                if let openwhiskNamespace { block.namespace = openwhiskNamespace }
                if let openwhiskAction { block.action = openwhiskAction }
                if let openwhiskAuthSecret { block.authSecret = openwhiskAuthSecret }
                function.openwhisk = block
            }
        }

        /// Sets the invocation fields the flags give; list flags replace the whole list.
        func applyInvocation(to function: inout Function) throws {
            if let timeoutMs { function.timeoutMs = timeoutMs }
            if let mode {
                guard let parsed = Function.Mode(rawValue: mode) else { throw ValidationError("--mode must be http or envelope") }
                function.mode = parsed
            }
            if !secrets.isEmpty { function.secrets = secrets }
            if !env.isEmpty {
                var variables: [String: String] = [:]
                for text in env {
                    guard let pair = try? KeyValueArgument(parsing: text) else { throw ValidationError("--env takes K=V") }
                    variables[pair.key] = pair.value
                }
                function.env = variables
            }
            if let maxConcurrency { function.maxConcurrency = maxConcurrency }
            if let maxQueue { function.maxQueue = maxQueue }
            if schemaIn != nil || schemaOut != nil {
                var schemas = function.schema ?? Function.Schemas()
                if let schemaIn { schemas.in = try Self.schemas(at: schemaIn, flag: "--schema-in", key: "in").in }
                if let schemaOut { schemas.out = try Self.schemas(at: schemaOut, flag: "--schema-out", key: "out").out }
                function.schema = schemas
            }
        }

        /// A JSON file's value as the function's `schema.in` or `.out` holds it (the server checks
        /// it is a schema): the file is decoded as that member, so the CLI needs no JSON model of its own.
        private static func schemas(at path: String, flag: String, key: String) throws -> Function.Schemas {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(flag): cannot read \(path)") }
            do {
                return try JSONDecoder().decode(Function.Schemas.self, from: Data("{\"\(key)\":".utf8) + data + Data("}".utf8))
            } catch {
                throw ValidationError("\(flag): \(path) is not a JSON document")
            }
        }
    }

    static let abstract =
        "Manage functions: code Gatehouse runs (process, wasm), HTTP endpoints, OpenFaaS functions, Knative Services and OpenWhisk actions that routes publish."

    static var extraSubcommands: [any ParsableCommand.Type] { [FunctionCodeCommand.self] }

    static func makeResource(named name: String, from fields: Fields) throws -> Function {
        guard fields.runtime != nil || fields.runtimeBlock != nil else {
            throw ValidationError(
                "give --runtime process with --language and --handler, --runtime wasm, --url, --openfaas-gateway with --openfaas-function, --knative-url / --knative-ingress, or --openwhisk-api-host with --openwhisk-action and --openwhisk-auth-secret")
        }
        var function = Function(name: name, http: "")
        try fields.applyRuntime(to: &function)
        try fields.applyInvocation(to: &function)
        return function
    }

    static func update(_ function: inout Function, from fields: Fields) throws {
        try fields.applyRuntime(to: &function)
        if fields.runtimeBlock == nil, let version = try fields.version() { function.http?.version = version }
        try fields.applyInvocation(to: &function)
    }

    /// `--code`: uploaded once the function is written, so create and update take code in one go.
    static func afterWrite(_ function: Function, fields: Fields, scope: Scope, client: AdminClient) async throws -> Function? {
        guard let path = fields.code, let org = scope.org else { return nil }
        let upload = try await CodePackage.make(from: path)
        return try await client.uploadCode(upload, function: function.name, org: org)
    }
}
