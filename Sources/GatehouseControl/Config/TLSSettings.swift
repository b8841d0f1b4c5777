/// The certificates the TLS listeners present. Empty `certificates` means "use the generated
/// development certificates" (see `DevCertificates`).
public struct TLSSettings: Hashable, Sendable {
    public var certificates: [CertificateSettings]

    public init(certificates: [CertificateSettings] = []) {
        self.certificates = certificates
    }
}

/// One certificate chain and its private key, both PEM files.
public struct CertificateSettings: Hashable, Sendable {
    /// PEM file holding the leaf certificate followed by any intermediates.
    public var cert: String
    /// PEM file holding the private key of the leaf certificate.
    public var key: String
    /// SNI names this pair serves: exact names or `*.example.com` wildcards. `nil` means the DNS
    /// names of the certificate itself. The first pair also serves clients that send no or an
    /// unknown name.
    public var hosts: [String]?

    public init(cert: String, key: String, hosts: [String]? = nil) {
        self.cert = cert
        self.key = key
        self.hosts = hosts
    }
}
