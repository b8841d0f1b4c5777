import Foundation
import Testing

@testable import GatehouseControl

@Suite struct ConfigTests {
    /// A fresh directory per test, so that tests run in parallel without sharing files and never
    /// read a `gatehouse.yaml` lying in the package directory.
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-config-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func writeFile(_ yaml: String, named name: String = "gatehouse.yaml") throws -> String {
        let url = directory.appendingPathComponent(name)
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    var absentDefaultFile: String { directory.appendingPathComponent("absent.yaml").path }

    func load(
        configFile: String? = nil,
        environment: [String: String] = [:],
        flags: ServeConfiguration.Overrides = .init()
    ) throws(ConfigurationError) -> ServeConfiguration {
        try ServeConfiguration.load(
            configFile: configFile,
            environment: environment,
            flags: flags,
            defaultConfigFile: absentDefaultFile
        )
    }

    func loadError(
        configFile: String? = nil,
        environment: [String: String] = [:],
        flags: ServeConfiguration.Overrides = .init()
    ) -> ConfigurationError? {
        do {
            _ = try load(configFile: configFile, environment: environment, flags: flags)
            return nil
        } catch {
            return error
        }
    }

    @Test func loginReturnOriginsAreOriginsOnly() throws {
        let configuration = try load(environment: ["GATEHOUSE_LOGIN_RETURN_ORIGINS": "https://console.example.com, http://127.0.0.1:3000"])
        #expect(configuration.loginReturnOriginList == ["https://console.example.com", "http://127.0.0.1:3000"])
        for bad in ["https://console.example.com/path", "console.example.com", "javascript:alert(1)", "https://x@evil.example"] {
            #expect(loadError(flags: .init(loginReturnOrigins: bad))?.key == "loginReturnOrigins")
        }
    }

    @Test func trustedProxiesAreRanges() throws {
        let configuration = try load(environment: ["GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8, ::1"])
        #expect(configuration.trustedProxyRanges.map(\.text) == ["10.0.0.0/8", "::1"])
        #expect(try load().trustedProxyRanges.isEmpty)
        for bad in ["10.0.0.1/8", "proxy.example", "10.0.0.0/33"] {
            #expect(loadError(flags: .init(trustedProxies: bad))?.key == "trustedProxies")
        }
    }

    @Test func keyRefreshSecondsIsBounded() throws {
        #expect(try load().keyRefreshSeconds == 30)
        #expect(try load(environment: ["GATEHOUSE_KEY_REFRESH_SECONDS": "2"]).keyRefreshSeconds == 2)
        for bad in [0.5, 0, -1, 3601, .infinity] {
            #expect(loadError(flags: .init(keyRefreshSeconds: bad))?.key == "keyRefreshSeconds", "\(bad)")
        }
        #expect(loadError(environment: ["GATEHOUSE_KEY_REFRESH_SECONDS": "soon"])?.key == "GATEHOUSE_KEY_REFRESH_SECONDS")
    }

    // MARK: Precedence

    @Test func defaultsWithoutAnySource() throws {
        let configuration = try load()
        #expect(configuration == ServeConfiguration())
        #expect(configuration.dataDir == "./data")
        #expect(configuration.certsDir == "./certs")
        #expect(configuration.publicAddr == "0.0.0.0:8443")
        #expect(configuration.adminAddr == "0.0.0.0:9443")
        #expect(configuration.plainAddr == nil)
        #expect(configuration.maxBodyBytes == 10 * 1024 * 1024)
        #expect(configuration.maxCodeBytes == 64 * 1024 * 1024)
        #expect(configuration.shutdownGraceSeconds == 10)
        #expect(configuration.externalURL == nil)
        #expect(configuration.logLevel == "info")
        #expect(configuration.tls.certificates.isEmpty)
    }

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = try writeFile(
            """
            publicAddr: "127.0.0.1:1001"
            adminAddr: "127.0.0.1:2001"
            plainAddr: "127.0.0.1:3001"
            logLevel: debug
            """
        )
        let environment = [
            "GATEHOUSE_ADMIN_ADDR": "127.0.0.1:2002",
            "GATEHOUSE_PLAIN_ADDR": "127.0.0.1:3002",
        ]
        let flags = ServeConfiguration.Overrides(plainAddr: "127.0.0.1:3003")

        let configuration = try load(configFile: file, environment: environment, flags: flags)

        #expect(configuration.publicAddr == "127.0.0.1:1001")  // file only
        #expect(configuration.adminAddr == "127.0.0.1:2002")  // environment beats file
        #expect(configuration.plainAddr == "127.0.0.1:3003")  // flag beats both
        #expect(configuration.logLevel == "debug")  // file beats default
        #expect(configuration.dataDir == "./data")  // default
    }

    @Test func everyEnvironmentVariableIsRead() throws {
        let configuration = try load(environment: [
            "GATEHOUSE_DATA_DIR": "/var/lib/gatehouse",
            "GATEHOUSE_CERTS_DIR": "/etc/gatehouse/certs",
            "GATEHOUSE_PUBLIC_ADDR": ":443",
            "GATEHOUSE_ADMIN_ADDR": "[::1]:9000",
            "GATEHOUSE_PLAIN_ADDR": "127.0.0.1:8080",
            "GATEHOUSE_MAX_BODY_BYTES": "2048",
            "GATEHOUSE_SHUTDOWN_GRACE_SECONDS": "2.5",
            "GATEHOUSE_EXTERNAL_URL": "https://gatehouse.example.com",
            "GATEHOUSE_LOG_LEVEL": "warning",
        ])
        #expect(
            configuration
                == ServeConfiguration(
                    dataDir: "/var/lib/gatehouse",
                    certsDir: "/etc/gatehouse/certs",
                    publicAddr: ":443",
                    adminAddr: "[::1]:9000",
                    plainAddr: "127.0.0.1:8080",
                    maxBodyBytes: 2048,
                    shutdownGraceSeconds: 2.5,
                    externalURL: "https://gatehouse.example.com",
                    logLevel: "warning"
                )
        )
    }

    @Test func emptyEnvironmentVariablesCountAsUnset() throws {
        let configuration = try load(environment: ["GATEHOUSE_PLAIN_ADDR": "", "GATEHOUSE_MAX_BODY_BYTES": ""])
        #expect(configuration.plainAddr == nil)
        #expect(configuration.maxBodyBytes == ServeConfiguration.defaultMaxBodyBytes)
    }

    @Test func fileReadsEveryKeyIncludingTLS() throws {
        let file = try writeFile(
            """
            dataDir: /srv/data
            certsDir: /srv/certs
            publicAddr: "[::]:443"
            adminAddr: 127.0.0.1:9443
            plainAddr: 0.0.0.0:80
            maxBodyBytes: 1_048_576
            shutdownGraceSeconds: 30
            externalURL: https://admin.example.com:9443
            logLevel: trace
            tls:
              certificates:
                - cert: /etc/tls/a.pem
                  key: /etc/tls/a-key.pem
                  hosts: [a.example.com, "*.a.example.com"]
                - cert: /etc/tls/b.pem
                  key: /etc/tls/b-key.pem
            """
        )
        let configuration = try load(configFile: file)
        #expect(configuration.dataDir == "/srv/data")
        #expect(configuration.certsDir == "/srv/certs")
        #expect(configuration.publicAddr == "[::]:443")
        #expect(configuration.adminAddr == "127.0.0.1:9443")
        #expect(configuration.plainAddr == "0.0.0.0:80")
        #expect(configuration.maxBodyBytes == 1_048_576)
        #expect(configuration.shutdownGraceSeconds == 30)
        #expect(configuration.externalURL == "https://admin.example.com:9443")
        #expect(configuration.logLevel == "trace")
        #expect(
            configuration.tls.certificates == [
                CertificateSettings(cert: "/etc/tls/a.pem", key: "/etc/tls/a-key.pem", hosts: ["a.example.com", "*.a.example.com"]),
                CertificateSettings(cert: "/etc/tls/b.pem", key: "/etc/tls/b-key.pem", hosts: nil),
            ]
        )
    }

    // MARK: Which file

    @Test func configFileComesFromTheEnvironmentWhenNoFlagNamesOne() throws {
        let fromEnvironment = try writeFile("logLevel: error\n", named: "env.yaml")
        let fromFlag = try writeFile("logLevel: critical\n", named: "flag.yaml")
        #expect(try load(environment: ["GATEHOUSE_CONFIG": fromEnvironment]).logLevel == "error")
        #expect(try load(configFile: fromFlag, environment: ["GATEHOUSE_CONFIG": fromEnvironment]).logLevel == "critical")
    }

    @Test func defaultFileIsReadWhenPresentAndMayBeAbsent() throws {
        let defaultFile = try writeFile("logLevel: notice\n", named: "gatehouse.yaml")
        let configuration = try ServeConfiguration.load(
            configFile: nil,
            environment: [:],
            flags: .init(),
            defaultConfigFile: defaultFile
        )
        #expect(configuration.logLevel == "notice")
        #expect(try load().logLevel == "info")  // absentDefaultFile does not exist: fine
    }

    @Test func explicitlyNamedMissingFileIsAnError() {
        let missing = directory.appendingPathComponent("missing.yaml").path
        let fromFlag = loadError(configFile: missing)
        #expect(fromFlag?.source == .file(path: missing))
        let fromEnvironment = loadError(environment: ["GATEHOUSE_CONFIG": missing])
        #expect(fromEnvironment?.source == .file(path: missing))
        #expect(fromEnvironment?.description.contains("does not exist") == true)
    }

    @Test func emptyFileSetsNothing() throws {
        let file = try writeFile("# nothing here yet\n")
        #expect(try load(configFile: file) == ServeConfiguration())
    }

    // MARK: File errors

    @Test func unknownKeyErrorNamesTheKeyAndTheFile() throws {
        let file = try writeFile("publicAdr: 0.0.0.0:8443\n")
        let error = try #require(loadError(configFile: file))
        #expect(error.source == .file(path: file))
        #expect(error.key == "publicAdr")
        #expect(error.description.contains("publicAdr"))
        #expect(error.description.contains(file))
        #expect(error.description.contains("unknown key"))
    }

    @Test func unknownNestedKeyIsNamedWithItsPath() throws {
        let file = try writeFile(
            """
            tls:
              certificates:
                - cert: a.pem
                  key: a-key.pem
                  host: [a.example.com]
            """
        )
        let error = try #require(loadError(configFile: file))
        #expect(error.key == "tls.certificates[0].host")
    }

    @Test func wrongTypeErrorNamesTheKey() throws {
        let cases: [(yaml: String, key: String)] = [
            ("maxBodyBytes: lots\n", "maxBodyBytes"),
            ("shutdownGraceSeconds: [1]\n", "shutdownGraceSeconds"),
            ("dataDir: {a: b}\n", "dataDir"),
            ("tls: yes\n", "tls"),
            ("tls: {certificates: {cert: a}}\n", "tls.certificates"),
            ("tls: {certificates: [{key: k.pem}]}\n", "tls.certificates[0].cert"),
        ]
        for (yaml, key) in cases {
            let file = try writeFile(yaml)
            let error = try #require(loadError(configFile: file), "\(yaml)")
            #expect(error.key == key, "\(yaml) → \(error)")
            #expect(error.source == .file(path: file))
        }
    }

    @Test func duplicateKeyIsAnError() throws {
        let file = try writeFile("dataDir: /a\nlogLevel: info\nlogLevel: debug\n")
        let error = try #require(loadError(configFile: file))
        #expect(error.key == "logLevel")
        #expect(error.reason.contains("line 2"))
        #expect(!error.description.contains("/a"))  // the file's text is not quoted back
    }

    @Test func invalidYAMLIsAnErrorNamingTheFile() throws {
        let file = try writeFile("publicAddr: [unclosed\n")
        let error = try #require(loadError(configFile: file))
        #expect(error.source == .file(path: file))
        #expect(error.reason.contains("YAML"))
        #expect(error.reason.contains("line 1"))
    }

    // MARK: Validation

    @Test func badAddressesAreReportedWithTheirSource() throws {
        let fromFlag = try #require(loadError(flags: .init(publicAddr: "localhost")))
        #expect(fromFlag.source == .flags)
        #expect(fromFlag.key == "publicAddr")
        #expect(fromFlag.reason.contains("missing port"))

        let fromEnvironment = try #require(loadError(environment: ["GATEHOUSE_ADMIN_ADDR": "127.0.0.1:99999"]))
        #expect(fromEnvironment.source == .environment)
        #expect(fromEnvironment.key == "GATEHOUSE_ADMIN_ADDR")
        #expect(fromEnvironment.description.contains("GATEHOUSE_ADMIN_ADDR"))

        let file = try writeFile("plainAddr: \"::1:8080\"\n")
        let fromFile = try #require(loadError(configFile: file))
        #expect(fromFile.source == .file(path: file))
        #expect(fromFile.key == "plainAddr")
        #expect(fromFile.reason.contains("brackets"))
    }

    @Test func orgStorageQuotaBytesComesFromEverySourceAndDefaultsTo1GiB() throws {
        #expect(try load().orgStorageQuotaBytes == 1 << 30)
        #expect(try load(flags: .init(orgStorageQuotaBytes: 4096)).orgStorageQuotaBytes == 4096)
        #expect(try load(environment: ["GATEHOUSE_ORG_STORAGE_QUOTA_BYTES": "8192"]).orgStorageQuotaBytes == 8192)
        #expect(try load(configFile: try writeFile("orgStorageQuotaBytes: 2_000_000\n")).orgStorageQuotaBytes == 2_000_000)
        #expect(loadError(flags: .init(orgStorageQuotaBytes: 0))?.key == "orgStorageQuotaBytes")
        #expect(loadError(environment: ["GATEHOUSE_ORG_STORAGE_QUOTA_BYTES": "lots"])?.key == "GATEHOUSE_ORG_STORAGE_QUOTA_BYTES")
    }

    @Test func maxCodeBytesComesFromEverySource() throws {
        #expect(try load(flags: .init(maxCodeBytes: 4096)).maxCodeBytes == 4096)
        #expect(try load(environment: ["GATEHOUSE_MAX_CODE_BYTES": "8192"]).maxCodeBytes == 8192)
        #expect(try load(configFile: try writeFile("maxCodeBytes: 1_000_000\n")).maxCodeBytes == 1_000_000)
        #expect(loadError(flags: .init(maxCodeBytes: 0))?.key == "maxCodeBytes")
        #expect(loadError(environment: ["GATEHOUSE_MAX_CODE_BYTES": "-1"])?.key == "GATEHOUSE_MAX_CODE_BYTES")
    }

    @Test func otherValuesAreValidated() throws {
        #expect(loadError(flags: .init(maxBodyBytes: 0))?.key == "maxBodyBytes")
        #expect(loadError(environment: ["GATEHOUSE_MAX_BODY_BYTES": "-5"])?.key == "GATEHOUSE_MAX_BODY_BYTES")
        #expect(loadError(environment: ["GATEHOUSE_MAX_BODY_BYTES": "ten"])?.reason.contains("whole number") == true)
        #expect(loadError(environment: ["GATEHOUSE_SHUTDOWN_GRACE_SECONDS": "soon"])?.key == "GATEHOUSE_SHUTDOWN_GRACE_SECONDS")
        #expect(loadError(flags: .init(shutdownGraceSeconds: -1))?.key == "shutdownGraceSeconds")
        #expect(loadError(flags: .init(externalURL: "admin.example.com"))?.key == "externalURL")
        let logLevel = try #require(loadError(flags: .init(logLevel: "verbose")))
        #expect(logLevel.key == "logLevel")
        #expect(logLevel.reason.contains("trace, debug, info, notice, warning, error, critical"))
    }

    @Test func badHostPatternInTLSSettingsIsAnError() throws {
        let file = try writeFile("tls: {certificates: [{cert: a.pem, key: k.pem, hosts: [\"a b.example.com\"]}]}\n")
        let error = try #require(loadError(configFile: file))
        #expect(error.key == "tls.certificates[0].hosts[0]")
        #expect(error.source == .file(path: file))
    }

    @Test func errorMessagesSayWhereAndWhy() {
        #expect(
            ConfigurationError(source: .file(path: "g.yaml"), key: "tls.x", reason: "unknown key").description
                == "configuration file g.yaml: key 'tls.x': unknown key"
        )
        #expect(
            ConfigurationError(source: .environment, key: "GATEHOUSE_LOG_LEVEL", reason: "bad").description
                == "environment variable GATEHOUSE_LOG_LEVEL: bad"
        )
        #expect(ConfigurationError(source: .flags, key: "publicAddr", reason: "bad").description == "option publicAddr: bad")
    }

    // MARK: Derived values

    @Test func externalURLIsDerivedFromTheAdminAddress() throws {
        #expect(try ServeConfiguration().resolvedExternalURL() == "https://localhost:9443")
        #expect(try ServeConfiguration(adminAddr: "[::1]:9000").resolvedExternalURL() == "https://[::1]:9000")
        #expect(try ServeConfiguration(adminAddr: "gh.internal:0").resolvedExternalURL(boundAdminPort: 41234) == "https://gh.internal:41234")
        #expect(try ServeConfiguration(externalURL: "https://gh.example.com").resolvedExternalURL() == "https://gh.example.com")
    }

    @Test func typedViews() throws {
        let configuration = try load(flags: .init(plainAddr: ":8080", logLevel: "debug"))
        #expect(try configuration.publicListenAddress == ListenAddress(host: "0.0.0.0", port: 8443))
        #expect(try configuration.plainListenAddress == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(try configuration.loggerLevel == .debug)
    }
}

extension ConfigTests {
    @Suite struct ListenAddressParsing {
        @Test(arguments: [
            ("127.0.0.1:8443", "127.0.0.1", 8443),
            ("localhost:80", "localhost", 80),
            ("0.0.0.0:0", "0.0.0.0", 0),
            (":9443", "0.0.0.0", 9443),
            ("[::1]:8443", "::1", 8443),
            ("[::]:0", "::", 0),
            ("[fe80::1%eth0]:443", "fe80::1%eth0", 443),
            ("gatehouse.example.com:65535", "gatehouse.example.com", 65535),
        ])
        func parses(text: String, host: String, port: Int) throws {
            let address = try ListenAddress(parsing: text)
            #expect(address.host == host)
            #expect(address.port == port)
        }

        @Test(arguments: [
            "",
            "localhost",
            "127.0.0.1:",
            "127.0.0.1:65536",
            "127.0.0.1:-1",
            "127.0.0.1:http",
            "127.0.0.1:+80",
            "::1:8443",
            "[::1]",
            "[::1]8443",
            "[::1:8443",
            "[127.0.0.1]:80",
            "local host:80",
            "http://localhost:80",
        ])
        func rejects(text: String) {
            #expect(throws: ConfigurationError.self) { try ListenAddress(parsing: text) }
        }

        @Test func describesItselfAsItParses() throws {
            #expect(try ListenAddress(parsing: "[::1]:8443").description == "[::1]:8443")
            #expect(try ListenAddress(parsing: ":80").description == "0.0.0.0:80")
            #expect(try ListenAddress(parsing: "[::]:0").isWildcard)
        }
    }
}
