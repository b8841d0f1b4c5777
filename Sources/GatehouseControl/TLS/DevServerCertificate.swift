import Crypto
import Foundation
import X509

/// The development server certificate: P-256, signed by the development CA, for the listed names.
struct DevServerCertificate: Sendable {
    var certificate: Certificate
    var privateKey: P256.Signing.PrivateKey

    /// The longest lifetime Apple platforms accept for a TLS server certificate.
    static let lifetime: TimeInterval = 825 * 24 * 3600

    enum Check: Equatable {
        case reusable
        case needsIssuing(reason: String)
    }

    static func issue(
        for names: [CertificateHostName],
        by authority: DevCertificateAuthority,
        now: Date
    ) throws(TLSMaterialError) -> DevServerCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("Gatehouse")
                CommonName("Gatehouse development server")
            }
            let authorityKeyIdentifier =
                try authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                ?? SubjectKeyIdentifier(hash: authority.certificate.publicKey).keyIdentifier
            let notBefore = now.addingTimeInterval(-300)
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notBefore.addingTimeInterval(lifetime),
                issuer: authority.certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    // ECDSA keys sign the handshake; they never encipher keys.
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names.map(\.generalName))
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(authority.privateKey)
            )
            return DevServerCertificate(certificate: certificate, privateKey: key)
        } catch {
            throw TLSMaterialError(reason: "cannot issue the development server certificate: \(error)")
        }
    }

    /// Whether the server certificate in `paths` can be served as it is: both files parse and
    /// belong together, `authority` signed it, it covers `names`, and it is not about to expire.
    static func check(
        at paths: DevCertificates.Paths,
        authority: DevCertificateAuthority,
        names: [CertificateHostName],
        now: Date
    ) -> Check {
        guard FileManager.default.fileExists(atPath: paths.server.path),
            FileManager.default.fileExists(atPath: paths.serverKey.path)
        else {
            return .needsIssuing(reason: "no server certificate yet")
        }
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: String(contentsOf: paths.server, encoding: .utf8))
            key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: paths.serverKey, encoding: .utf8))
        } catch {
            return .needsIssuing(reason: "the existing files do not parse")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            return .needsIssuing(reason: "the key does not belong to the certificate")
        }
        guard certificate.issuer == authority.certificate.subject,
            authority.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            return .needsIssuing(reason: "the certificate was not issued by the current CA")
        }
        guard certificate.notValidAfter.timeIntervalSince(now) > DevCertificates.renewalWindow else {
            return .needsIssuing(reason: "the certificate expires on \(certificate.notValidAfter)")
        }
        let covered = Set(
            ((try? certificate.extensions.subjectAlternativeNames) ?? nil).map { $0.compactMap(CertificateHostName.init) } ?? []
        )
        let missing = names.filter { !covered.contains($0) }
        guard missing.isEmpty else {
            return .needsIssuing(reason: "the certificate does not cover \(missing.map(\.description).joined(separator: ", "))")
        }
        return .reusable
    }

    func store(at paths: DevCertificates.Paths) throws(TLSMaterialError) {
        try AtomicFile.store(privateKey.pemRepresentation, at: paths.serverKey, permissions: AtomicFile.privateKeyPermissions)
        try AtomicFile.store(try pem(certificate, path: paths.server), at: paths.server, permissions: AtomicFile.publicPermissions)
    }
}
