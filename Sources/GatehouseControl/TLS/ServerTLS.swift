import NIOSSL

/// The TLS configuration of the edge and control listeners.
public enum ServerTLS {
    /// TLS 1.2 and 1.3 with the given ALPN protocols (e.g. `["h2", "http/1.1"]`).
    ///
    /// Serves the configured certificate pairs, chosen per connection by the server name the
    /// client sends (see `CertificateSettings.hosts`); the first pair serves clients that send no
    /// or an unknown name. With no configured certificates it serves the development
    /// certificates in `devPaths`.
    ///
    /// Every pair is loaded and checked here, so a missing, unreadable or mismatched file stops
    /// the server at start-up with an error naming the file.
    public static func makeConfiguration(
        settings: TLSSettings,
        devPaths: DevCertificates.Paths?,
        applicationProtocols: [String]
    ) throws(TLSMaterialError) -> TLSConfiguration {
        let pairs = try certificatePairs(settings: settings, devPaths: devPaths).map {
            pair throws(TLSMaterialError) in try LoadedCertificatePair(pair)
        }
        let overrides = pairs.map { pair in
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = pair.chain.map { .certificate($0) }
            override.privateKey = .privateKey(pair.privateKey)
            return override
        }

        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: overrides[0].certificateChain ?? [],
            privateKey: overrides[0].privateKey!
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuiteValues = tls12CipherSuites
        configuration.applicationProtocols = applicationProtocols

        if pairs.count > 1 {
            let selector = SNICertificateSelector(serverNames: pairs.map(\.serverNames))
            // Runs on the connection's event loop once per handshake: a lookup in a few short
            // arrays, no I/O; all pairs were loaded above.
            configuration.sslContextCallback = { values, promise in
                let index = selector.pairIndex(forServerName: values.serverHostname)
                promise.succeed(index == 0 ? .noChanges : overrides[index])
            }
        }
        return configuration
    }

    /// TLS 1.2's suites: forward-secret AEAD only, strongest first (TLS 1.3's are all AEAD and
    /// fixed by BoringSSL). The CBC-SHA1 suites BoringSSL offers by default are gone. swift-nio-ssl
    /// has no setting for the server's order (SSL_OP_CIPHER_SERVER_PREFERENCE), so the client's
    /// order decides among these; every one of them is a suite a TLS audit rates strong.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    private static func certificatePairs(
        settings: TLSSettings,
        devPaths: DevCertificates.Paths?
    ) throws(TLSMaterialError) -> [CertificateSettings] {
        if !settings.certificates.isEmpty { return settings.certificates }
        guard let devPaths else {
            throw TLSMaterialError(reason: "no TLS certificates are configured and no development certificates were generated")
        }
        return [CertificateSettings(cert: devPaths.server.path, key: devPaths.serverKey.path)]
    }
}
