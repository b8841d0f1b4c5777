import Foundation
import GatehousePolicy

/// Where the roles come from: the files shipped with Gatehouse (`policies/` in the repository,
/// a resource of this module), or a directory the operator names with `--policies-dir`.
enum RoleFiles {
    static var bundledDirectory: URL? { Bundle.module.url(forResource: "policies", withExtension: nil) }

    /// The roles at start-up. A file that does not parse stops start-up: the error names the
    /// file, line and column.
    static func load(directory: String?) throws -> RoleCatalog {
        if let directory { return try RoleCatalog.load(directory: URL(fileURLWithPath: directory, isDirectory: true)) }
        guard let bundled = bundledDirectory else { throw CocoaError(.fileNoSuchFile) }
        return try RoleCatalog.load(directory: bundled)
    }

    /// The shipped roles, for code that has no configuration (tests of the admin API alone).
    static func builtin() -> RoleCatalog {
        (try? load(directory: nil)) ?? RoleCatalog([])
    }
}
