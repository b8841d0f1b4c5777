import GatehouseIdentity
import GatehouseModel
import GatehousePolicy

/// A route as the edge uses it: everything needed to forward a request, resolved at snapshot
/// build time so the request path does no lookups beyond the route table.
public final class CompiledRoute: Sendable {
    public let org: String
    public let name: String
    public let functionName: String
    /// Empty: every method.
    public let methods: Set<String>
    public let upstream: UpstreamURL
    /// Speak HTTP/2 to the upstream (multiplexed on one connection per event loop).
    public let upstreamHTTP2: Bool
    public let timeoutMs: Int
    /// The pattern this entry was compiled from, for diagnostics.
    public let pattern: String
    /// Names of the `{param}` segments, in path order.
    public let parameterNames: [String]
    /// `Host` for the upstream request (port omitted when it is the scheme's default).
    let upstreamAuthority: String
    let upstreamKey: UpstreamKey
    let auth: RouteAuthRules
    /// The org's trusted issuers and API keys, shared by all its routes.
    let identity: OrgIdentity
    /// The `aud` of the identity tokens this route's function receives.
    let functionAudience: FunctionAudience
    /// What the org's policies enforce on this route (IP rules, CORS, request and rate limits).
    public let edgeRules: RouteEdgeRules
    /// What the request path needs to know about `edgeRules` without walking them.
    let edgeRulesSummary: EdgeRulesSummary
    /// The org's authorizer when the route requires `functions:invoke` of its callers.
    let invokeAuthorizer: Authorizer?

    public init(
        route: Route, org: String, function: Function, endpoint: Function.Endpoint, pattern: PathPattern, rawPattern: String,
        identity: OrgIdentity, edgeRules: RouteEdgeRules = .none, invokeAuthorizer: Authorizer? = nil
    ) {
        self.org = org
        self.name = route.name
        self.functionName = function.name
        self.methods = route.methodSet
        let upstream = endpoint.upstream
        self.upstream = upstream
        self.upstreamHTTP2 = endpoint.http2
        self.timeoutMs = function.effectiveTimeoutMs
        self.pattern = rawPattern
        self.parameterNames = pattern.segments.compactMap {
            if case .parameter(let name) = $0 { return name }
            return nil
        }
        let defaultPort = upstream.usesTLS ? 443 : 80
        // A Knative service behind an ingress is named by `Host`, not by the address dialled.
        self.upstreamAuthority =
            endpoint.host
            ?? (upstream.host.utf8.contains(UInt8(ascii: ":")) ? "[\(upstream.host)]" : upstream.host)
            + (upstream.port == defaultPort ? "" : ":\(upstream.port)")
        self.upstreamKey = UpstreamKey(upstream, http2: upstreamHTTP2)
        self.auth = route.auth.map(RouteAuthRules.init) ?? .open
        self.identity = identity
        self.functionAudience = FunctionAudience(org: org, function: function.name)
        self.edgeRules = edgeRules
        self.edgeRulesSummary = EdgeRulesSummary(edgeRules)
        self.invokeAuthorizer = invokeAuthorizer
    }

    public func allows(method: String) -> Bool { methods.isEmpty || methods.contains(method) }
}
