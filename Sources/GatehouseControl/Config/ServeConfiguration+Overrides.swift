extension ServeConfiguration {
    /// One optional value per scalar setting: what a single source (the command line, the
    /// environment, the file) says. `nil` leaves the setting to the sources below it.
    public struct Overrides: Hashable, Sendable {
        public var dataDir: String?
        public var certsDir: String?
        public var publicAddr: String?
        public var adminAddr: String?
        public var plainAddr: String?
        public var maxBodyBytes: Int?
        public var maxCodeBytes: Int?
        public var shutdownGraceSeconds: Double?
        public var externalURL: String?
        public var logLevel: String?
        public var keyRefreshSeconds: Double?
        public var loginReturnOrigins: String?
        public var policiesDir: String?
        public var trustedProxies: String?
        public var handshakeTimeoutSeconds: Double?
        public var headerTimeoutSeconds: Double?
        public var idleTimeoutSeconds: Double?
        public var hsts: String?
        public var orgStorageQuotaBytes: Int?

        public init(
            dataDir: String? = nil,
            certsDir: String? = nil,
            publicAddr: String? = nil,
            adminAddr: String? = nil,
            plainAddr: String? = nil,
            maxBodyBytes: Int? = nil,
            maxCodeBytes: Int? = nil,
            shutdownGraceSeconds: Double? = nil,
            externalURL: String? = nil,
            logLevel: String? = nil,
            keyRefreshSeconds: Double? = nil,
            loginReturnOrigins: String? = nil,
            policiesDir: String? = nil,
            trustedProxies: String? = nil,
            handshakeTimeoutSeconds: Double? = nil,
            headerTimeoutSeconds: Double? = nil,
            idleTimeoutSeconds: Double? = nil,
            hsts: String? = nil,
            orgStorageQuotaBytes: Int? = nil
        ) {
            self.dataDir = dataDir
            self.certsDir = certsDir
            self.publicAddr = publicAddr
            self.adminAddr = adminAddr
            self.plainAddr = plainAddr
            self.maxBodyBytes = maxBodyBytes
            self.maxCodeBytes = maxCodeBytes
            self.shutdownGraceSeconds = shutdownGraceSeconds
            self.externalURL = externalURL
            self.logLevel = logLevel
            self.keyRefreshSeconds = keyRefreshSeconds
            self.loginReturnOrigins = loginReturnOrigins
            self.policiesDir = policiesDir
            self.trustedProxies = trustedProxies
            self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
            self.headerTimeoutSeconds = headerTimeoutSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.hsts = hsts
            self.orgStorageQuotaBytes = orgStorageQuotaBytes
        }
    }

    /// Takes every value `overrides` sets.
    mutating func apply(_ overrides: Overrides) {
        if let v = overrides.dataDir { dataDir = v }
        if let v = overrides.certsDir { certsDir = v }
        if let v = overrides.publicAddr { publicAddr = v }
        if let v = overrides.adminAddr { adminAddr = v }
        if let v = overrides.plainAddr { plainAddr = v }
        if let v = overrides.maxBodyBytes { maxBodyBytes = v }
        if let v = overrides.maxCodeBytes { maxCodeBytes = v }
        if let v = overrides.shutdownGraceSeconds { shutdownGraceSeconds = v }
        if let v = overrides.externalURL { externalURL = v }
        if let v = overrides.logLevel { logLevel = v }
        if let v = overrides.keyRefreshSeconds { keyRefreshSeconds = v }
        if let v = overrides.loginReturnOrigins { loginReturnOrigins = v }
        if let v = overrides.policiesDir { policiesDir = v }
        if let v = overrides.trustedProxies { trustedProxies = v }
        if let v = overrides.handshakeTimeoutSeconds { handshakeTimeoutSeconds = v }
        if let v = overrides.headerTimeoutSeconds { headerTimeoutSeconds = v }
        if let v = overrides.idleTimeoutSeconds { idleTimeoutSeconds = v }
        if let v = overrides.hsts { hsts = v }
        if let v = overrides.orgStorageQuotaBytes { orgStorageQuotaBytes = v }
    }
}

/// A parsed value of a scalar setting, before it is known to be acceptable.
enum SettingValue: Sendable {
    case string(String)
    case integer(Int)
    case number(Double)
}

extension ServeConfiguration.Overrides {
    /// Sets `setting`; the caller has already parsed `value` as `setting.valueType`.
    mutating func set(_ setting: ServeSetting, _ value: SettingValue) {
        switch (setting, value) {
        case (.dataDir, .string(let v)): dataDir = v
        case (.certsDir, .string(let v)): certsDir = v
        case (.publicAddr, .string(let v)): publicAddr = v
        case (.adminAddr, .string(let v)): adminAddr = v
        case (.plainAddr, .string(let v)): plainAddr = v
        case (.maxBodyBytes, .integer(let v)): maxBodyBytes = v
        case (.maxCodeBytes, .integer(let v)): maxCodeBytes = v
        case (.shutdownGraceSeconds, .number(let v)): shutdownGraceSeconds = v
        case (.externalURL, .string(let v)): externalURL = v
        case (.logLevel, .string(let v)): logLevel = v
        case (.keyRefreshSeconds, .number(let v)): keyRefreshSeconds = v
        case (.loginReturnOrigins, .string(let v)): loginReturnOrigins = v
        case (.policiesDir, .string(let v)): policiesDir = v
        case (.trustedProxies, .string(let v)): trustedProxies = v
        case (.handshakeTimeoutSeconds, .number(let v)): handshakeTimeoutSeconds = v
        case (.headerTimeoutSeconds, .number(let v)): headerTimeoutSeconds = v
        case (.idleTimeoutSeconds, .number(let v)): idleTimeoutSeconds = v
        case (.hsts, .string(let v)): hsts = v
        case (.orgStorageQuotaBytes, .integer(let v)): orgStorageQuotaBytes = v
        default: preconditionFailure("\(setting) parsed as the wrong type: \(value)")
        }
    }

    /// The settings this source sets, for validation.
    var values: [(ServeSetting, SettingValue)] {
        var result: [(ServeSetting, SettingValue)] = []
        if let v = dataDir { result.append((.dataDir, .string(v))) }
        if let v = certsDir { result.append((.certsDir, .string(v))) }
        if let v = publicAddr { result.append((.publicAddr, .string(v))) }
        if let v = adminAddr { result.append((.adminAddr, .string(v))) }
        if let v = plainAddr { result.append((.plainAddr, .string(v))) }
        if let v = maxBodyBytes { result.append((.maxBodyBytes, .integer(v))) }
        if let v = maxCodeBytes { result.append((.maxCodeBytes, .integer(v))) }
        if let v = shutdownGraceSeconds { result.append((.shutdownGraceSeconds, .number(v))) }
        if let v = externalURL { result.append((.externalURL, .string(v))) }
        if let v = logLevel { result.append((.logLevel, .string(v))) }
        if let v = keyRefreshSeconds { result.append((.keyRefreshSeconds, .number(v))) }
        if let v = loginReturnOrigins { result.append((.loginReturnOrigins, .string(v))) }
        if let v = policiesDir { result.append((.policiesDir, .string(v))) }
        if let v = trustedProxies { result.append((.trustedProxies, .string(v))) }
        if let v = handshakeTimeoutSeconds { result.append((.handshakeTimeoutSeconds, .number(v))) }
        if let v = headerTimeoutSeconds { result.append((.headerTimeoutSeconds, .number(v))) }
        if let v = idleTimeoutSeconds { result.append((.idleTimeoutSeconds, .number(v))) }
        if let v = hsts { result.append((.hsts, .string(v))) }
        if let v = orgStorageQuotaBytes { result.append((.orgStorageQuotaBytes, .integer(v))) }
        return result
    }
}
