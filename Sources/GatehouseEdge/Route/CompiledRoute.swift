import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseRuntimes

/// A route as the edge uses it: everything needed to forward a request, resolved at snapshot
/// build time so the request path does no lookups beyond the route table.
public final class CompiledRoute: Sendable {
    public let org: String
    public let name: String
    public let functionName: String
    /// Empty: every method.
    public let methods: Set<String>
    /// The function as the invocation pipeline runs it (every route has one: an asynchronous
    /// run of a streaming upstream goes through the pipeline too).
    public let function: DeployedFunction
    /// The HTTP upstream the edge streams requests to; nil when every request goes through
    /// the invocation pipeline (code run by Gatehouse, OpenWhisk, envelope mode, schemas...).
    public let upstream: UpstreamTarget?
    public let timeoutMs: Int
    /// The pattern this entry was compiled from, for diagnostics.
    public let pattern: String
    /// Names of the `{param}` segments, in path order.
    public let parameterNames: [String]
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
        route: Route, org: String, function: DeployedFunction, pattern: PathPattern, rawPattern: String,
        identity: OrgIdentity, edgeRules: RouteEdgeRules = .none, invokeAuthorizer: Authorizer? = nil
    ) {
        self.org = org
        self.name = route.name
        self.functionName = function.name
        self.methods = route.methodSet
        self.function = function
        self.upstream = function.function.needsBufferedInvocation ? nil : (try? function.function.endpoint()).map { UpstreamTarget($0, org: org) }
        self.timeoutMs = function.timeoutMs
        self.pattern = rawPattern
        self.parameterNames = pattern.segments.compactMap {
            if case .parameter(let name) = $0 { return name }
            return nil
        }
        self.auth = route.auth.map(RouteAuthRules.init) ?? .open
        self.identity = identity
        self.functionAudience = FunctionAudience(org: org, function: function.name)
        self.edgeRules = edgeRules
        self.edgeRulesSummary = EdgeRulesSummary(edgeRules)
        self.invokeAuthorizer = invokeAuthorizer
    }

    public func allows(method: String) -> Bool { methods.isEmpty || methods.contains(method) }
}

/// An HTTP upstream as the edge streams to it, resolved once per route.
public struct UpstreamTarget: Sendable {
    public let url: UpstreamURL
    /// Speak HTTP/2 to the upstream (multiplexed on one connection per event loop).
    public let http2: Bool
    /// `Host` for the upstream request (port omitted when it is the scheme's default).
    let authority: String
    let key: UpstreamKey

    init(_ endpoint: Function.Endpoint, org: String) {
        let url = endpoint.upstream
        self.url = url
        self.http2 = endpoint.http2
        let defaultPort = url.usesTLS ? 443 : 80
        // A Knative service behind an ingress is named by `Host`, not by the address dialled.
        self.authority =
            endpoint.host
            ?? (url.host.utf8.contains(UInt8(ascii: ":")) ? "[\(url.host)]" : url.host)
            + (url.port == defaultPort ? "" : ":\(url.port)")
        self.key = UpstreamKey(url, http2: endpoint.http2, org: org)
    }
}
