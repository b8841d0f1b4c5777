import Foundation
import GatehouseModel

/// The WAGI interface (WebAssembly Gateway Interface, CGI for WASI modules): the request as
/// CGI environment variables and stdin, the response as CGI header lines, a blank line and the
/// body on stdout.
enum WAGI {
    /// RFC 3875's variables, one `HTTP_*` per request header, then the function's `env`, then
    /// its secrets as `GATEHOUSE_SECRET_<SECRET>_<KEY>` (uppercased, other characters as `_`).
    static func environment(_ request: RuntimeRequest, function: String) -> [String: String] {
        let invocation = request.request
        var environment: [String: String] = [
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "gatehouse",
            "REQUEST_METHOD": invocation.method,
            "PATH_INFO": invocation.path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": invocation.query,
            "CONTENT_LENGTH": String(invocation.body.count),
            "X_FULL_URL": invocation.path + (invocation.query.isEmpty ? "" : "?" + invocation.query),
            "X_MATCHED_ROUTE": invocation.context.route ?? "",
            "X_REQUEST_ID": invocation.context.requestId,
            "GATEHOUSE_FUNCTION": function,
            "GATEHOUSE_ORG": invocation.context.org,
        ]
        if let type = invocation.header("content-type") { environment["CONTENT_TYPE"] = type }
        for (name, value) in invocation.headers {
            let key = "HTTP_" + variableName(name)
            environment[key] = environment[key].map { $0 + ", " + value } ?? value
        }
        for (name, value) in request.env { environment[name] = value }
        for (secret, values) in request.secrets {
            for (key, value) in values { environment["GATEHOUSE_SECRET_\(variableName(secret))_\(variableName(key))"] = value }
        }
        return environment
    }

    static func variableName(_ name: String) -> String {
        String(name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Splits stdout into the response: header lines up to the first blank line (`\n` or
    /// `\r\n`), `Status: 404 Not Found` for the status (302 with a `Location` and no status),
    /// the rest as body.
    static func response(_ output: [UInt8]) throws(RuntimeError) -> (status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        var index = 0
        var headers: [(name: String, value: String)] = []
        var status: Int?
        while true {
            guard let end = output[index...].firstIndex(of: UInt8(ascii: "\n")) else {
                throw .functionFailed("the module's output has no CGI header block (header lines, then an empty line, then the body)", logs: [])
            }
            var line = output[index..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            index = end + 1
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw .functionFailed(
                    "the module's output has a CGI header line without ':' ('\(String(decoding: line.prefix(80), as: UTF8.self))')", logs: [])
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                guard let code = Int(value.prefix { $0.isNumber }), (100...599).contains(code) else {
                    throw .functionFailed("the module's Status header '\(value.prefix(40))' is not a status code", logs: [])
                }
                status = code
            } else {
                headers.append((name: name, value: value))
            }
            guard headers.count <= 100 else { throw .functionFailed("the module sent more than 100 header lines", logs: []) }
        }
        let redirect = headers.contains { $0.name.lowercased() == "location" }
        return (status ?? (redirect ? 302 : 200), headers, Array(output[index...]))
    }
}
