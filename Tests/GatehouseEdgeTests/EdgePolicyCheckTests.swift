import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseRuntimes
import NIOHTTP1
import Testing

@testable import GatehouseEdge

/// The head checks' order and answers, and what each kind of rate limit counts by. The real
/// binary's behaviour (HTTP/1.1 and HTTP/2, headers on the wire) is in test_edge_policy.py.
@Suite struct EdgePolicyCheckTests {
    private static let local = IPAddress("127.0.0.1")!

    private func head(_ method: HTTPMethod, _ headers: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/acme/x", headers: HTTPHeaders(headers))
    }

    private func refusalStatus(_ verdict: EdgePolicyCheck.Verdict) -> Int? {
        if case .refuse(let refusal) = verdict { return refusal.problem.status }
        return nil
    }

    @Test func ipRulesComeFirstAndAnUnknownAddressIsNotAdmitted() throws {
        let rules = RouteEdgeRules(
            ipFilters: [IPFilter(allow: [], deny: [try IPRange(parsing: "127.0.0.0/8")])],
            cors: try CORSPolicy(origins: ["https://app.example"]),
            requestLimits: [RequestLimits(methods: ["GET"])])
        let preflight = head(.OPTIONS, [("origin", "https://app.example"), ("access-control-request-method", "GET")])
        #expect(refusalStatus(EdgePolicyCheck.check(preflight, rules: rules, clientAddress: Self.local)) == 403)
        let open = RouteEdgeRules(ipFilters: [IPFilter(allow: [], deny: [try IPRange(parsing: "10.0.0.0/8")])])
        #expect(refusalStatus(EdgePolicyCheck.check(head(.GET), rules: open, clientAddress: nil)) == 403)
        #expect(refusalStatus(EdgePolicyCheck.check(head(.GET), rules: open, clientAddress: Self.local)) == nil)
    }

    @Test func preflightsAreAnsweredBeforeRequestLimitsAndActualRequestsGetCORSFields() throws {
        let rules = RouteEdgeRules(
            cors: try CORSPolicy(origins: ["https://app.example"], methods: ["PUT"]),
            requestLimits: [RequestLimits(methods: ["PUT"])])
        let asking = head(.OPTIONS, [("origin", "https://app.example"), ("access-control-request-method", "PUT")])
        guard case .preflight(let fields) = EdgePolicyCheck.check(asking, rules: rules, clientAddress: nil) else {
            Issue.record("a preflight must be answered even where the request limits refuse OPTIONS")
            return
        }
        #expect(fields.contains { $0 == ("access-control-allow-origin", "https://app.example") })
        let refused = head(.OPTIONS, [("origin", "https://evil.example"), ("access-control-request-method", "PUT")])
        #expect(refusalStatus(EdgePolicyCheck.check(refused, rules: rules, clientAddress: nil)) == 403)

        // A refused actual request still carries the CORS fields, for the page to read.
        guard case .refuse(let refusal) = EdgePolicyCheck.check(head(.GET, [("origin", "https://app.example")]), rules: rules, clientAddress: nil)
        else {
            Issue.record("GET is not among the request limits' methods")
            return
        }
        #expect(refusal.problem.status == 405 && refusal.headers.contains { $0 == ("allow", "PUT") })
        #expect(refusal.headers.contains { $0 == ("access-control-allow-origin", "https://app.example") })
        guard case .proceed(let cors) = EdgePolicyCheck.check(head(.PUT), rules: rules, clientAddress: nil) else {
            Issue.record("PUT passes")
            return
        }
        #expect(cors.count == 1 && cors[0] == ("vary", "Origin"))
    }

    @Test func rateLimitKeysSeparateCallersAsTheRuleSays() throws {
        let function = Function(name: "f", http: "http://127.0.0.1:9000/")
        let route = CompiledRoute(
            route: Route(name: "r", function: "f", paths: ["/x"]), org: "acme",
            function: DeployedFunction(org: "acme", function: function, codeRoot: nil),
            pattern: try PathPattern(parsing: "/x", field: ""), rawPattern: "/x", identity: .empty(org: "acme"))
        func rules(_ specs: [Policy.RateLimitRule]) -> [CompiledRateLimit] {
            let policy = Policy(name: "p", rateLimits: specs)
            return try! CompiledPolicy(policy, org: "acme", catalog: RoleCatalog([]), orgRoleNames: []).rateLimits.map(\.rule)
        }
        func rule(_ key: Policy.RateLimitRule.Key) -> CompiledRateLimit {
            rules([.init(name: key.rawValue, requests: 1, periodSeconds: 60, key: key)])[0]
        }
        let alice = Principal(kind: .user, subject: "alice", org: "acme")
        let key = Principal(kind: .apiKey, subject: "k1", org: "acme")
        let other = IPAddress("192.0.2.1")!
        func keyOf(_ kind: Policy.RateLimitRule.Key, _ caller: Principal?, _ address: IPAddress?) -> RateLimitKey? {
            RateLimitCheck.key(rule(kind), route: route, caller: caller, clientAddress: address)
        }
        // Per principal: the caller wherever it calls from; anonymous callers by address.
        #expect(keyOf(.principal, alice, Self.local) == keyOf(.principal, alice, other))
        #expect(keyOf(.principal, alice, Self.local) != keyOf(.principal, key, Self.local))
        #expect(keyOf(.principal, nil, Self.local) != keyOf(.principal, nil, other))
        // Per API key: callers without one are not counted.
        #expect(keyOf(.apiKey, alice, Self.local) == nil && keyOf(.apiKey, key, Self.local) != nil)
        // Per client address and per org, whoever the caller is.
        #expect(keyOf(.clientIP, alice, Self.local) == keyOf(.clientIP, key, Self.local))
        #expect(keyOf(.clientIP, alice, Self.local) != keyOf(.clientIP, alice, other))
        #expect(keyOf(.org, alice, Self.local) == keyOf(.org, nil, other))

        // The tightest rule's fields go on an allowed response; the first refusal decides.
        let limiter = RateLimiter()
        let rules = rules([
            .init(name: "wide", requests: 10, periodSeconds: 60, key: .org),
            .init(name: "tight", requests: 1, periodSeconds: 60, key: .org),
        ])
        guard case .allowed(let fields) = RateLimitCheck.check(rules, route: route, caller: nil, clientAddress: nil, limiter: limiter, now: 1)
        else {
            Issue.record("the first request passes")
            return
        }
        #expect(fields.first { $0.0 == "ratelimit-limit" }?.1 == "1")
        guard case .refused(let refusal) = RateLimitCheck.check(rules, route: route, caller: nil, clientAddress: nil, limiter: limiter, now: 2)
        else {
            Issue.record("the second request is over the 1-per-minute rule")
            return
        }
        #expect(refusal.problem.status == 429 && refusal.headers.contains { $0.0 == "retry-after" })
    }
}
