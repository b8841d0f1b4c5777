import Foundation
import GatehouseModel

/// Gatehouse's token-signing keys (platform admin only).
extension AdminClient {
    public func signingKeys() async throws -> [SigningKeyInfo] {
        let response = try await send(.get, path: "/v1/signing-keys")
        return try decode(SigningKeyList.self, from: response, what: "the signing keys").items
    }

    /// Makes a new current key; the previous one keeps verifying the tokens it signed.
    public func rotateSigningKey() async throws -> [SigningKeyInfo] {
        let response = try await send(.post, path: "/v1/signing-keys/rotate")
        return try decode(SigningKeyList.self, from: response, what: "the signing keys").items
    }
}

extension OutputRenderer {
    /// Signing keys as a table (KEY ID, STATUS, CREATED, RETIRED, PUBLISHED UNTIL), or their JSON / YAML.
    public func render(signingKeys keys: [SigningKeyInfo]) throws -> String {
        switch format {
        case .json: return try Self.json(.array(keys.map(JSONValue.init(encoding:))))
        case .yaml: return try Self.yaml(keys.map(JSONValue.init(encoding:)))
        case .table:
            let time = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } ?? "" }
            return TextTable(
                headers: ["KEY ID", "STATUS", "CREATED", "RETIRED", "PUBLISHED UNTIL"],
                rows: keys.map { [$0.keyId, $0.status.rawValue, time($0.createdAt), time($0.retiredAt), time($0.publishedUntil)] }
            ).rendered
        }
    }
}
