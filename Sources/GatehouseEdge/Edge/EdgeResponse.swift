import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// Responses the edge writes itself (problems and health), as complete HTTP messages.
enum EdgeResponse {
    static func problem(
        _ problem: Problem, requestId: String, version: HTTPVersion, extraHeaders: [(String, String)] = [],
        allocator: ByteBufferAllocator
    ) -> (HTTPResponseHead, ByteBuffer) {
        let body = allocator.buffer(bytes: problem.with(requestId: requestId).encoded())
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: Problem.mediaType)
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "x-request-id", value: requestId)
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        return (HTTPResponseHead(version: version, status: .init(statusCode: problem.status), headers: headers), body)
    }

    /// A 204 (CORS preflights): no body and, as RFC 9110 requires of a 204, no Content-Length.
    static func noContent(requestId: String, version: HTTPVersion, extraHeaders: [(String, String)]) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "x-request-id", value: requestId)
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        return HTTPResponseHead(version: version, status: .noContent, headers: headers)
    }

    static func health(revision: Int64, requestId: String, version: HTTPVersion, allocator: ByteBufferAllocator)
        -> (HTTPResponseHead, ByteBuffer)
    {
        let body = allocator.buffer(string: #"{"revision":\#(revision),"status":"ok"}"#)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "x-request-id", value: requestId)
        headers.add(name: "cache-control", value: "no-store")
        return (HTTPResponseHead(version: version, status: .ok, headers: headers), body)
    }
}
