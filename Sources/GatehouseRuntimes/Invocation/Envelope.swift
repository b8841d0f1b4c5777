import Foundation
import GatehouseModel
import JSONSchema

/// Dispatch's invocation envelope: `{"context": {...}, "payload": ...}`. The function gets the
/// HTTP request's context, its deadline, its secrets and its caller in `context`, and the
/// request body as `payload`: the JSON value when the body is JSON, else the text, else base64
/// (with `context.http.bodyEncoding: "base64"`); `null` when there is no body.
enum Envelope {
    static let modeHeader = "x-gatehouse-mode"

    /// The request the driver sends in envelope mode: `POST /` with the envelope as JSON body.
    static func request(
        wrapping request: InvocationRequest, payload: JSONValue?, secrets: [String: [String: String]], env: [String: String]
    ) -> InvocationRequest {
        let context = request.context
        var http: [String: JSONValue] = [
            "method": .string(request.method),
            "path": .string(request.path),
            "query": .string(request.query),
            "headers": .object(headerObject(request.headers)),
        ]
        let body: JSONValue
        if let payload {
            body = payload
        } else if request.body.isEmpty {
            body = .null
        } else if let text = String(validating: request.body, as: UTF8.self) {
            body = .string(text)
        } else {
            body = .string(Data(request.body).base64EncodedString())
            http["bodyEncoding"] = .string("base64")
        }
        var contextObject: [String: JSONValue] = [
            "runId": .string(context.runId),
            "requestId": .string(context.requestId),
            "org": .string(context.org),
            "function": .string(context.function),
            "deadline": .string(Self.timestamp(context.deadlineDate)),
            "async": .bool(context.isAsync),
            "http": .object(http),
            "secrets": .object(secrets.mapValues { .object($0.mapValues(JSONValue.string)) }),
            "env": .object(env.mapValues(JSONValue.string)),
        ]
        contextObject["route"] = context.route.map(JSONValue.string) ?? .null
        if let caller = context.caller {
            var callerObject: [String: JSONValue] = [
                "subject": .string(caller.subject),
                "kind": .string(caller.kind),
                "groups": .array(caller.groups.map(JSONValue.string)),
                "scopes": .array(caller.scopes.map(JSONValue.string)),
            ]
            callerObject["provider"] = caller.provider.map(JSONValue.string) ?? .null
            contextObject["caller"] = .object(callerObject)
        } else {
            contextObject["caller"] = .null
        }
        let envelope: JSONValue = .object(["context": .object(contextObject), "payload": body])
        var headers: [(name: String, value: String)] = [
            (name: "content-type", value: "application/json"),
            (name: modeHeader, value: "envelope"),
            (name: "x-request-id", value: context.requestId),
        ]
        if let token = context.caller?.identityToken {
            headers.append((name: "x-gatehouse-identity", value: token))
        }
        return InvocationRequest(
            method: "POST", path: "/", query: "", headers: headers, body: Array(JSONText.encode(envelope).utf8),
            context: context)
    }

    /// Headers as one JSON object: lowercased names, repeated fields joined with ", " as
    /// RFC 9110 §5.3 allows.
    static func headerObject(_ headers: [(name: String, value: String)]) -> [String: JSONValue] {
        var merged: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            merged[key] = merged[key].map { $0 + ", " + value } ?? value
        }
        return merged.mapValues(JSONValue.string)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// Compact JSON text of a `JSONValue`, members sorted so the output is stable.
enum JSONText {
    static func encode(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += number.description
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                writeString(key, to: &out)
                out += ":"
                write(members[key]!, to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
