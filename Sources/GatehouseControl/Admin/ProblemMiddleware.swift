import Foundation
import GatehouseModel
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error of the control listener into an RFC 9457 problem carrying the request id,
/// and gives every response an `X-Request-Id`.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestId = RequestIds.from(request.headers)
        do {
            var response = try await next(request, context)
            // A handler that made its own id (and passed it on to a function's run) keeps it.
            if response.headers[.xRequestId] == nil { response.headers[.xRequestId] = requestId }
            return response
        } catch let problem as Problem {
            return render(problem, requestId: requestId, request: request)
        } catch let refusal as ChallengedProblem {
            return render(refusal.problem, requestId: requestId, request: request, headers: [.wwwAuthenticate: refusal.challenge])
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = AdminPaths.allowedMethods(for: request.uri.path),
                !allowed.contains(request.method.rawValue)
            {
                return render(
                    .methodNotAllowed(request.method.rawValue, allowed: allowed), requestId: requestId, request: request,
                    headers: [.allow: allowed.joined(separator: ", ")])
            }
            return render(Self.problem(for: error.status), requestId: requestId, request: request, headers: error.headers)
        } catch let error as any HTTPResponseError {
            return render(Self.problem(for: error.status), requestId: requestId, request: request)
        } catch {
            logger.error(
                "control request failed", metadata: ["request_id": "\(requestId)", "error": "\(String(reflecting: error))"])
            return render(.internalError(), requestId: requestId, request: request)
        }
    }

    private func render(_ problem: Problem, requestId: String, request: Request, headers extra: HTTPFields = [:]) -> Response {
        if problem.status >= 500 {
            logger.error("control request failed", metadata: ["request_id": "\(requestId)", "problem": "\(problem)"])
        }
        var headers = extra
        headers[.contentType] = Problem.mediaType
        headers[.xRequestId] = requestId
        if problem.status == 401, headers[.wwwAuthenticate] == nil { headers[.wwwAuthenticate] = #"Bearer realm="gatehouse""# }
        let body = problem.with(requestId: requestId, instance: request.uri.path).encoded()
        return Response(
            status: .init(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func problem(for status: HTTPResponse.Status) -> Problem {
        switch status.code {
        case 404: .notFound("no such endpoint")
        case 405: .methodNotAllowed("this method", allowed: [])
        case 413: .payloadTooLarge(limit: AdminLimits.maxBodyBytes)
        case 400: .badRequest(status.reasonPhrase)
        default:
            Problem(slug: "http-\(status.code)", title: status.reasonPhrase, status: status.code)
        }
    }
}

enum AdminLimits {
    static let maxBodyBytes = 1 << 20
}

enum RequestIds {
    static func from(_ headers: HTTPFields) -> String {
        if let given = headers[.xRequestId], RequestIDRule.accepts(given) {
            return given
        }
        return UUID().uuidString.lowercased()
    }
}

extension HTTPField.Name {
    static let xRequestId = HTTPField.Name("x-request-id")!
}
