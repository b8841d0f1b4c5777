import GatehouseModel
import GatehousePolicy
import NIOHTTP1

/// The edge rules a request head must pass before the caller is authenticated, in order: the
/// client's address (IP rules), CORS (preflights are answered here, never by the function),
/// request limits. Rate limits need the caller and come later (`RateLimitCheck`).
enum EdgePolicyCheck {
    enum Verdict {
        /// Go on; `corsHeaders` belong on the response, whoever writes it.
        case proceed(corsHeaders: [(String, String)])
        /// A CORS preflight the route allows: answer 204 with these headers.
        case preflight([(String, String)])
        case refuse(EdgeRefusal)
    }

    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`: a browser asking before a
    /// cross-origin request, not a request for the function.
    static func isPreflight(_ head: HTTPRequestHead) -> Bool {
        head.method == .OPTIONS && head.headers.contains(name: "origin")
            && head.headers.contains(name: "access-control-request-method")
    }

    static func check(_ head: HTTPRequestHead, rules: RouteEdgeRules, clientAddress: IPAddress?) -> Verdict {
        if !rules.ipFilters.isEmpty {
            guard let clientAddress, rules.ipFilters.allSatisfy({ $0.admits(clientAddress) }) else {
                return .refuse(EdgeRefusal(problem: .addressNotAllowed()))
            }
        }
        var corsHeaders: [(String, String)] = []
        if let cors = rules.cors {
            let origin = head.headers.first(name: "origin")
            if isPreflight(head), let origin, let method = head.headers.first(name: "access-control-request-method") {
                let asked = head.headers["access-control-request-headers"]
                guard
                    let allowed = cors.preflight(
                        origin: origin, requestMethod: method,
                        requestHeaders: asked.isEmpty ? nil : asked.joined(separator: ","))
                else {
                    // Fetch fails a preflight whose answer lacks the Access-Control-Allow-* fields
                    // or is not 2xx; a 403 problem does both and tells a person with curl why.
                    return .refuse(EdgeRefusal(problem: .corsPreflightRefused(), headers: [("vary", "Origin")]))
                }
                return .preflight(allowed)
            }
            // The answer depends on Origin even when it grants nothing: caches must know.
            corsHeaders = origin.flatMap(cors.responseHeaders(origin:)) ?? [("vary", "Origin")]
        }
        if !rules.requestLimits.isEmpty {
            let method = head.method.rawValue
            let contentType = head.headers.first(name: "content-type")
            let contentLength = head.headers.first(name: "content-length").flatMap { Int($0) }
            for limits in rules.requestLimits {
                if let refusal = limits.check(
                    method: method, contentType: contentType, contentLength: contentLength, headers: head.headers)
                {
                    var answer = limits.refusal(refusal, method: method)
                    answer.headers += corsHeaders
                    return .refuse(answer)
                }
            }
        }
        return .proceed(corsHeaders: corsHeaders)
    }
}
