import Crypto
import Foundation

/// Seals Gatehouse's signing keys for the data directory: AES-256-GCM under the master key.
///
/// Format: `version (1 byte) | nonce (12) | ciphertext | tag (16)`; the version byte and the
/// file's purpose are authenticated data, so a sealed file cannot be passed off as another kind.
///
/// `GatehouseStore.SecretSealer` does the same for secret values, but it lives in the store
/// module (the edge, which links this module, must not pull in SQLite) and its shape is a map
/// of strings bound to an org/name; signing keys are one document bound to a purpose.
struct KeyFileSealer: Sendable {
    static let keyByteCount = 32
    static let formatVersion: UInt8 = 1

    private let key: SymmetricKey

    init(masterKey: some ContiguousBytes) throws(TokenIssuerError) {
        let key = SymmetricKey(data: masterKey)
        guard key.bitCount == Self.keyByteCount * 8 else { throw .wrongMasterKeyLength(byteCount: key.bitCount / 8) }
        self.key = key
    }

    func seal(_ plaintext: Data, purpose: String) throws(TokenIssuerError) -> Data {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Self.authenticatedData(purpose))
            // `combined` is nil only for nonces other than 12 bytes; AES.GCM.seal makes 12-byte ones.
            guard let combined = box.combined else { throw TokenIssuerError.sealingFailed }
            return Data([Self.formatVersion]) + combined
        } catch {
            throw .sealingFailed
        }
    }

    func open(_ sealed: Data, purpose: String) throws(TokenIssuerError) -> Data {
        let bytes = Data(sealed)  // indexed from 0, whatever slice was passed
        guard bytes.count >= 1 + 12 + 16 else { throw .keyFileUnreadable(reason: "it is too short") }
        guard bytes[0] == Self.formatVersion else {
            throw .keyFileUnreadable(reason: "it has format version \(bytes[0]), which this Gatehouse does not know")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst())
            return try AES.GCM.open(box, using: key, authenticating: Self.authenticatedData(purpose))
        } catch {
            throw .keyFileUnreadable(reason: "it does not open with the master key (another key, or altered)")
        }
    }

    private static func authenticatedData(_ purpose: String) -> Data {
        Data([formatVersion]) + Data(purpose.utf8)
    }
}

/// Key material must never reach a log line, not even through reflection.
extension KeyFileSealer: CustomStringConvertible, CustomReflectable {
    var description: String { "KeyFileSealer" }
    var customMirror: Mirror { Mirror(self, children: [:]) }
}
