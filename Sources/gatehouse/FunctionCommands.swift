import ArgumentParser
import GatehouseModel

/// `gatehouse function ...`: what routes send requests to. The flags of one runtime choose it:
/// `--url` an HTTP endpoint, `--openfaas-gateway` an OpenFaaS function, `--knative-url` or
/// `--knative-ingress` a Knative Service.
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

        var isEmpty: Bool { runtimeBlock == nil && httpVersion == nil && timeoutMs == nil }

        func version() throws -> Function.HTTPRuntime.Version? {
            guard let httpVersion else { return nil }
            guard let version = Function.HTTPRuntime.Version(rawValue: httpVersion) else {
                throw ValidationError("--http-version must be 1.1 or 2")
            }
            return version
        }

        /// The runtime the flags give, if any; flags of two runtimes at once are a usage error.
        var runtimeBlock: Function.Runtime? {
            if url != nil { return .http }
            if openfaasGateway != nil || openfaasFunction != nil || openfaasNamespace != nil { return .openfaas }
            if [knativeURL, knativeIngress, knativeService, knativeNamespace, knativeDomain].contains(where: { $0 != nil }) {
                return .knative
            }
            return nil
        }

        /// Replaces `function`'s runtime with the one the flags give.
        func applyRuntime(to function: inout Function) throws {
            let given = [url != nil, openfaasGateway != nil || openfaasFunction != nil, knativeURL != nil || knativeIngress != nil]
            guard given.filter({ $0 }).count <= 1 else {
                throw ValidationError("give the flags of one runtime: --url, --openfaas-..., or --knative-...")
            }
            guard let runtime = runtimeBlock else { return }
            function.runtime = runtime
            function.http = nil
            function.openfaas = nil
            function.knative = nil
            switch runtime {
            case .http:
                function.http = Function.HTTPRuntime(url: url ?? "", version: try version())
            case .openfaas:
                function.openfaas = Function.OpenFaaSRuntime(
                    gateway: openfaasGateway ?? "", function: openfaasFunction ?? "", namespace: openfaasNamespace)
            case .knative:
                function.knative = Function.KnativeRuntime(
                    url: knativeURL, ingress: knativeIngress, service: knativeService, namespace: knativeNamespace,
                    domain: knativeDomain)
            case .process, .wasm, .openwhisk:
                break  // not given by these flags (see `runtimeBlock`)
            }
        }
    }

    static let abstract = "Manage functions: HTTP endpoints, OpenFaaS functions and Knative Services that routes publish."

    static func makeResource(named name: String, from fields: Fields) throws -> Function {
        guard fields.runtimeBlock != nil else {
            throw ValidationError("give --url, --openfaas-gateway with --openfaas-function, or --knative-url / --knative-ingress")
        }
        var function = Function(name: name, http: "", timeoutMs: fields.timeoutMs)
        try fields.applyRuntime(to: &function)
        return function
    }

    static func update(_ function: inout Function, from fields: Fields) throws {
        try fields.applyRuntime(to: &function)
        if fields.runtimeBlock == nil, let version = try fields.version() { function.http?.version = version }
        if let timeoutMs = fields.timeoutMs { function.timeoutMs = timeoutMs }
    }
}
