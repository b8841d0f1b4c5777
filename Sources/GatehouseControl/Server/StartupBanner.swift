import Foundation
import Logging

/// The URLs a newcomer can use, logged on every start: where functions are published, the admin
/// API, and where the admin token is (the listeners' own lines give bound addresses, which for
/// a wildcard bind are not addresses to connect to).
enum StartupBanner {
    static func log(edge: ReachableURL, admin: String, adminDerivation: String?, adminToken: String, logger: Logger) {
        logger.notice(
            "gatehouse ready",
            metadata: [
                "functions": "\(edge.url)/{org}/...",
                "admin_api": "\(admin)/v1",
                "admin_token": "\(adminToken)",
                "host_from": "\(adminDerivation ?? edge.derivation)",
            ])
    }
}
