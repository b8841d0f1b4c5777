import Foundation
import GatehouseModel

/// Turns an error response into the `Problem` it describes.
public enum ProblemResponse {
    /// The problem in an error response's body when it is `application/problem+json` (or plain
    /// JSON of that shape); otherwise a problem built from the status and the body's text, so a
    /// proxy's HTML error page still yields a readable message.
    public static func problem(status: Int, contentType: String?, body: Data) -> Problem {
        let mediaType = contentType?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        if mediaType == Problem.mediaType || mediaType == "application/json",
            let fields = try? JSONDecoder().decode(LenientProblem.self, from: body),
            fields.title != nil || fields.detail != nil || fields.type != nil
        {
            return fields.problem(status: status)
        }
        var problem = Problem(slug: "", title: reasonPhrase(for: status), status: status, detail: excerpt(of: body))
        problem.type = "about:blank"
        return problem
    }

    /// RFC 9457 makes every member optional (`type` defaults to about:blank, `title` to the
    /// status phrase), so a problem from another server must not fail to decode for lack of one.
    private struct LenientProblem: Decodable {
        var type: String?
        var title: String?
        var status: Int?
        var detail: String?
        var instance: String?
        var requestId: String?
        var field: String?
        var conflictsWith: String?
        var errors: [Problem.FieldError]?

        func problem(status responseStatus: Int) -> Problem {
            let status = status ?? responseStatus
            var problem = Problem(
                slug: "", title: title ?? ProblemResponse.reasonPhrase(for: status), status: status,
                detail: detail, field: field, conflictsWith: conflictsWith, errors: errors)
            problem.type = type ?? "about:blank"
            problem.instance = instance
            problem.requestId = requestId
            return problem
        }
    }

    /// The start of a non-problem body, whitespace collapsed; nil when empty.
    private static func excerpt(of body: Data) -> String? {
        let text = String(decoding: body.prefix(600), as: UTF8.self)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !text.isEmpty else { return nil }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "HTTP \(status)"
        }
    }
}
