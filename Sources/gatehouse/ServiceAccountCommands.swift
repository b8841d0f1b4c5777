import ArgumentParser
import Foundation
import GatehouseModel

/// `gatehouse service-account ...`: workloads that sign RFC 7523 assertions with a private key
/// and exchange them for Gatehouse tokens. Only public keys are registered; the server derives
/// each key's kind and fingerprint.
enum ServiceAccountCommands: ResourceCommandKind {
    typealias Value = ServiceAccount
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(
            name: .customLong("public-key-file"),
            help: "A PEM public key (-----BEGIN PUBLIC KEY-----) to register; repeat for several (required to create; on update, replaces the registered keys).")
        var publicKeyFiles: [String] = []

        @Option(help: "What the account is for.")
        var description: String?

        var isEmpty: Bool { publicKeyFiles.isEmpty && description == nil }

        func publicKeys() throws -> [ServiceAccount.PublicKey] {
            try publicKeyFiles.map { path in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw CommandError("--public-key-file: cannot read '\(path)'")
                }
                guard let pem = String(data: data, encoding: .utf8) else {
                    throw CommandError("--public-key-file: '\(path)' is not PEM text")
                }
                return ServiceAccount.PublicKey(pem: pem)
            }
        }
    }

    static let abstract = "Manage service accounts: workloads that authenticate with a registered public key."

    static func makeResource(named name: String, from fields: Fields) throws -> ServiceAccount {
        let keys = try fields.publicKeys()
        guard !keys.isEmpty else { throw ValidationError("at least one --public-key-file is required") }
        return ServiceAccount(name: name, description: fields.description, publicKeys: keys)
    }

    static func update(_ account: inout ServiceAccount, from fields: Fields) throws {
        if let description = fields.description { account.description = description.isEmpty ? nil : description }
        if !fields.publicKeyFiles.isEmpty { account.publicKeys = try fields.publicKeys() }
    }
}
