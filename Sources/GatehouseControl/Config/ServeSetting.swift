/// The scalar settings of `gatehouse serve`, with the names each source spells them by.
/// The raw value is the YAML key.
enum ServeSetting: String, CaseIterable, Sendable {
    case dataDir, certsDir, publicAddr, adminAddr, plainAddr
    case maxBodyBytes, maxCodeBytes, shutdownGraceSeconds, externalURL, logLevel, keyRefreshSeconds, loginReturnOrigins
    case policiesDir, trustedProxies
    case handshakeTimeoutSeconds, headerTimeoutSeconds, idleTimeoutSeconds, hsts
    case orgStorageQuotaBytes

    var environmentVariable: String {
        switch self {
        case .dataDir: "GATEHOUSE_DATA_DIR"
        case .certsDir: "GATEHOUSE_CERTS_DIR"
        case .publicAddr: "GATEHOUSE_PUBLIC_ADDR"
        case .adminAddr: "GATEHOUSE_ADMIN_ADDR"
        case .plainAddr: "GATEHOUSE_PLAIN_ADDR"
        case .maxBodyBytes: "GATEHOUSE_MAX_BODY_BYTES"
        case .maxCodeBytes: "GATEHOUSE_MAX_CODE_BYTES"
        case .shutdownGraceSeconds: "GATEHOUSE_SHUTDOWN_GRACE_SECONDS"
        case .externalURL: "GATEHOUSE_EXTERNAL_URL"
        case .logLevel: "GATEHOUSE_LOG_LEVEL"
        case .keyRefreshSeconds: "GATEHOUSE_KEY_REFRESH_SECONDS"
        case .loginReturnOrigins: "GATEHOUSE_LOGIN_RETURN_ORIGINS"
        case .policiesDir: "GATEHOUSE_POLICIES_DIR"
        case .trustedProxies: "GATEHOUSE_TRUSTED_PROXIES"
        case .handshakeTimeoutSeconds: "GATEHOUSE_HANDSHAKE_TIMEOUT_SECONDS"
        case .headerTimeoutSeconds: "GATEHOUSE_HEADER_TIMEOUT_SECONDS"
        case .idleTimeoutSeconds: "GATEHOUSE_IDLE_TIMEOUT_SECONDS"
        case .hsts: "GATEHOUSE_HSTS"
        case .orgStorageQuotaBytes: "GATEHOUSE_ORG_STORAGE_QUOTA_BYTES"
        }
    }

    enum ValueType { case string, integer, number }

    var valueType: ValueType {
        switch self {
        case .maxBodyBytes, .maxCodeBytes, .orgStorageQuotaBytes: .integer
        case .shutdownGraceSeconds, .keyRefreshSeconds, .handshakeTimeoutSeconds, .headerTimeoutSeconds, .idleTimeoutSeconds: .number
        default: .string
        }
    }

    /// The key a `ConfigurationError` names for a value that came from `source`.
    func key(in source: ConfigurationError.Source) -> String {
        source == .environment ? environmentVariable : rawValue
    }
}
