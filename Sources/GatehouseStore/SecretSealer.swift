import Crypto
import Foundation
import GatehouseModel

/// Encrypts a resource's write-only values for storage (AES-256-GCM under the master key): a
/// secret's values, an identity provider's client secret.
///
/// Sealed format: `version (1 byte) | key id (1 byte) | nonce (12) | ciphertext | tag (16)`.
/// The key id names the master key that sealed the values, so a later version can rotate keys
/// and still open what older keys sealed. The two header bytes and the resource's identity are
/// authenticated data: sealed values copied onto another resource, or a header byte changed,
/// fail to open. The identity of a secret is "org/name" (as it has been since secrets were
/// first sealed, so stored ones still open); that of any other kind is prefixed with the kind,
/// "identity-provider:org/name", so values cannot move between kinds either (names and orgs
/// are DNS labels, which have no ':').
public struct SecretSealer: Sendable {
    public static let keyByteCount = 32
    static let formatVersion: UInt8 = 1
    static let headerByteCount = 2

    /// The id written into everything this sealer seals.
    public let keyID: UInt8
    private let key: SymmetricKey

    /// A sealer over a 256-bit key given as raw bytes.
    public init(keyBytes: some ContiguousBytes, keyID: UInt8 = 1) throws(SecretSealerError) {
        let key = SymmetricKey(data: keyBytes)
        guard key.bitCount == Self.keyByteCount * 8 else {
            throw .wrongKeyLength(source: "the key", byteCount: key.bitCount / 8)
        }
        self.key = key
        self.keyID = keyID
    }

    /// A key for another purpose, derived from the master key (HKDF-SHA256 with the purpose as
    /// info): the master key itself only seals secrets, and each other use (Gatehouse's signing
    /// key file) gets a key of its own that cannot open anything else.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("gatehouse/\(purpose)".utf8), outputByteCount: 32)
    }

    public func seal(
        _ values: [String: String], org: String, name: String, kind: ResourceKind = .secret
    ) throws(SecretSealerError) -> Data {
        let plaintext: Data
        do {
            plaintext = try Self.valuesEncoder.encode(values)
        } catch {
            throw .malformed("the values could not be encoded")
        }
        let header = Data([Self.formatVersion, keyID])
        let combined: Data?
        do {
            combined = try AES.GCM.seal(
                plaintext, using: key,
                authenticating: Self.authenticatedData(header, identity: Self.identity(kind: kind, org: org, name: name))
            ).combined
        } catch {
            throw .sealingFailed
        }
        // `combined` is only nil for nonces other than 12 bytes; AES.GCM.seal makes 12-byte ones.
        guard let combined else { throw .sealingFailed }
        return header + combined
    }

    public func open(
        _ sealed: Data, org: String, name: String, kind: ResourceKind = .secret
    ) throws(SecretSealerError) -> [String: String] {
        let identity = Self.identity(kind: kind, org: org, name: name)
        let bytes = Data(sealed)  // a copy indexed from 0, whatever slice was passed
        guard bytes.count >= Self.headerByteCount + 12 + 16 else { throw .malformed("too short") }
        guard bytes[0] == Self.formatVersion else { throw .unsupportedFormat(version: bytes[0]) }
        guard bytes[1] == keyID else { throw .unknownKey(id: bytes[1]) }
        let header = bytes.prefix(Self.headerByteCount)
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: bytes.dropFirst(Self.headerByteCount))
            plaintext = try AES.GCM.open(box, using: key, authenticating: Self.authenticatedData(header, identity: identity))
        } catch {
            throw .cannotOpen(identity: identity)
        }
        do {
            return try JSONDecoder().decode([String: String].self, from: plaintext)
        } catch {
            throw .malformed("the opened values are not a JSON object of strings")
        }
    }

    /// What the sealed values belong to; see the type's description.
    static func identity(kind: ResourceKind, org: String, name: String) -> String {
        kind == .secret ? "\(org)/\(name)" : "\(kind.singular):\(org)/\(name)"
    }

    private static func authenticatedData(_ header: Data, identity: String) -> Data {
        header + Data(identity.utf8)
    }

    private static let valuesEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Key material must never reach a log line, not even through `print(sealer)` or a debugger's
/// reflection of the struct.
extension SecretSealer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecretSealer(keyID: \(keyID))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["keyID": keyID]) }
}

public enum SecretSealerError: Error, Equatable, CustomStringConvertible {
    /// A master key that is not 32 bytes long. `source` names where it came from.
    case wrongKeyLength(source: String, byteCount: Int)
    /// GATEHOUSE_MASTER_KEY that is not base64.
    case invalidBase64(source: String)
    /// A master key file that others than its owner may read.
    case keyFileTooOpen(path: String, permissions: UInt32)
    /// A master key path that is not a regular file.
    case keyFileNotRegular(path: String)
    /// A master key file that cannot be read or created.
    case keyFileUnavailable(path: String, reason: String)
    case unsupportedFormat(version: UInt8)
    /// Sealed by a master key this sealer does not have.
    case unknownKey(id: UInt8)
    case malformed(String)
    case sealingFailed
    /// Authentication failed: a different key, altered bytes, or values sealed for another resource.
    case cannotOpen(identity: String)

    public var description: String {
        switch self {
        case .wrongKeyLength(let source, let byteCount):
            "\(source) must be exactly \(SecretSealer.keyByteCount) bytes (base64 of 32 random bytes in \(SecretSealer.environmentVariable)), but is \(byteCount) bytes"
        case .invalidBase64(let source):
            "\(source) is not valid base64; generate a key with: openssl rand -base64 32"
        case .keyFileTooOpen(let path, let permissions):
            "refusing to use \(path): its mode is \(String(permissions, radix: 8)), which lets others read the master key; run: chmod 600 \(path)"
        case .keyFileNotRegular(let path):
            "\(path) is not a regular file"
        case .keyFileUnavailable(let path, let reason):
            "cannot read or create the master key at \(path): \(reason)"
        case .unsupportedFormat(let version):
            "sealed values have format version \(version), which this Gatehouse does not know"
        case .unknownKey(let id):
            "sealed values name master key \(id), which this Gatehouse was not given"
        case .malformed(let reason):
            "sealed values are malformed: \(reason)"
        case .sealingFailed:
            "sealing the values failed"
        case .cannotOpen(let identity):
            "the sealed values of \(identity) do not open with this master key (wrong key, altered, or sealed for another resource)"
        }
    }
}
