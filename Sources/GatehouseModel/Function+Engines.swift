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

        public init(gateway: String, function: String, namespace: String? = nil) {
            self.gateway = gateway
            self.function = function
            self.namespace = namespace
        }

        func endpoint() throws(Problem) -> Endpoint {
            var upstream = try UpstreamURL(parsing: gateway, field: "openfaas.gateway")
            try ResourceName.validate(function, field: "openfaas.function")
            if let namespace { try ResourceName.validate(namespace, field: "openfaas.namespace") }
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
