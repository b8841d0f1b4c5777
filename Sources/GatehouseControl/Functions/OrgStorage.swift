import GatehouseModel
import GatehouseStore

/// How much of its storage quota an org uses: the uploaded and unpacked bytes of the code its
/// functions name, each upload counted once however many of its functions share it.
struct OrgStorage: Sendable {
    /// The quota of an org that sets none (`--org-storage-quota-bytes`).
    let defaultQuotaBytes: Int

    func limit(of org: Org) -> Int { org.storageQuotaBytes ?? defaultQuotaBytes }

    func status(of org: Org, in reader: any StoreReader) throws -> Org.Status {
        Org.Status(storageUsedBytes: try usedBytes(org: org.name, in: reader), storageLimitBytes: limit(of: org))
    }

    /// The bytes `org` uses; `replacing` leaves out what that function names, for an upload that
    /// will replace it (what another function also names still counts).
    func usedBytes(org: String, in reader: any StoreReader, replacing function: String? = nil) throws -> Int {
        var codes: [String: Int] = [:]
        for named in try reader.resources(Function.self, org: org, after: nil, limit: nil) where named.name != function {
            if let code = named.code { codes[code.directoryName] = code.storedBytes }
        }
        return codes.values.reduce(0, +)
    }

    /// The problem for an upload that needs more (`needed`, in words) than the `room` left.
    static func exceeded(org: String, needed: String, room: Int, limit: Int) -> Problem {
        Problem.storageQuotaExceeded(
            "the code needs \(needed) (uploaded and unpacked), and org '\(org)' has \(max(room, 0)) of its \(limit) bytes left; "
                + "delete unused functions' code or raise the org's storageQuotaBytes")
    }
}
