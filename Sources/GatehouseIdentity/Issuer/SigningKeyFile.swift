import Crypto
import Foundation

/// The signing keys in the data directory: a JSON document sealed with the master key, mode
/// 0600, replaced atomically on every change.
struct SigningKeyFile: Sendable {
    static let fileName = "signing-keys.sealed"
    static let purpose = "gatehouse/signing-keys/v1"

    let url: URL
    let sealer: KeyFileSealer

    init(dataDirectory: URL, masterKey: some ContiguousBytes) throws(TokenIssuerError) {
        self.url = dataDirectory.appendingPathComponent(Self.fileName)
        self.sealer = try KeyFileSealer(masterKey: masterKey)
    }

    /// The stored ring, or nil when there is no file yet.
    func load() throws(TokenIssuerError) -> SigningKeyRing? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let sealed: Data
        do {
            sealed = try Data(contentsOf: url)
        } catch {
            throw .keyFileUnreadable(reason: "\(url.path): \(error.localizedDescription)")
        }
        let plaintext = try sealer.open(sealed, purpose: Self.purpose)
        let stored: StoredRing
        do {
            stored = try JSONDecoder().decode(StoredRing.self, from: plaintext)
        } catch {
            throw .keyFileUnreadable(reason: "its content is not a key ring")
        }
        guard stored.version == StoredRing.currentVersion else {
            throw .keyFileUnreadable(reason: "it has version \(stored.version), which this Gatehouse does not know")
        }
        return SigningKeyRing(current: try stored.current.signingKey(), retired: try stored.retired.map { key throws(TokenIssuerError) in try key.signingKey() })
    }

    func save(_ ring: SigningKeyRing) throws(TokenIssuerError) {
        let stored = StoredRing(
            version: StoredRing.currentVersion, current: StoredKey(ring.current), retired: ring.retired.map(StoredKey.init))
        let plaintext: Data
        do {
            plaintext = try JSONEncoder().encode(stored)
        } catch {
            throw .keyFileUnwritable(reason: "the key ring could not be encoded")
        }
        let sealed = try sealer.seal(plaintext, purpose: Self.purpose)
        do {
            try AtomicFileWriter.replace(sealed, at: url)
        } catch {
            throw .keyFileUnwritable(reason: error.description)
        }
    }

    private struct StoredRing: Codable {
        static let currentVersion = 1
        var version: Int
        var current: StoredKey
        var retired: [StoredKey]
    }

    private struct StoredKey: Codable {
        var kid: String
        /// The P-256 scalar, base64url (32 bytes).
        var privateKey: String
        /// Seconds since the epoch: no date format to disagree about.
        var createdAt: Double
        var retiredAt: Double?

        init(_ key: SigningKey) {
            kid = key.keyID
            privateKey = Base64URL.encode(key.privateKey.rawRepresentation)
            createdAt = key.createdAt.timeIntervalSince1970
            retiredAt = key.retiredAt?.timeIntervalSince1970
        }

        func signingKey() throws(TokenIssuerError) -> SigningKey {
            guard let raw = Base64URL.decode(privateKey),
                let key = try? P256.Signing.PrivateKey(rawRepresentation: raw)
            else {
                throw .keyFileUnreadable(reason: "a stored key is not a P-256 private key")
            }
            let signingKey = SigningKey(
                privateKey: key, createdAt: Date(timeIntervalSince1970: createdAt),
                retiredAt: retiredAt.map(Date.init(timeIntervalSince1970:)))
            guard signingKey.keyID == kid else { throw .keyFileUnreadable(reason: "a stored key does not match its kid") }
            return signingKey
        }
    }
}
