import Foundation
import GatehouseModel
import Testing

@testable import GatehouseClient

@Suite("Problems from error responses")
struct ProblemResponseTests {
    @Test func problemJSONIsDecoded() {
        let body = Data(
            #"""
            {"type": "urn:gatehouse:problem:unknown-field", "title": "Unknown field", "status": 400,
             "detail": "unknown field 'http.urll'", "field": "http.urll", "requestId": "r-1"}
            """#.utf8)
        let problem = ProblemResponse.problem(status: 400, contentType: "application/problem+json", body: body)
        #expect(problem == Problem.unknownField("http.urll").with(requestId: "r-1"))
    }

    @Test func conflictsWithAndParametersSurvive() {
        let body = Data(
            #"{"type":"urn:gatehouse:problem:conflict","title":"Conflict","status":409,"detail":"overlaps","conflictsWith":"other"}"#
                .utf8)
        let problem = ProblemResponse.problem(status: 409, contentType: "application/problem+json; charset=utf-8", body: body)
        #expect(problem.conflictsWith == "other")
        #expect(problem.slug == "conflict")
    }

    @Test func missingMembersTakeRFCDefaults() {
        let problem = ProblemResponse.problem(
            status: 403, contentType: "application/problem+json", body: Data(#"{"detail": "no"}"#.utf8))
        #expect(problem.type == "about:blank")
        #expect(problem.title == "Forbidden")
        #expect(problem.status == 403)
        #expect(problem.detail == "no")
    }

    @Test func nonProblemBodiesFallBackToStatusAndText() {
        let problem = ProblemResponse.problem(
            status: 502, contentType: "text/html", body: Data("<html>\n  <body>upstream down</body>\n</html>".utf8))
        #expect(problem.type == "about:blank")
        #expect(problem.title == "Bad Gateway")
        #expect(problem.status == 502)
        #expect(problem.detail == "<html> <body>upstream down</body> </html>")
    }

    @Test func problemContentTypeWithUnparsableBodyFallsBack() {
        let problem = ProblemResponse.problem(status: 500, contentType: Problem.mediaType, body: Data("oops".utf8))
        #expect(problem.title == "Internal Server Error")
        #expect(problem.detail == "oops")
    }

    @Test func emptyBody() {
        let problem = ProblemResponse.problem(status: 401, contentType: nil, body: Data())
        #expect(problem.title == "Unauthorized")
        #expect(problem.detail == nil)
    }
}
