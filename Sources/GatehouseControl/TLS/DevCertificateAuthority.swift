import Crypto
import Foundation
import X509

/// The development CA: a P-256 key and a self-signed certificate that may only sign certificates.
struct DevCertificateAuthority: Sendable {
    var certificate: Certificate
    var privateKey: P256.Signing.PrivateKey

    static let lifetime: TimeInterval = 10 * 365 * 24 * 3600

    enum Loaded {
        case usable(DevCertificateAuthority)
        case missing
        case unusable(reason: String)
    }

    static func generate(now: Date, machineName: String) throws(TLSMaterialError) -> DevCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(key)
        do {
            let name = try DistinguishedName {
                OrganizationName("Gatehouse")
                CommonName("Gatehouse Development CA \(machineName)")
            }
            let keyIdentifier = SubjectKeyIdentifier(hash: signingKey.publicKey)
            // Backdated a little so that a client whose clock is slightly behind accepts it.
            let notBefore = now.addingTimeInterval(-300)
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: signingKey.publicKey,
                notValidBefore: notBefore,
                notValidAfter: notBefore.addingTimeInterval(lifetime),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    // Path length 0: this CA signs server certificates, never other CAs.
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    keyIdentifier
                    AuthorityKeyIdentifier(keyIdentifier: keyIdentifier.keyIdentifier)
                },
                issuerPrivateKey: signingKey
            )
            return DevCertificateAuthority(certificate: certificate, privateKey: key)
        } catch {
            throw TLSMaterialError(reason: "cannot create the development CA: \(error)")
        }
    }

    /// The CA in `paths`, when both files exist, parse, belong together and the CA stays valid
    /// for a while yet.
    static func load(from paths: DevCertificates.Paths, now: Date) -> Loaded {
        let manager = FileManager.default
        let hasCertificate = manager.fileExists(atPath: paths.ca.path)
        let hasKey = manager.fileExists(atPath: paths.caKey.path)
        if !hasCertificate && !hasKey { return .missing }
        guard hasCertificate, hasKey else {
            return .unusable(reason: "\(hasCertificate ? paths.caKey.lastPathComponent : paths.ca.lastPathComponent) is missing")
        }
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: String(contentsOf: paths.ca, encoding: .utf8))
        } catch {
            return .unusable(reason: "\(paths.ca.lastPathComponent) is not a PEM certificate")
        }
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: paths.caKey, encoding: .utf8))
        } catch {
            return .unusable(reason: "\(paths.caKey.lastPathComponent) is not a PEM P-256 private key")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            return .unusable(reason: "\(paths.caKey.lastPathComponent) does not belong to \(paths.ca.lastPathComponent)")
        }
        guard certificate.notValidAfter.timeIntervalSince(now) > DevCertificates.renewalWindow else {
            return .unusable(reason: "the CA expires on \(certificate.notValidAfter)")
        }
        return .usable(DevCertificateAuthority(certificate: certificate, privateKey: key))
    }

    /// Writes the key first: a crash between the two writes leaves no certificate without its key.
    func store(at paths: DevCertificates.Paths) throws(TLSMaterialError) {
        try AtomicFile.store(privateKey.pemRepresentation, at: paths.caKey, permissions: AtomicFile.privateKeyPermissions)
        try AtomicFile.store(try pem(certificate, path: paths.ca), at: paths.ca, permissions: AtomicFile.publicPermissions)
    }
}

func pem(_ certificate: Certificate, path: URL) throws(TLSMaterialError) -> String {
    do {
        return try certificate.serializeAsPEM().pemString + "\n"
    } catch {
        throw TLSMaterialError(path: path.path, reason: "cannot encode the certificate: \(error)")
    }
}
