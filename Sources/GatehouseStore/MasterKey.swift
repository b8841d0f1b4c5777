import Crypto
import Foundation

extension SecretSealer {
    /// Where an operator may hand in the master key instead of the key file.
    public static let environmentVariable = "GATEHOUSE_MASTER_KEY"
    public static let keyFileName = "master.key"

    /// The sealer over the master key: from `GATEHOUSE_MASTER_KEY` (base64 of 32 bytes) when set,
    /// else from `<dataDir>/master.key` (32 raw bytes, mode 0600), which is created on first use.
    public static func load(dataDir: URL, environment: [String: String]) throws(SecretSealerError) -> SecretSealer {
        if let encoded = environment[environmentVariable] {
            let trimmed = encoded.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Data(base64Encoded: trimmed) else { throw .invalidBase64(source: environmentVariable) }
            guard bytes.count == keyByteCount else {
                throw .wrongKeyLength(source: environmentVariable, byteCount: bytes.count)
            }
            return try SecretSealer(keyBytes: bytes)
        }
        let path = dataDir.appendingPathComponent(keyFileName).path
        return try SecretSealer(keyBytes: MasterKeyFile.loadOrCreate(at: path))
    }
}

/// The master key file: 32 random bytes, readable by the owner only.
enum MasterKeyFile {
    static func loadOrCreate(at path: String) throws(SecretSealerError) -> [UInt8] {
        if let existing = try read(path) { return existing }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        do {
            try PrivateFile.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent())
            if try PrivateFile.writeNew(bytes, to: path) { return bytes }
        } catch {
            throw .keyFileUnavailable(path: path, reason: "\(error)")
        }
        // Another process created the file between our look and our write: use theirs.
        guard let theirs = try read(path) else {
            throw .keyFileUnavailable(path: path, reason: "it vanished while being created")
        }
        return theirs
    }

    /// The key in an existing file, after checking that only its owner can read it; nil if
    /// there is no file.
    static func read(_ path: String) throws(SecretSealerError) -> [UInt8]? {
        let status: (permissions: UInt32, size: Int, isRegularFile: Bool)?
        do {
            status = try PrivateFile.status(path)
        } catch {
            throw .keyFileUnavailable(path: path, reason: "\(error)")
        }
        guard let status else { return nil }
        guard status.isRegularFile else { throw .keyFileNotRegular(path: path) }
        guard status.permissions & 0o077 == 0 else {
            throw .keyFileTooOpen(path: path, permissions: status.permissions)
        }
        guard status.size == SecretSealer.keyByteCount else {
            throw .wrongKeyLength(source: path, byteCount: status.size)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .keyFileUnavailable(path: path, reason: "\(error)")
        }
        guard data.count == SecretSealer.keyByteCount else {
            throw .wrongKeyLength(source: path, byteCount: data.count)
        }
        return Array(data)
    }
}
