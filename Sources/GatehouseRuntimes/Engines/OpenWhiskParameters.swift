import Foundation
import GatehouseModel

/// Turns requests into OpenWhisk action parameters and activation results into responses, the
/// way OpenWhisk's web actions do, so an action written as a web action works unchanged.
enum OpenWhiskParameters {
    /// http mode: `__ow_method`, `__ow_headers`, `__ow_path`, `__ow_query`, and the body: a JSON
    /// object's members become parameters (as web actions merge them); any other body is
    /// `__ow_body`, text as is, anything else base64. The `__ow_*` fields win over members.
    /// envelope mode: the envelope object itself.
    static func parameters(for request: RuntimeRequest) throws(RuntimeError) -> [String: Any] {
        let invocation = request.request
        if request.mode == .envelope {
            guard let envelope = try? JSONSerialization.jsonObject(with: Data(invocation.body)) as? [String: Any] else {
                throw .system("the envelope is not a JSON object")
            }
            return envelope
        }
        var parameters: [String: Any] = [:]
        let contentType = invocation.header("content-type")?.lowercased() ?? ""
        if !invocation.body.isEmpty {
            if contentType.hasPrefix("application/json"),
                let object = try? JSONSerialization.jsonObject(with: Data(invocation.body)) as? [String: Any]
            {
                parameters = object
            } else if isText(contentType), let text = String(validating: invocation.body, as: UTF8.self) {
                parameters["__ow_body"] = text
            } else {
                parameters["__ow_body"] = Data(invocation.body).base64EncodedString()
            }
        }
        var headers: [String: String] = [:]
        for (name, value) in invocation.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        parameters["__ow_method"] = invocation.method.lowercased()
        parameters["__ow_headers"] = headers
        parameters["__ow_path"] = invocation.path
        parameters["__ow_query"] = invocation.query
        return parameters
    }

    static func isText(_ contentType: String) -> Bool {
        contentType.isEmpty || contentType.hasPrefix("text/") || contentType.hasPrefix("application/json")
            || contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.hasPrefix("application/xml")
            || contentType.contains("+json") || contentType.contains("+xml")
    }

    /// The action's result as the function's answer. envelope mode: the result is the return
    /// value. http mode: a web action response (`statusCode`, `headers`, `body`) becomes that
    /// HTTP response; any other object is returned as JSON with 200.
    static func response(result: Any, mode: Function.Mode, logs: [UInt8]) throws(RuntimeError) -> RuntimeResponse {
        let json = [(name: "content-type", value: "application/json")]
        guard mode == .http, let object = result as? [String: Any],
            object["statusCode"] != nil || object["headers"] != nil || object["body"] != nil
        else {
            return RuntimeResponse(status: 200, headers: json, body: try serialize(result), logs: logs)
        }
        let status: Int
        switch object["statusCode"] {
        case nil: status = 200
        case let code as Int where (100...599).contains(code): status = code
        default: throw .functionFailed("the action's statusCode is not an HTTP status", logs: logs)
        }
        var headers: [(name: String, value: String)] = []
        if let given = object["headers"] as? [String: Any] {
            for (name, value) in given.sorted(by: { $0.key < $1.key }) {
                guard !EngineHTTP.droppedResponseHeaders.contains(name.lowercased()) else { continue }
                headers.append((name: name, value: value as? String ?? "\(value)"))
            }
        }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value.lowercased()
        var body: [UInt8] = []
        switch object["body"] {
        case nil, is NSNull: break
        case let text as String:
            // Web actions return binary bodies base64-encoded, with a non-text content type.
            if let contentType, !isText(contentType), let data = Data(base64Encoded: text) {
                body = Array(data)
            } else {
                body = Array(text.utf8)
                if contentType == nil { headers.append((name: "content-type", value: "text/html; charset=utf-8")) }
            }
        case let other?:
            body = try serialize(other)
            if contentType == nil { headers.append((name: "content-type", value: "application/json")) }
        }
        return RuntimeResponse(status: status, headers: headers, body: body, logs: logs)
    }

    static func serialize(_ value: Any) throws(RuntimeError) -> [UInt8] {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else {
            throw .functionFailed("the action's result is not JSON", logs: [])
        }
        return Array(data)
    }
}
