import Foundation
import GatehouseModel
import GatehouseStore
import Logging
import NIOPosix

/// One code upload, from its bytes to the function that names them: checked against the org's
/// storage quota before anything is written and again once unpacked, stored, and saved as the
/// function's code with status `building`. What it stored is held from the collector until the
/// function names it; what a refused upload stored, and the code the upload replaced, go at once.
struct CodeUpload: Sendable {
    let org: String
    let function: String
    let store: any Store
    let codes: CodeStore
    let storage: OrgStorage
    let logger: Logger

    func run(_ bytes: [UInt8], format: Function.Code.Format, filename: String?) async throws -> (Function, Function.Code) {
        let collector = CodeCollector(store: store, codes: codes, logger: logger)
        let (org, function, store, codes, storage) = (org, function, store, codes, storage)
        let result: (Function, Function.Code)
        do {
            result = try await OrgUploadLock.shared.exclusive(org: org) {
                let (limit, used) = try await store.read { reader in
                    guard let owner = try reader.resource(Org.self, org: "", name: org) else {
                        throw Problem.notFound("org '\(org)' does not exist")
                    }
                    return (storage.limit(of: owner), try storage.usedBytes(org: org, in: reader, replacing: function))
                }
                let room = limit - used
                let named = CodeStore.code(of: bytes, format: format, filename: filename)
                guard named.size <= room else {
                    throw OrgStorage.exceeded(org: org, needed: "\(named.size) bytes", room: room, limit: limit)
                }
                let hold = CodeHolds.shared.hold(CodeStore.entries(of: named))
                defer { CodeHolds.shared.release(hold) }
                let code: Function.Code
                do {
                    // Hashing up to maxCodeBytes, writing files and waiting for tar or python: none
                    // of it may hold an event loop or a thread of the cooperative pool.
                    code = try await NIOThreadPool.singleton.runIfActive {
                        try codes.store(bytes, as: named, maxUnpackedBytes: room - named.size)
                    }
                } catch let failure as CodeArchive.Failure {
                    if let detail = failure.logDetail {
                        logger.notice(
                            "uploaded code could not be unpacked",
                            metadata: ["org": "\(org)", "function": "\(function)", "error": "\(detail)"])
                    }
                    if case .tooLarge(let unpackedLimit) = failure, unpackedLimit < CodeArchive.maxUnpackedBytes {
                        throw OrgStorage.exceeded(org: org, needed: "more than \(room) bytes", room: room, limit: limit)
                    }
                    throw Problem.invalidField("code", failure.description)
                }
                guard code.storedBytes <= room else {
                    throw OrgStorage.exceeded(org: org, needed: "\(code.storedBytes) bytes", room: room, limit: limit)
                }
                let building = Function.Status(state: .building, updatedAt: Date())
                let saved = try await CodeRoutes.update(org: org, name: function, store: store) { function in
                    function.code = code
                    function.status = building
                }
                return (saved, code)
            }
        } catch {
            // A refused upload leaves nothing behind that no function names.
            await collector.collectLogging()
            throw error
        }
        return result
    }
}
