import Foundation
import NIOSSL
import X509

/// A certificate chain and its private key read from PEM files, with the SNI names it serves.
struct LoadedCertificatePair: Sendable {
    var chain: [NIOSSLCertificate]
    var privateKey: NIOSSLPrivateKey
    /// Exact names and `*.` wildcards, lowercased.
    var serverNames: [String]

    init(_ settings: CertificateSettings) throws(TLSMaterialError) {
        chain = try Self.readChain(settings.cert)
        privateKey = try Self.readPrivateKey(settings.key)
        let leaf = try Self.parse(chain[0], path: settings.cert)
        try Self.checkKey(settings.key, matches: leaf, certificatePath: settings.cert)
        serverNames = (settings.hosts ?? Self.dnsNames(of: leaf)).map { $0.lowercased() }
        try Self.checkUsable(chain: chain, privateKey: privateKey, settings: settings)
    }

    private static func readChain(_ path: String) throws(TLSMaterialError) -> [NIOSSLCertificate] {
        try checkReadable(path, what: "certificate chain")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSMaterialError(path: path, reason: "not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw TLSMaterialError(path: path, reason: "contains no PEM certificate") }
        return chain
    }

    private static func readPrivateKey(_ path: String) throws(TLSMaterialError) -> NIOSSLPrivateKey {
        try checkReadable(path, what: "private key")
        do {
            return try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw TLSMaterialError(path: path, reason: "not an unencrypted PEM private key (\(error))")
        }
    }

    private static func checkReadable(_ path: String, what: String) throws(TLSMaterialError) {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else {
            throw TLSMaterialError(path: path, reason: "the \(what) file does not exist")
        }
        guard manager.isReadableFile(atPath: path) else {
            throw TLSMaterialError(path: path, reason: "the \(what) file is not readable by this process")
        }
    }

    private static func parse(_ certificate: NIOSSLCertificate, path: String) throws(TLSMaterialError) -> Certificate {
        do {
            return try Certificate(derEncoded: certificate.toDERBytes())
        } catch {
            throw TLSMaterialError(path: path, reason: "the first certificate cannot be parsed (\(error))")
        }
    }

    /// Compares the public halves: BoringSSL's own complaint about a mismatched pair does not
    /// say which files are involved. Key types swift-certificates cannot read are left to
    /// BoringSSL (`checkUsable`).
    private static func checkKey(_ keyPath: String, matches leaf: Certificate, certificatePath: String) throws(TLSMaterialError) {
        guard let text = try? String(contentsOfFile: keyPath, encoding: .utf8),
            let key = try? Certificate.PrivateKey(pemEncoded: text)
        else { return }
        guard key.publicKey == leaf.publicKey else {
            throw TLSMaterialError(path: keyPath, reason: "this private key does not belong to the certificate in \(certificatePath)")
        }
    }

    /// Builds a TLS context with this pair alone, so that anything BoringSSL refuses is reported
    /// against these files at start-up rather than as a failed handshake later.
    private static func checkUsable(
        chain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey,
        settings: CertificateSettings
    ) throws(TLSMaterialError) {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSMaterialError(path: settings.cert, reason: "cannot be used with the key in \(settings.key) (\(error))")
        }
    }

    private static func dnsNames(of leaf: Certificate) -> [String] {
        guard let names = (try? leaf.extensions.subjectAlternativeNames) ?? nil else { return [] }
        return names.compactMap { name in
            if case .dnsName(let dns) = name { return dns }
            return nil
        }
    }
}
