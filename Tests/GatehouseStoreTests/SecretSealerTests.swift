import Crypto
import Foundation
import GatehouseModel
import Testing
@testable import GatehouseStore

@Suite("SecretSealer")
struct SecretSealerTests {
    private let values = ["user": "app", "password": "s3cret"]

    private func sealer(_ byte: UInt8 = 1) throws -> SecretSealer {
        try SecretSealer(keyBytes: [UInt8](repeating: byte, count: 32))
    }

    @Test func sealsAndOpens() throws {
        let sealer = try sealer()
        let sealed = try sealer.seal(values, org: "acme", name: "db")
        #expect(sealed[sealed.startIndex] == SecretSealer.formatVersion)
        #expect(sealed[sealed.startIndex + 1] == sealer.keyID)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("s3cret"))
        #expect(try sealer.open(sealed, org: "acme", name: "db") == values)
        // A fresh nonce each time: sealing the same values twice gives different bytes.
        #expect(try sealer.seal(values, org: "acme", name: "db") != sealed)
    }

    @Test func tamperedBytesDoNotOpen() throws {
        let sealer = try sealer()
        let sealed = try sealer.seal(values, org: "acme", name: "db")
        for index in [SecretSealer.headerByteCount, sealed.count / 2, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: SecretSealerError.cannotOpen(identity: "acme/db")) {
                try sealer.open(tampered, org: "acme", name: "db")
            }
        }
        #expect(throws: SecretSealerError.self) { try sealer.open(sealed.prefix(10), org: "acme", name: "db") }
    }

    @Test func valuesMovedToAnotherSecretDoNotOpen() throws {
        let sealer = try sealer()
        let sealed = try sealer.seal(values, org: "acme", name: "db")
        #expect(throws: SecretSealerError.cannotOpen(identity: "acme/other")) {
            try sealer.open(sealed, org: "acme", name: "other")
        }
        #expect(throws: SecretSealerError.cannotOpen(identity: "evil/db")) {
            try sealer.open(sealed, org: "evil", name: "db")
        }
    }

    @Test func secretsSealedBeforeKindsWereBoundStillOpen() throws {
        // The format secrets have been stored in from the start, built here independently of the
        // sealer: header, then AES-GCM with the header and "org/name" as authenticated data.
        let key = SymmetricKey(data: [UInt8](repeating: 1, count: 32))
        let header = Data([1, 1])
        let box = try AES.GCM.seal(
            Data(#"{"password":"s3cret","user":"app"}"#.utf8), using: key,
            nonce: try AES.GCM.Nonce(data: Data(0..<12)), authenticating: header + Data("acme/db".utf8))
        let stored = header + (try #require(box.combined))
        #expect(try sealer().open(stored, org: "acme", name: "db") == values)
        #expect(try sealer().open(stored, org: "acme", name: "db", kind: .secret) == values)
    }

    @Test func valuesCannotMoveBetweenKinds() throws {
        let sealer = try sealer()
        let secret = try sealer.seal(values, org: "acme", name: "corp")
        let provider = try sealer.seal(["clientSecret": "x"], org: "acme", name: "corp", kind: .identityProvider)
        #expect(try sealer.open(provider, org: "acme", name: "corp", kind: .identityProvider) == ["clientSecret": "x"])
        #expect(throws: SecretSealerError.cannotOpen(identity: "acme/corp")) {
            try sealer.open(provider, org: "acme", name: "corp")
        }
        #expect(throws: SecretSealerError.cannotOpen(identity: "identity-provider:acme/corp")) {
            try sealer.open(secret, org: "acme", name: "corp", kind: .identityProvider)
        }
        #expect(throws: SecretSealerError.cannotOpen(identity: "identity-provider:acme/other")) {
            try sealer.open(provider, org: "acme", name: "other", kind: .identityProvider)
        }
    }

    @Test func anotherKeyDoesNotOpen() throws {
        let sealed = try sealer(1).seal(values, org: "acme", name: "db")
        #expect(throws: SecretSealerError.cannotOpen(identity: "acme/db")) {
            try sealer(2).open(sealed, org: "acme", name: "db")
        }
        let otherID = try SecretSealer(keyBytes: [UInt8](repeating: 1, count: 32), keyID: 2)
        #expect(throws: SecretSealerError.unknownKey(id: 1)) { try otherID.open(sealed, org: "acme", name: "db") }
    }

    @Test func neverPrintsItsKey() throws {
        let sealer = try sealer(0x41)  // "AAAA..." would show up in any dump of the bytes
        for text in [String(describing: sealer), String(reflecting: sealer), "\(Mirror(reflecting: sealer).children.map(\.value))"] {
            #expect(!text.contains("AAAA"))
            #expect(!text.contains("65, 65"))
        }
    }

    @Test func createsAPrivateKeyFileOnFirstUseAndReusesIt() async throws {
        try await withTemporaryDirectory { directory in
            let dataDir = directory.appendingPathComponent("data")
            let first = try SecretSealer.load(dataDir: dataDir, environment: [:])
            let path = dataDir.appendingPathComponent(SecretSealer.keyFileName).path
            #expect(try permissions(of: path) == 0o600)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 32)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDir.path)
            #expect(leftovers == [SecretSealer.keyFileName])

            let sealed = try first.seal(values, org: "acme", name: "db")
            let second = try SecretSealer.load(dataDir: dataDir, environment: [:])
            #expect(try second.open(sealed, org: "acme", name: "db") == values)
        }
    }

    @Test func refusesAKeyFileOthersCanRead() async throws {
        try await withTemporaryDirectory { directory in
            _ = try SecretSealer.load(dataDir: directory, environment: [:])
            let path = directory.appendingPathComponent(SecretSealer.keyFileName).path
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect(throws: SecretSealerError.keyFileTooOpen(path: path, permissions: 0o644)) {
                try SecretSealer.load(dataDir: directory, environment: [:])
            }
        }
    }

    @Test func refusesAKeyFileOfTheWrongSize() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent(SecretSealer.keyFileName).path
            #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 16), attributes: [.posixPermissions: 0o600]))
            #expect(throws: SecretSealerError.wrongKeyLength(source: path, byteCount: 16)) {
                try SecretSealer.load(dataDir: directory, environment: [:])
            }
        }
    }

    @Test func takesTheKeyFromTheEnvironmentWhenSet() async throws {
        try await withTemporaryDirectory { directory in
            let key = Data(repeating: 3, count: 32)
            let environment = [SecretSealer.environmentVariable: key.base64EncodedString()]
            let fromEnvironment = try SecretSealer.load(dataDir: directory, environment: environment)
            let sealed = try fromEnvironment.seal(values, org: "acme", name: "db")
            #expect(try sealer(3).open(sealed, org: "acme", name: "db") == values)
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(SecretSealer.keyFileName).path))
        }
    }

    @Test func refusesAnEnvironmentKeyOfTheWrongLengthOrEncoding() async throws {
        try await withTemporaryDirectory { directory in
            let short = [SecretSealer.environmentVariable: Data(repeating: 3, count: 16).base64EncodedString()]
            #expect(throws: SecretSealerError.wrongKeyLength(source: SecretSealer.environmentVariable, byteCount: 16)) {
                try SecretSealer.load(dataDir: directory, environment: short)
            }
            let garbage = [SecretSealer.environmentVariable: "not base64!"]
            #expect(throws: SecretSealerError.invalidBase64(source: SecretSealer.environmentVariable)) {
                try SecretSealer.load(dataDir: directory, environment: garbage)
            }
        }
    }
}
