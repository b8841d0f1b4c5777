import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import NIOConcurrencyHelpers

/// The functions' secrets, read from the store and unsealed when first needed, then kept per
/// document revision: a changed secret is read again, an unchanged one costs a lookup.
final class StoreSecretSource: SecretSource {
    private let store: any Store
    private let sealer: SecretSealer
    private let cache = NIOLockedValueBox([ResourceKey: (revision: Int64, values: [String: String])]())

    init(store: any Store, sealer: SecretSealer) {
        self.store = store
        self.sealer = sealer
    }

    func values(org: String, names: [String]) async throws -> [String: [String: String]] {
        guard !names.isEmpty else { return [:] }
        let keys = names.map { ResourceKey(kind: .secret, org: org, name: $0) }
        let documents = try await store.read { reader in try keys.map { try reader.document($0) } }
        var result: [String: [String: String]] = [:]
        for (key, document) in zip(keys, documents) {
            guard let document else { throw MissingSecret(name: key.name) }
            if let cached = cache.withLockedValue({ $0[key] }), cached.revision == document.revision {
                result[key.name] = cached.values
                continue
            }
            let values = try document.sealed.map { try sealer.open($0, org: org, name: key.name) } ?? [:]
            cache.withLockedValue { $0[key] = (document.revision, values) }
            result[key.name] = values
        }
        return result
    }
}
