import ArgumentParser
import GatehouseModel

/// `gatehouse org ...`: tenants, platform-wide.
enum OrgCommands: ResourceCommandKind {
    typealias Value = Org
    typealias Scope = PlatformScope

    struct Fields: ResourceFields {
        @Option(name: .customLong("display-name"), help: "A human-readable name.")
        var displayName: String?
        @Option(
            name: .customLong("storage-quota-bytes"),
            help: "Bytes of uploaded code (as uploaded and unpacked) the org's functions may hold (default: the server's --org-storage-quota-bytes).")
        var storageQuotaBytes: Int?

        var isEmpty: Bool { displayName == nil && storageQuotaBytes == nil }
    }

    static let abstract = "Manage orgs, the tenants that own everything else."

    static func makeResource(named name: String, from fields: Fields) throws -> Org {
        Org(name: name, displayName: fields.displayName, storageQuotaBytes: fields.storageQuotaBytes)
    }

    static func update(_ org: inout Org, from fields: Fields) throws {
        if let displayName = fields.displayName { org.displayName = displayName }
        if let storageQuotaBytes = fields.storageQuotaBytes { org.storageQuotaBytes = storageQuotaBytes }
    }
}
