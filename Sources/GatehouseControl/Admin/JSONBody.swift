import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird
import NIOCore

/// Reading and writing the admin API's JSON.
enum JSONBody {
    /// The body, bounded; anything but JSON is refused before it is read.
    static func read(_ request: Request) async throws -> Data {
        if let type = request.headers[.contentType] {
            let essence = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard essence == "application/json" || (essence.hasPrefix("application/") && essence.hasSuffix("+json")) else {
                throw Problem.unsupportedMediaType("the body must be application/json, not '\(type.prefix(100))'")
            }
        }
        let buffer = try await collect(request, upTo: AdminLimits.maxBodyBytes)
        guard buffer.readableBytes > 0 else { throw Problem.malformedJSON("the body is empty; send a JSON object") }
        return Data(buffer.readableBytesView)
    }

    /// Any body, whole, up to `limit` bytes (413 beyond).
    static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem.payloadTooLarge(limit: limit)
        }
    }

    /// Decodes strictly. On PUT the path names the resource, so the body may leave `name` out;
    /// when it gives one, it must agree.
    static func decode<R: Resource>(_ type: R.Type, from data: Data, pathName: String?) throws -> R {
        // Before anything reads `name`: with two, JSONSerialization keeps the first.
        try StrictJSON.checkSyntax(data)
        var data = data
        if let pathName,
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        {
            if let given = object["name"] as? String, given != pathName {
                throw Problem.invalidField("name", "the body's name '\(given.prefix(80))' differs from the path's '\(pathName)'")
            }
            if object["name"] is NSNull {
                throw Problem.invalidField("name", "'name' must be a string (or left out), not null")
            }
            if object["name"] == nil {
                object["name"] = pathName
                data = try JSONSerialization.data(withJSONObject: object)
            }
        }
        return try StrictJSON.decode(R.self, from: data)
    }
}

enum JSONResponse {
    static func make<T: Encodable>(
        _ status: HTTPResponse.Status, _ value: T, etag revision: Int64? = nil, headers extra: HTTPFields = [:]
    ) throws -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        if let revision { headers[.eTag] = ETag.make(revision) }
        let data = try StrictJSON.encoder.encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Strong ETags are the resource's revision in quotes.
enum ETag {
    static func make(_ revision: Int64) -> String { "\"\(revision)\"" }

    /// The revisions an `If-Match` list names; `nil` for `*`.
    static func revisions(in header: String) throws -> Set<Int64>? {
        guard !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Problem.badRequest("an empty If-Match names no entity tag")
        }
        var revisions: Set<Int64> = []
        for item in header.split(separator: ",") {
            let tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return nil }
            let bare = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
            guard bare.count >= 2, bare.hasPrefix("\""), bare.hasSuffix("\""), let revision = Int64(bare.dropFirst().dropLast())
            else {
                throw Problem.badRequest("'\(tag.prefix(40))' is not an entity tag this API issued (expected \"<revision>\")")
            }
            revisions.insert(revision)
        }
        return revisions
    }
}

/// `If-Match` / `If-None-Match: *` (RFC 9110 §13) for optimistic concurrency.
struct Preconditions: Sendable {
    /// nil: no If-Match. `.some(nil)`: `If-Match: *`.
    var ifMatch: Set<Int64>??
    var ifNoneMatchAny: Bool

    init(_ headers: HTTPFields) throws {
        ifMatch = try headers[.ifMatch].map { try ETag.revisions(in: $0) }
        if let noneMatch = headers[.ifNoneMatch] {
            guard noneMatch.trimmingCharacters(in: .whitespaces) == "*" else {
                throw Problem.badRequest("only 'If-None-Match: *' is supported on writes")
            }
            ifNoneMatchAny = true
        } else {
            ifNoneMatchAny = false
        }
    }

    func check(existingRevision: Int64?) throws {
        if let ifMatch {
            guard let existingRevision else {
                throw Problem.preconditionFailed("If-Match was given but the resource does not exist")
            }
            if let revisions = ifMatch, !revisions.contains(existingRevision) {
                throw Problem.preconditionFailed(
                    "the resource changed: its revision is \(existingRevision); read it again and retry")
            }
        }
        if ifNoneMatchAny, existingRevision != nil {
            throw Problem.preconditionFailed("If-None-Match: * was given but the resource exists")
        }
    }
}

/// Page cursors are opaque to clients: base64url of the last name of the previous page.
enum Cursor {
    static func encode(_ name: String) -> String {
        Data(name.utf8).base64URLEncodedString()
    }

    static func decode(_ cursor: String) throws -> String {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64), let name = String(data: data, encoding: .utf8),
            ResourceName.isValid(name)
        else {
            throw Problem.badRequest("cursor is not one this API issued")
        }
        return name
    }
}
