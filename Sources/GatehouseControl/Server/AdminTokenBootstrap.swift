import Foundation
import GatehouseIdentity
import GatehouseStore
import Logging

/// The platform admin token: created on first start, written once to `<data-dir>/admin-token`
/// (0600) for the operator, and stored only as a hash.
enum AdminTokenBootstrap {
    static let settingName = "admin-token-sha256"
    static let fileName = "admin-token"

    static func ensure(store: any Store, dataDir: URL, logger: Logger) async throws -> AdminTokenVerifier {
        let file = dataDir.appendingPathComponent(fileName)
        if let hash = try await store.read({ try $0.setting(settingName) }) {
            if !FileManager.default.fileExists(atPath: file.path) {
                logger.warning(
                    "the admin token file is gone; the stored token hash still applies",
                    metadata: ["path": "\(file.path)"])
            }
            return AdminTokenVerifier(expectedHash: hash)
        }
        let token = AdminToken.generate()
        try AtomicFile.store(token + "\n", at: file, permissions: AtomicFile.privateKeyPermissions)
        let hash = AdminToken.hash(token)
        try await store.write { try $0.setSetting(settingName, hash) }
        logger.notice("created the platform admin token", metadata: ["path": "\(file.path)"])
        return AdminTokenVerifier(expectedHash: hash)
    }
}
