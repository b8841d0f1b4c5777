import GatehouseModel

/// What an edge caller — anonymous, often — is told when Gatehouse or the function failed: a
/// stable problem type, a short sentence and where an operator finds the rest. The function's
/// exception text, a build's compiler output and errno strings (`connection reset ... errno
/// 111`) go to the run record and the log, never to the caller. Problems about the caller's own
/// request (4xx: bad input, limits, credentials) are the caller's to read and pass unchanged.
enum PublicProblem {
    static func forCaller(_ problem: Problem, org: String?, function: String?, runId: String?) -> Problem {
        guard problem.status >= 500 else { return problem }
        var shown = Problem(slug: problem.slug, title: problem.title, status: problem.status, detail: sentence(for: problem))
        shown.requestId = problem.requestId
        if let runId, let org {
            shown.detail = (shown.detail ?? "") + "; its run record has the details (gatehouse run get \(runId) --org \(org))"
        } else if problem.slug == "function-not-ready", let function, let org {
            shown.detail = (shown.detail ?? "") + "; its status says why (gatehouse function get \(function) --org \(org))"
        }
        return shown
    }

    private static func sentence(for problem: Problem) -> String {
        switch problem.slug {
        case "function-failed": "the function failed"
        case "invalid-output": "the function's response does not match its declared output schema"
        case "function-timeout", "gateway-timeout": "the function did not respond in time"
        case "function-not-ready": "the function is not ready to serve requests"
        case "bad-gateway": "the function's upstream could not be reached or failed"
        case "unavailable": "the service is temporarily unavailable; try again shortly"
        default: "Gatehouse could not complete the request"
        }
    }
}
