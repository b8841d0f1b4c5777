import GatehouseModel

/// A refusal of the admin API's authentication: the problem, and the RFC 6750 §3 challenge that
/// goes with it in `WWW-Authenticate`.
struct ChallengedProblem: Error, Sendable {
    enum Code: String, Sendable {
        /// 401: the token or key is not valid (bad, expired, unknown, revoked).
        case invalidToken = "invalid_token"
        /// 403: authenticated, but not for this org or operation.
        case insufficientScope = "insufficient_scope"
    }

    var problem: Problem
    /// nil: no credentials were presented — the bare challenge (§3.1: no `error`).
    var code: Code?

    /// `description` must be Gatehouse's own text: it is not escaped beyond dropping quotes.
    var challenge: String {
        var value = #"Bearer realm="gatehouse""#
        if let code {
            value += #", error="\#(code.rawValue)""#
            if let detail = problem.detail {
                value += #", error_description="\#(detail.filter { $0 != "\"" && $0 != "\\" && $0.isASCII })""#
            }
        }
        return value
    }

    static func missing(_ detail: String) -> ChallengedProblem {
        ChallengedProblem(problem: .unauthorized(detail), code: nil)
    }

    static func invalidToken(_ detail: String) -> ChallengedProblem {
        ChallengedProblem(problem: .unauthorized(detail), code: .invalidToken)
    }

    static func forbidden(_ detail: String) -> ChallengedProblem {
        ChallengedProblem(problem: .forbidden(detail), code: .insufficientScope)
    }
}
