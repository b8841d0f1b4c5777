import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// `PUT /v1/orgs/{org}/functions/{name}/code` uploads a function's code: one file
/// (`application/octet-stream`, named by `?filename=` or `Content-Disposition`), a `.tar.gz`
/// (`application/gzip`) or a `.zip` (`application/zip`). It is checked against the org's storage
/// quota, stored by digest and unpacked (`CodeUpload`), and the function answers `202` with
/// `status: building`; the runtime then prepares it (finds the handler, compiles the module),
/// the handler's file is compiled (`HandlerSyntaxCheck`), and the status becomes `ready` or
/// `error` with the reason.
/// `GET` of the same path returns the upload as it was stored.
enum CodeRoutes {
    static func register(on router: Router<AdminRequestContext>, store: any Store, services: FunctionServices, logger: Logger) {
        let codes = CodeStore(root: services.codeRoot)
        router.put("/v1/orgs/:org/functions/:name/code") { request, context in
            let org = context.parameters.get("org") ?? ""
            let name = context.parameters.get("name") ?? ""
            let current = try await services.deployed(org: org, name: name, store: store).function
            guard current.runtime.runsUploadedCode else {
                throw Problem.conflict(
                    "function '\(name)' has runtime '\(current.runtime.rawValue)', which runs no uploaded code (only process and wasm do)")
            }
            let (format, filename) = try uploadFormat(request)
            let body = try await JSONBody.collect(request, upTo: services.maxCodeBytes)
            guard body.readableBytes > 0 else { throw Problem.badRequest("the upload is empty") }
            let bytes = Array(body.readableBytesView)
            let upload = CodeUpload(org: org, function: name, store: store, codes: codes, storage: services.orgStorage, logger: logger)
            let (saved, code) = try await upload.run(bytes, format: format, filename: filename)
            // Off the request: a module may take a while to compile.
            let deployed = DeployedFunction(org: org, function: saved, codeRoot: services.codeRoot)
            Task {
                let prepared = await services.invoker.prepare(deployed)
                let failure = prepared.state == .ready
                    ? try? await NIOThreadPool.singleton.runIfActive { HandlerSyntaxCheck.failure(of: deployed) } : nil
                let status = failure.map { Function.Status(state: .error, reason: $0, updatedAt: Date()) } ?? prepared
                do {
                    _ = try await update(org: org, name: name, store: store) { function in
                        // A newer upload (or a runtime change) owns the status now.
                        guard function.code?.directoryName == code.directoryName, function.status?.state == .building else {
                            return
                        }
                        function.status = status
                    }
                } catch {
                    logger.error("function status not saved", metadata: ["org": "\(org)", "function": "\(name)", "error": "\(error)"])
                }
            }
            return try JSONResponse.make(.accepted, saved, etag: saved.revision)
        }
        router.get("/v1/orgs/:org/functions/:name/code") { _, context in
            let org = context.parameters.get("org") ?? ""
            let name = context.parameters.get("name") ?? ""
            let function = try await services.deployed(org: org, name: name, store: store).function
            guard let code = function.code, let data = FileManager.default.contents(atPath: codes.blob(for: code).path) else {
                throw Problem.notFound("function '\(name)' has no code")
            }
            var headers: HTTPFields = [.contentType: contentType(code.format), HTTPField.Name("digest")!: code.digest]
            if let filename = code.filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Reads, changes and writes the function in one transaction (the server's fields only).
    static func update(
        org: String, name: String, store: any Store, _ change: @escaping @Sendable (inout Function) -> Void
    ) async throws -> Function {
        try await store.write { writer in
            guard var function = try writer.resource(Function.self, org: org, name: name) else {
                throw Problem.notFound("function '\(name)' does not exist in org '\(org)'")
            }
            change(&function)
            return try writer.save(function, org: org, sealed: nil)
        }
    }

    static func uploadFormat(_ request: Request) throws -> (Function.Code.Format, String?) {
        let type = request.headers[.contentType]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        switch type {
        case "application/gzip", "application/x-gzip", "application/x-tar+gzip", "application/x-compressed-tar":
            return (.tarGzip, nil)
        case "application/zip", "application/x-zip-compressed":
            return (.zip, nil)
        case "application/octet-stream", "application/wasm", "text/plain", "text/x-python", "application/javascript":
            var filename: String? = request.uri.queryParameters.get("filename").map { String($0) }
            if filename == nil, let disposition = request.headers[.contentDisposition],
                let range = disposition.range(of: "filename=")
            {
                filename = String(disposition[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\"; "))
            }
            guard let filename, ResourceFileName.isValid(filename) else {
                throw Problem.invalidField(
                    "filename", "a single-file upload needs its name: ?filename=main.py (letters, digits, '.', '-', '_')")
            }
            return (.file, filename)
        default:
            throw Problem.unsupportedMediaType(
                "code is application/octet-stream (one file, with ?filename=), application/gzip (.tar.gz) or application/zip")
        }
    }

    private static func contentType(_ format: Function.Code.Format) -> String {
        switch format {
        case .file: "application/octet-stream"
        case .tarGzip: "application/gzip"
        case .zip: "application/zip"
        }
    }
}

/// A plain file name: 1-128 of letters, digits, '.', '-', '_', not starting with '.'.
enum ResourceFileName {
    static func isValid(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), name.utf8.first != UInt8(ascii: ".") else { return false }
        return name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D
                || $0 == 0x5F
        }
    }
}
