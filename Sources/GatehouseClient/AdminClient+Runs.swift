import Foundation
import GatehouseModel

/// Functions' code, invocations and runs.
extension AdminClient {
    /// Uploads code (a file with its name, a .tar.gz or a .zip); the function, `building`.
    public func uploadCode(_ data: Data, format: Function.Code.Format, filename: String?, function: String, org: String) async throws
        -> Function
    {
        let contentType =
            switch format {
            case .file: "application/octet-stream"
            case .tarGzip: "application/gzip"
            case .zip: "application/zip"
            }
        let response = try await exchange(
            .put, path: try ResourcePath.item(.function, name: function, org: org) + "/code",
            query: filename.map { [("filename", $0)] } ?? [], body: data, contentType: contentType)
        guard (200..<300).contains(response.status) else {
            throw ProblemResponse.problem(status: response.status, contentType: response.contentType, body: response.body)
        }
        return try decode(Function.self, from: Response(status: response.status, body: response.body), what: "the function")
    }

    /// What `POST .../invoke` answered: the function's response (any status), or a queued run.
    public struct Invocation: Sendable {
        public var status: Int
        public var contentType: String?
        public var body: Data
        public var runId: String?
        /// Set when Gatehouse answered in the function's place.
        public var problem: Problem?
    }

    public func invoke(_ function: String, org: String, data: Data?, contentType: String?, async: Bool) async throws -> Invocation {
        let response = try await exchange(
            .post, path: try ResourcePath.item(.function, name: function, org: org) + "/invoke", body: data ?? Data(),
            contentType: contentType ?? "application/json", headers: async ? [("Prefer", "respond-async")] : [])
        var problem: Problem?
        if response.contentType?.hasPrefix(Problem.mediaType) == true {
            problem = try? StrictJSON.decoder.decode(Problem.self, from: response.body)
        }
        return Invocation(
            status: response.status, contentType: response.contentType, body: response.body,
            runId: response.header("x-gatehouse-run-id"), problem: problem)
    }

    public func runs(org: String, function: String?, limit: Int?, cursor: String?) async throws -> (items: [Run], nextCursor: String?) {
        var query: [(String, String)] = []
        if let function { query.append(("function", function)) }
        if let limit { query.append(("limit", String(limit))) }
        if let cursor { query.append(("cursor", cursor)) }
        let response = try await send(.get, path: try ResourcePath.collection(.org, org: nil) + "/\(org)/runs", query: query)
        struct RunPage: Decodable {
            var items: [Run]
            var nextCursor: String?
        }
        let page = try decode(RunPage.self, from: response, what: "the runs")
        return (page.items, page.nextCursor)
    }

    public func run(_ id: String, org: String) async throws -> Run {
        let response = try await send(.get, path: try ResourcePath.collection(.org, org: nil) + "/\(org)/runs/\(id)")
        return try decode(Run.self, from: response, what: "the run")
    }
}

extension OutputRenderer {
    /// Runs as a table (newest first), or their JSON / YAML.
    public func render(runs: [Run]) throws -> String {
        switch format {
        case .json: return try Self.json(try JSONValue(encoding: runs))
        case .yaml: return try Self.yaml(try runs.map { try JSONValue(encoding: $0) })
        case .table:
            let rows = runs.map { run in
                [
                    run.id, run.function, run.status.rawValue, run.httpStatus.map(String.init) ?? "-", run.errorType?.rawValue ?? "-",
                    run.durationMs.map { "\($0)ms" } ?? "-", run.async ? "async" : "sync",
                    ISO8601DateFormatter().string(from: run.createdAt),
                ]
            }
            return TextTable(headers: ["ID", "FUNCTION", "STATUS", "HTTP", "ERROR", "DURATION", "MODE", "CREATED"], rows: rows).rendered
        }
    }
}
