import Foundation

// The FaaS engines a function may live on. Each block names the function as its engine knows it;
// the edge then proxies to it like any HTTP upstream, streaming both ways.

extension Function {
    /// `runtime: openfaas`: a function behind an OpenFaaS gateway, invoked synchronously at
    /// `{gateway}/function/{function}[.{namespace}]` (the gateway's documented invoke path; the
    /// route's remaining path and query follow, which the gateway passes on as is).
    public struct OpenFaaSRuntime: Codable, Sendable, Equatable {
        /// The gateway's base URL (`http://gateway.openfaas:8080`).
        public var gateway: String
        public var function: String
        /// Absent: the gateway's default function namespace.
        public var namespace: String?
        /// The name of an org secret with keys `username` and `password`, sent as HTTP basic
        /// auth (a gateway with `basic_auth` enabled refuses everything else).
        public var basicAuthSecret: String?

        public init(gateway: String, function: String, namespace: String? = nil, basicAuthSecret: String? = nil) {
            self.gateway = gateway
            self.function = function
            self.namespace = namespace
            self.basicAuthSecret = basicAuthSecret
        }

        func endpoint() throws(Problem) -> Endpoint {
            var upstream = try UpstreamURL(parsing: gateway, field: "openfaas.gateway")
            try ResourceName.validate(function, field: "openfaas.function")
            if let namespace { try ResourceName.validate(namespace, field: "openfaas.namespace") }
            if let basicAuthSecret { try ResourceName.validate(basicAuthSecret, field: "openfaas.basicAuthSecret") }
            upstream.basePath += "/function/" + function + (namespace.map { ".\($0)" } ?? "")
            return Endpoint(upstream: upstream)
        }
    }

    /// `runtime: knative`: a Knative Service, reached at its URL, or through the cluster's
    /// ingress with `Host: {service}.{namespace}.{domain}` (how Knative routes when its domain
    /// has no DNS, as on a development cluster).
    public struct KnativeRuntime: Codable, Sendable, Equatable {
        public static let defaultNamespace = "default"
        public static let defaultDomain = "svc.cluster.local"

        /// The Service's URL (`https://hello.default.example.com`); or leave it out and give
        /// `ingress` and `service`.
        public var url: String?
        /// The ingress address (`http://kourier.kourier-system:80`).
        public var ingress: String?
        public var service: String?
        /// Absent: `default`.
        public var namespace: String?
        /// The cluster's Knative domain; absent: `svc.cluster.local`.
        public var domain: String?

        public init(url: String? = nil, ingress: String? = nil, service: String? = nil, namespace: String? = nil, domain: String? = nil) {
            self.url = url
            self.ingress = ingress
            self.service = service
            self.namespace = namespace
            self.domain = domain
        }

        func endpoint() throws(Problem) -> Endpoint {
            if let url {
                guard ingress == nil, service == nil, namespace == nil, domain == nil else {
                    throw Problem.invalidField(
                        "knative.url", "give either 'knative.url' or 'knative.ingress' with 'service' (and 'namespace', 'domain'), not both")
                }
                return Endpoint(upstream: try UpstreamURL(parsing: url, field: "knative.url"))
            }
            guard let ingress, let service else {
                throw Problem.invalidField("knative", "give 'knative.url', or 'knative.ingress' and 'knative.service'")
            }
            let upstream = try UpstreamURL(parsing: ingress, field: "knative.ingress")
            try ResourceName.validate(service, field: "knative.service")
            let namespace = namespace ?? Self.defaultNamespace
            try ResourceName.validate(namespace, field: "knative.namespace")
            let domain = domain ?? Self.defaultDomain
            _ = try HostPattern(parsing: domain, field: "knative.domain")
            guard !domain.hasPrefix("*") else {
                throw Problem.invalidField("knative.domain", "knative.domain is a domain name, not a wildcard")
            }
            return Endpoint(upstream: upstream, host: "\(service).\(namespace).\(domain.lowercased())")
        }
    }
}

extension Function {
    /// `runtime: openwhisk`: an action of an Apache OpenWhisk deployment, invoked through its
    /// REST API (`POST {apiHost}/api/v1/namespaces/{namespace}/actions/{action}`), blocking for
    /// synchronous runs and as an activation for asynchronous ones. The action receives a JSON
    /// object (web-action style `__ow_*` fields in `http` mode, the envelope in `envelope` mode).
    public struct OpenWhiskRuntime: Codable, Sendable, Equatable {
        public static let defaultNamespace = "_"

        /// The API host's base URL (`https://openwhisk.example.com`).
        public var apiHost: String
        /// Absent: `_`, the namespace of the credentials.
        public var namespace: String?
        /// The action's name, optionally in a package (`pkg/action`).
        public var action: String
        /// The name of an org secret whose key `auth` holds the API key (`uuid:key`).
        public var authSecret: String

        public init(apiHost: String, namespace: String? = nil, action: String, authSecret: String) {
            self.apiHost = apiHost
            self.namespace = namespace
            self.action = action
            self.authSecret = authSecret
        }

        public var effectiveNamespace: String { namespace ?? Self.defaultNamespace }

        func validate() throws(Problem) {
            _ = try UpstreamURL(parsing: apiHost, field: "openwhisk.apiHost")
            let namespace = effectiveNamespace
            if namespace != Self.defaultNamespace { try Self.checkEntityName(namespace, field: "openwhisk.namespace") }
            let parts = action.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else {
                throw Problem.invalidField("openwhisk.action", "openwhisk.action is 'action' or 'package/action'")
            }
            for part in parts { try Self.checkEntityName(String(part), field: "openwhisk.action") }
            try ResourceName.validate(authSecret, field: "openwhisk.authSecret")
        }

        /// OpenWhisk's entity names: letters, digits, `_`, `-`, `.`, `@` and spaces inside,
        /// starting with a letter, digit or `_`, at most 256 characters. Spaces are refused
        /// here too, so a name never needs escaping in a path.
        private static func checkEntityName(_ name: String, field: String) throws(Problem) {
            let bytes = name.utf8
            func allowed(_ b: UInt8) -> Bool {
                (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
                    || b == 0x2E || b == 0x40
            }
            guard (1...256).contains(bytes.count), let first = bytes.first, first != 0x2D, first != 0x2E, first != 0x40,
                bytes.allSatisfy(allowed)
            else {
                throw Problem.invalidField(field, "\(field) must be an OpenWhisk entity name (letters, digits, '_', '-', '.', '@')")
            }
        }
    }
}
