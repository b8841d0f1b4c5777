import Foundation
import GatehouseModel
import GatehouseStore
import NIOConcurrencyHelpers

/// Which org an API key id belongs to, for keys presented outside their org's paths (so that
/// the answer is "another org", 403, rather than "unknown key", 401). Rebuilt from the store
/// only when the store's revision has moved since the last build: a flood of made-up key ids
/// costs one revision read each, and at most one scan per write.
final class APIKeyOrgIndex: Sendable {
    private struct Built: Sendable {
        var orgs: [String: String] = [:]
        var revision: Int64 = -1
    }

    private let store: any Store
    private let built = NIOLockedValueBox(Built())

    init(store: any Store) {
        self.store = store
    }

    func org(ofKeyID keyId: String) async throws -> String? {
        let current = built.withLockedValue { $0 }
        if let known = current.orgs[keyId] { return known }
        let rebuilt: Built? = try await store.read { reader in
            let revision = try reader.revision()
            guard revision != current.revision else { return nil }
            var orgs: [String: String] = [:]
            for key in try reader.resources(OrgAPIKey.self, org: nil, after: nil, limit: nil) {
                if let id = key.keyId, let org = key.org { orgs[id] = org }
            }
            return Built(orgs: orgs, revision: revision)
        }
        guard let rebuilt else { return nil }
        built.withLockedValue { if $0.revision < rebuilt.revision { $0 = rebuilt } }
        return rebuilt.orgs[keyId]
    }
}
