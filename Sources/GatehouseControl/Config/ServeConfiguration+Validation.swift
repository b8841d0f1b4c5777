import GatehouseEdge
import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import Logging

extension ServeConfiguration {
    /// Checks every setting; `load` calls it, and so should code that builds a configuration by
    /// hand.
    public func validate() throws(ConfigurationError) {
        var all = Overrides()
        all.dataDir = dataDir
        all.certsDir = certsDir
        all.publicAddr = publicAddr
        all.adminAddr = adminAddr
        all.plainAddr = plainAddr
        all.maxBodyBytes = maxBodyBytes
        all.maxCodeBytes = maxCodeBytes
        all.shutdownGraceSeconds = shutdownGraceSeconds
        all.externalURL = externalURL
        all.logLevel = logLevel
        all.loginReturnOrigins = loginReturnOrigins
        all.policiesDir = policiesDir
        all.trustedProxies = trustedProxies
        all.orgStorageQuotaBytes = orgStorageQuotaBytes
        for (setting, value) in all.values {
            if let reason = Self.problem(with: value, for: setting) {
                throw ConfigurationError(key: setting.rawValue, reason: reason)
            }
        }
        for (index, pair) in tls.certificates.enumerated() {
            try TLSSettingsValidation.check(pair, key: "tls.certificates[\(index)]")
        }
    }

    /// Why `value` is not acceptable for `setting`, or nil when it is.
    static func problem(with value: SettingValue, for setting: ServeSetting) -> String? {
        switch (setting, value) {
        case (.publicAddr, .string(let text)), (.adminAddr, .string(let text)), (.plainAddr, .string(let text)):
            do {
                _ = try ListenAddress(parsing: text)
                return nil
            } catch {
                return error.reason
            }
        case (.dataDir, .string(let path)), (.certsDir, .string(let path)), (.policiesDir, .string(let path)):
            return path.isEmpty ? "must not be empty" : nil
        case (.maxBodyBytes, .integer(let bytes)), (.maxCodeBytes, .integer(let bytes)), (.orgStorageQuotaBytes, .integer(let bytes)):
            return bytes > 0 ? nil : "must be greater than 0 (got \(bytes))"
        case (.shutdownGraceSeconds, .number(let seconds)):
            return seconds.isFinite && seconds >= 0 ? nil : "must be a number of seconds, 0 or more (got \(seconds))"
        case (.handshakeTimeoutSeconds, .number(let seconds)), (.headerTimeoutSeconds, .number(let seconds)),
            (.idleTimeoutSeconds, .number(let seconds)):
            return seconds.isFinite && seconds >= 1 && seconds <= 3600
                ? nil : "must be a number of seconds from 1 to 3600 (got \(seconds))"
        case (.hsts, .string(let list)):
            do throws(StrictTransportSecurity.Invalid) {
                _ = try StrictTransportSecurity(parsing: list)
                return nil
            } catch {
                return error.reason
            }
        case (.keyRefreshSeconds, .number(let seconds)):
            return seconds.isFinite && seconds >= 1 && seconds <= 3600
                ? nil : "must be a number of seconds from 1 to 3600 (got \(seconds))"
        case (.externalURL, .string(let text)):
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty
            else {
                return "'\(text)' is not an absolute http(s) URL"
            }
            return nil
        case (.trustedProxies, .string(let list)):
            for range in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !range.isEmpty {
                do throws(IPRange.ParseError) {
                    _ = try IPRange(parsing: range)
                } catch {
                    return error.description
                }
            }
            return nil
        case (.loginReturnOrigins, .string(let list)):
            for origin in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !origin.isEmpty {
                // An origin is scheme, host and port: a path would suggest a narrower rule
                // than the one applied.
                guard let normalized = ReturnURLPolicy.normalizedOrigin(origin),
                    normalized == ReturnURLPolicy.normalizedOrigin(ProviderURL.trimmed(origin)),
                    URLComponents(string: origin).map({ $0.path.isEmpty || $0.path == "/" }) == true,
                    URLComponents(string: origin).map({ $0.query == nil && $0.fragment == nil }) == true
                else {
                    return "'\(origin)' is not an origin (https://host[:port], no path)"
                }
            }
            return nil
        case (.logLevel, .string(let name)):
            return Logger.Level(rawValue: name) == nil ? logLevelReason(name) : nil
        default:
            return "has the wrong type"
        }
    }
}

extension ServeConfiguration.Overrides {
    /// Checks the values this source sets, so that an error names the source that supplied the
    /// bad value (a flag, an environment variable, a key in a file).
    func validate(as source: ConfigurationError.Source) throws(ConfigurationError) {
        for (setting, value) in values {
            if let reason = ServeConfiguration.problem(with: value, for: setting) {
                throw ConfigurationError(source: source, key: setting.key(in: source), reason: reason)
            }
        }
    }
}

enum TLSSettingsValidation {
    static func check(_ pair: CertificateSettings, key: String) throws(ConfigurationError) {
        if pair.cert.isEmpty { throw ConfigurationError(key: "\(key).cert", reason: "must name a PEM file") }
        if pair.key.isEmpty { throw ConfigurationError(key: "\(key).key", reason: "must name a PEM file") }
        for (index, host) in (pair.hosts ?? []).enumerated() where !isHostPattern(host) {
            throw ConfigurationError(
                key: "\(key).hosts[\(index)]",
                reason: "'\(host)' is not a host name or a '*.example.com' wildcard"
            )
        }
    }

    /// A DNS name, optionally starting with a single `*.` label.
    static func isHostPattern(_ host: String) -> Bool {
        let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
        guard !name.isEmpty, name.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
