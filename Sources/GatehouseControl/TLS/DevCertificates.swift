import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The development CA and server certificate that let `gatehouse serve` speak TLS out of the box.
///
/// The CA is generated once and kept: clients that were told to trust it (`curl --cacert`, a
/// browser's trust store) keep working when the server certificate is re-issued because it nears
/// expiry or must cover a new host name.
public enum DevCertificates {
    /// The four files in the certificates directory.
    public struct Paths: Hashable, Sendable {
        public var ca: URL
        /// Mode 0600.
        public var caKey: URL
        public var server: URL
        /// Mode 0600.
        public var serverKey: URL

        public init(certsDir: URL) {
            ca = certsDir.appendingPathComponent("ca.pem")
            caKey = certsDir.appendingPathComponent("ca-key.pem")
            server = certsDir.appendingPathComponent("server.pem")
            serverKey = certsDir.appendingPathComponent("server-key.pem")
        }
    }

    /// Names every server certificate covers, before the caller's extra host names.
    public static let standardHostNames = ["localhost", "127.0.0.1", "::1"]

    /// A server certificate is re-issued once it has this little time left.
    static let renewalWindow: TimeInterval = 30 * 24 * 3600

    /// Makes sure `certsDir` holds a usable CA and a server certificate for `localhost`,
    /// `127.0.0.1`, `::1` and `hostNames`, generating or re-issuing what is missing, expiring or
    /// incomplete. Files that are still good are left untouched.
    ///
    /// - Parameter now: the current time; tests move it to exercise renewal.
    public static func ensure(
        certsDir: URL,
        hostNames: [String],
        logger: Logger,
        now: Date = Date()
    ) throws(TLSMaterialError) -> Paths {
        let paths = Paths(certsDir: certsDir)
        do {
            try FileManager.default.createDirectory(at: certsDir, withIntermediateDirectories: true)
        } catch {
            throw TLSMaterialError(path: certsDir.path, reason: "cannot create the certificates directory: \(error.localizedDescription)")
        }
        let names = requestedNames(hostNames, logger: logger)

        let authority: DevCertificateAuthority
        switch DevCertificateAuthority.load(from: paths, now: now) {
        case .usable(let existing):
            authority = existing
        case .missing:
            authority = try DevCertificateAuthority.generate(now: now, machineName: machineHostName())
            try authority.store(at: paths)
            logger.notice("generated a development certificate authority", metadata: ["path": "\(paths.ca.path)"])
        case .unusable(let reason):
            authority = try DevCertificateAuthority.generate(now: now, machineName: machineHostName())
            try authority.store(at: paths)
            logger.warning(
                "replaced the development certificate authority; clients must trust the new one",
                metadata: ["path": "\(paths.ca.path)", "reason": "\(reason)"]
            )
        }

        switch DevServerCertificate.check(at: paths, authority: authority, names: names, now: now) {
        case .reusable:
            logger.debug("reusing the development server certificate", metadata: ["path": "\(paths.server.path)"])
        case .needsIssuing(let reason):
            let server = try DevServerCertificate.issue(for: names, by: authority, now: now)
            try server.store(at: paths)
            logger.info(
                "issued a development server certificate",
                metadata: [
                    "path": "\(paths.server.path)",
                    "names": "\(names.map(\.description).joined(separator: ", "))",
                    "notValidAfter": "\(server.certificate.notValidAfter)",
                    "reason": "\(reason)",
                ]
            )
        }

        logger.info(
            "TLS uses the development CA; trust it with curl --cacert \(paths.ca.path)",
            metadata: ["ca": "\(paths.ca.path)"]
        )
        return paths
    }

    /// This machine's host name (and its short form, when it is qualified): good extra names for
    /// the server certificate so that other machines on the network can reach the appliance.
    public static func machineHostNames() -> [String] {
        let name = machineHostName()
        guard name != "localhost", CertificateHostName(name) != nil else { return [] }
        let short = name.split(separator: ".").first.map(String.init)
        return short.map { $0 == name ? [name] : [name, $0] } ?? [name]
    }

    static func machineHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(nulTerminated: buffer)
        return name.isEmpty ? "localhost" : name
    }

    /// The standard names plus `hostNames`, without duplicates; names that are neither DNS names
    /// nor IP addresses are left out with a warning rather than stopping the server.
    static func requestedNames(_ hostNames: [String], logger: Logger) -> [CertificateHostName] {
        var names: [CertificateHostName] = []
        for text in standardHostNames + hostNames {
            guard let name = CertificateHostName(text) else {
                logger.warning("not adding an invalid host name to the development certificate", metadata: ["name": "\(text)"])
                continue
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}
