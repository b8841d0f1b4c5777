import Foundation
import GatehouseModel

/// Function code, direct invocation and runs: the admin API beyond resource CRUD.
extension AdminClient {
    /// What an upload carries: the bytes and how the server should read them.
    public struct CodeUpload: Sendable {
        public var bytes: Data
        public var format: Function.Code.Format
        /// The file's name, for a single-file upload.
        public var filename: String?

        public init(bytes: Data, format: Function.Code.Format, filename: String? = nil) {
            self.bytes = bytes
            self.format = format
            self.filename = filename
        }

        var contentType: String {
            switch format {
            case .file: "application/octet-stream"
            case .tarGzip: "application/gzip"
            case .zip: "application/zip"
            }
        }
    }

    /// `PUT .../functions/{name}/code`: the function as stored, `building` until its runtime has
    /// prepared the code. An upload larger than the server's limit (from `/v1/version`, when the
    /// server has it) is refused here, before anything is sent; `progress` hears the bytes sent.
    public func uploadCode(
        _ upload: CodeUpload, function: String, org: String, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> Function {
        if let limit = try await version()?.limits.maxCodeBytes, upload.bytes.count > limit {
            throw Problem.payloadTooLarge(limit: limit)
        }
        let response = try await exchange(
            .put, path: ResourcePath.function(function, org: org, "code"),
            query: upload.filename.map { [("filename", $0)] } ?? [],
            headers: [("Accept", "application/json, \(Problem.mediaType)"), ("Content-Type", upload.contentType)],
            body: upload.bytes, progress: progress)
        let checked = try Self.successful(response)
        return try decode(Function.self, from: checked, what: "the function")
    }

    /// `GET /v1/version`: the server's version and limits; nil from a server without it (404).
    public func version() async throws -> ServerVersion? {
        let response = try await exchange(.get, path: "/v1/version", headers: [("Accept", "application/json")])
        if response.status == 404 { return nil }
        return try decode(ServerVersion.self, from: try Self.successful(response), what: "the server's version")
    }

    /// `GET .../functions/{name}/code`: the upload as stored.
    public func code(function: String, org: String) async throws -> Data {
        let response = try await exchange(.get, path: ResourcePath.function(function, org: org, "code"))
        return try Self.successful(response).body
    }

    /// What `/invoke` answered: the function's response (or a problem Gatehouse answered in its
    /// place), and for an asynchronous invocation the accepted run.
    public struct Invocation: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: Data
        public var runId: String?
        /// `Prefer: respond-async`: the queued run (202).
        public var acceptedRun: Run?
    }

    /// `POST .../functions/{name}/invoke`. A non-2xx answer of the function is returned, not
    /// thrown: it is the function's; only failures of the call itself (401, 403, 404) throw.
    public func invoke(
        function: String, org: String, payload: Data, contentType: String?, async: Bool
    ) async throws -> Invocation {
        var headers: [(String, String)] = [("Accept", "*/*")]
        if let contentType { headers.append(("Content-Type", contentType)) }
        if async { headers.append(("Prefer", "respond-async")) }
        let response = try await exchange(
            .post, path: ResourcePath.function(function, org: org, "invoke"), headers: headers, body: payload)
        // Without a run id Gatehouse refused the call before any run began (no access, no such
        // function, too large): that is the call's failure, not the function's answer.
        guard let runId = response.header("x-gatehouse-run-id") else {
            _ = try Self.successful(response)
            throw AdminClientError.invalidResponse("the server did not name the run (x-gatehouse-run-id)")
        }
        var invocation = Invocation(
            status: response.status, contentType: response.contentType, body: response.body, runId: runId)
        if async && response.status == 202 {
            invocation.acceptedRun = try decode(Run.self, from: Response(status: 202, body: response.body), what: "the run")
        }
        return invocation
    }

    /// One page of the org's runs, newest first.
    public func runs(org: String, function: String? = nil, cursor: String? = nil, limit: Int? = nil) async throws -> RunPage {
        var query: [(String, String)] = []
        if let function { query.append(("function", function)) }
        if let cursor { query.append(("cursor", cursor)) }
        if let limit { query.append(("limit", String(limit))) }
        let response = try await send(.get, path: ResourcePath.runs(org: org), query: query)
        return try decode(RunPage.self, from: response, what: "a page of runs")
    }

    public func run(_ id: String, org: String) async throws -> Run {
        let response = try await send(.get, path: ResourcePath.runs(org: org, id: id))
        return try decode(Run.self, from: response, what: "the run")
    }

    private static func successful(_ response: HTTPExchangeResponse) throws -> Response {
        guard (200..<300).contains(response.status) else {
            throw ProblemResponse.problem(status: response.status, contentType: response.contentType, body: response.body)
        }
        return Response(status: response.status, body: response.body)
    }
}

/// A page of runs, newest first; `nextCursor` is nil on the last page.
public struct RunPage: Decodable, Sendable {
    public var items: [Run]
    public var nextCursor: String?
}

extension OutputRenderer {
    /// Whether a run has logs (`gatehouse run get` shows them): their size, or `-`.
    static func logsCell(_ run: Run) -> String {
        guard let logs = run.logs, !logs.isEmpty else { return "-" }
        return "\(logs.utf8.count) B" + ((run.logsTruncated ?? false) ? "+" : "")
    }

    /// Runs as a table (ID, FUNCTION, STATUS, HTTP, ERROR, DURATION, MODE, LOGS, AGE), or their JSON / YAML.
    public func render(runs: [Run]) throws -> String {
        switch format {
        case .json: return try Self.json(.array(runs.map { try JSONValue(encoding: $0) }))
        case .yaml: return try Self.yaml(runs.map { try JSONValue(encoding: $0) })
        case .table:
            let rows = runs.map { run in
                [
                    run.id, run.function, run.status.rawValue, run.httpStatus.map(String.init) ?? "",
                    run.errorType?.rawValue ?? "", run.durationMs.map { TableCell.duration(milliseconds: $0) } ?? "",
                    run.async ? "async" : "sync", Self.logsCell(run), TableCell.age(since: run.createdAt, now: now),
                ]
            }
            return TextTable(
                headers: ["ID", "FUNCTION", "STATUS", "HTTP", "ERROR", "DURATION", "MODE", "LOGS", "AGE"], rows: rows
            ).rendered
        }
    }

    /// One run: its JSON or YAML, or for a table its fields one per line, then output and logs.
    public func render(run: Run) throws -> String {
        switch format {
        case .json: return try Self.json(try JSONValue(encoding: run))
        case .yaml: return try Self.yaml([try JSONValue(encoding: run)])
        case .table:
            var lines = [
                "ID:        \(run.id)", "FUNCTION:  \(run.function)", "STATUS:    \(run.status.rawValue)",
                "MODE:      \(run.async ? "async" : "sync")",
            ]
            if let route = run.route { lines.append("ROUTE:     \(route)") }
            if let caller = run.caller { lines.append("CALLER:    \(caller)") }
            if let httpStatus = run.httpStatus { lines.append("HTTP:      \(httpStatus)") }
            if let errorType = run.errorType { lines.append("ERROR:     \(errorType.rawValue): \(run.error ?? "")") }
            if let durationMs = run.durationMs { lines.append("DURATION:  \(TableCell.duration(milliseconds: durationMs))") }
            lines.append("CREATED:   \(TableCell.age(since: run.createdAt, now: now)) ago")
            if let output = run.output {
                lines.append("--- output\((run.outputTruncated ?? false) ? " (truncated)" : "")")
                lines.append(output)
            }
            if let logs = run.logs, !logs.isEmpty {
                lines.append("--- logs\((run.logsTruncated ?? false) ? " (truncated)" : "")")
                lines.append(logs)
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
