import Foundation

/// An RFC 9457 problem: the one error shape every Gatehouse listener answers with.
///
/// Problems are values and `Error`s at once, so validation code can `throw` them and the
/// listeners can render them unchanged. Extension members (`field`, `conflictsWith`,
/// `errors`, `requestId`) carry what a client needs to fix the request without parsing prose.
public struct Problem: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var instance: String?
    /// The request id, so a report can be matched with the server's one log line for it.
    public var requestId: String?
    /// The JSON path of the offending field, for validation problems.
    public var field: String?
    /// The name of the resource this one conflicts with, for 409s.
    public var conflictsWith: String?
    /// Several validation errors at once, each with its own pointer.
    public var errors: [FieldError]?

    public struct FieldError: Codable, Sendable, Equatable {
        public var pointer: String
        public var message: String
        public init(pointer: String, message: String) {
            self.pointer = pointer
            self.message = message
        }
    }

    public init(
        slug: String, title: String, status: Int, detail: String? = nil,
        field: String? = nil, conflictsWith: String? = nil, errors: [FieldError]? = nil
    ) {
        self.type = Problem.typePrefix + slug
        self.title = title
        self.status = status
        self.detail = detail
        self.field = field
        self.conflictsWith = conflictsWith
        self.errors = errors
    }

    /// Problem types are URNs: stable identifiers that need no documentation host to exist.
    /// Each one is described in docs/problems.md.
    public static let typePrefix = "urn:gatehouse:problem:"
    public static let mediaType = "application/problem+json"

    public var slug: String { String(type.dropFirst(Problem.typePrefix.count)) }
    public var description: String { "\(status) \(title)" + (detail.map { ": \($0)" } ?? "") }

    public func with(requestId: String?, instance: String? = nil) -> Problem {
        var copy = self
        copy.requestId = requestId
        if let instance { copy.instance = instance }
        return copy
    }

    /// The problem as JSON bytes, keys sorted so responses are stable.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data(#"{"status":500,"title":"Internal Server Error"}"#.utf8)
    }
}

// MARK: - The problems Gatehouse answers with

extension Problem {
    public static func malformedJSON(_ detail: String) -> Problem {
        Problem(slug: "malformed-json", title: "Malformed JSON", status: 400, detail: detail)
    }

    public static func invalidField(_ field: String, _ detail: String) -> Problem {
        Problem(slug: "invalid-field", title: "Invalid field", status: 400, detail: detail, field: field)
    }

    public static func unknownField(_ field: String) -> Problem {
        Problem(
            slug: "unknown-field", title: "Unknown field", status: 400,
            detail: "unknown field '\(field)'", field: field)
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(slug: "bad-request", title: "Bad Request", status: 400, detail: detail)
    }

    public static func unauthorized(_ detail: String) -> Problem {
        Problem(slug: "unauthorized", title: "Unauthorized", status: 401, detail: detail)
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(slug: "forbidden", title: "Forbidden", status: 403, detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(slug: "not-found", title: "Not Found", status: 404, detail: detail)
    }

    public static func methodNotAllowed(_ method: String, allowed: [String]) -> Problem {
        Problem(
            slug: "method-not-allowed", title: "Method Not Allowed", status: 405,
            detail: "\(method) is not allowed here; allowed: \(allowed.joined(separator: ", "))")
    }

    /// The client's address is refused by an IP rule. Says nothing of the address it saw, so a
    /// forged `X-Forwarded-For` learns nothing about how it was read.
    public static func addressNotAllowed() -> Problem {
        Problem(
            slug: "address-not-allowed", title: "Forbidden", status: 403,
            detail: "requests from the client's address are not allowed on this route")
    }

    /// A CORS preflight the route's CORS policy does not allow (origin, method or headers).
    public static func corsPreflightRefused() -> Problem {
        Problem(
            slug: "cors-refused", title: "Forbidden", status: 403,
            detail: "the route's CORS policy does not allow this origin, method or these request headers")
    }

    public static func conflict(_ detail: String, with other: String? = nil) -> Problem {
        Problem(slug: "conflict", title: "Conflict", status: 409, detail: detail, conflictsWith: other)
    }

    public static func preconditionFailed(_ detail: String) -> Problem {
        Problem(slug: "precondition-failed", title: "Precondition Failed", status: 412, detail: detail)
    }

    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            slug: "payload-too-large", title: "Content Too Large", status: 413,
            detail: "the request body exceeds the limit of \(limit) bytes")
    }

    /// Storing an upload would take its org past its storage quota (RFC 9110 §15.5.14: the
    /// server is not willing to take content this large from this tenant).
    public static func storageQuotaExceeded(_ detail: String) -> Problem {
        Problem(slug: "storage-quota-exceeded", title: "Content Too Large", status: 413, detail: detail)
    }

    public static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(slug: "unsupported-media-type", title: "Unsupported Media Type", status: 415, detail: detail)
    }

    public static func tooManyRequests(_ detail: String) -> Problem {
        Problem(slug: "rate-limited", title: "Too Many Requests", status: 429, detail: detail)
    }

    public static func quotaExceeded(_ detail: String) -> Problem {
        Problem(slug: "quota-exceeded", title: "Too Many Requests", status: 429, detail: detail)
    }

    public static func headersTooLarge(limit: Int) -> Problem {
        Problem(
            slug: "headers-too-large", title: "Request Header Fields Too Large", status: 431,
            detail: "the request's header fields exceed the limit of \(limit) bytes")
    }

    public static func internalError(_ detail: String = "an internal error occurred") -> Problem {
        Problem(slug: "internal", title: "Internal Server Error", status: 500, detail: detail)
    }

    /// The client did not send a request's header fields in time (a slow-header client).
    public static func requestTimeout() -> Problem {
        Problem(
            slug: "request-timeout", title: "Request Timeout", status: 408,
            detail: "the request's header fields did not arrive in time; the connection is closed")
    }

    /// A request feature the edge does not implement, such as a transfer coding other than
    /// `chunked` (RFC 9112 §6.1).
    public static func notImplemented(_ detail: String) -> Problem {
        Problem(slug: "not-implemented", title: "Not Implemented", status: 501, detail: detail)
    }

    public static func badGateway(_ detail: String) -> Problem {
        Problem(slug: "bad-gateway", title: "Bad Gateway", status: 502, detail: detail)
    }

    public static func unavailable(_ detail: String) -> Problem {
        Problem(slug: "unavailable", title: "Service Unavailable", status: 503, detail: detail)
    }

    public static func gatewayTimeout(_ detail: String) -> Problem {
        Problem(slug: "gateway-timeout", title: "Gateway Timeout", status: 504, detail: detail)
    }
}
