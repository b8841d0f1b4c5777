import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing
import X509

@testable import GatehouseControl

// Test-only imports of NIOPosix, NIOTLS, X509 and Crypto resolve through GatehouseControl's dependencies.

/// Grouped under one name so that `swift test --filter TLSTests` runs them all.
@Suite enum TLSTests {}

extension TLSTests {
    @Suite struct DevCertificateGeneration {
        let directory: URL
        let certsDir: URL
        let logs = CapturedLogs()

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("gatehouse-tls-tests-\(UUID().uuidString)", isDirectory: true)
            certsDir = directory.appendingPathComponent("certs", isDirectory: true)
        }

        var logger: Logger { logs.logger }

        @Test func firstStartCreatesTheFourFilesWithPrivateKeys() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["gatehouse-test.local"], logger: logger)
            #expect(paths == DevCertificates.Paths(certsDir: certsDir))
            for file in [paths.ca, paths.caKey, paths.server, paths.serverKey] {
                #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent)")
            }
            #expect(try permissions(paths.caKey) == 0o600)
            #expect(try permissions(paths.serverKey) == 0o600)
            #expect(try permissions(paths.ca) == 0o644)
            // No temporary files are left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: certsDir.path).sorted()
                == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"])
        }

        @Test func serverCertificateChainsToTheCAForEveryName() async throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["gatehouse-test.local", "10.1.2.3"], logger: logger)
            let ca = try readCertificate(paths.ca)
            let server = try readCertificate(paths.server)

            for (hostname, ip) in [("localhost", nil), (nil, "127.0.0.1"), (nil, "::1"), ("gatehouse-test.local", nil), (nil, "10.1.2.3")] {
                var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                    RFC5280Policy()
                    ServerIdentityPolicy(serverHostname: hostname, serverIP: ip)
                }
                let result = await verifier.validate(leaf: server, intermediates: CertificateStore())
                guard case .validCertificate(let chain) = result else {
                    Issue.record("\(hostname ?? ip ?? "?") did not verify: \(result)")
                    continue
                }
                #expect(Array(chain) == [server, ca])
            }

            var otherName = Verifier(rootCertificates: CertificateStore([ca])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: "example.com", serverIP: nil)
            }
            guard case .couldNotValidate = await otherName.validate(leaf: server, intermediates: CertificateStore()) else {
                Issue.record("the certificate must not be valid for example.com")
                return
            }
        }

        @Test func certificatesCarryTheExpectedExtensions() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            let ca = try readCertificate(paths.ca)
            let server = try readCertificate(paths.server)

            #expect(ca.subject == ca.issuer)
            #expect(ca.subject.description.contains("Gatehouse Development CA \(DevCertificates.machineHostName())"))
            #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
            #expect(try ca.extensions.keyUsage?.keyCertSign == true)
            #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) >= 3650 * 24 * 3600 - 1)
            let caKeyIdentifier = try #require(try ca.extensions.subjectKeyIdentifier)
            #expect(P256.Signing.PublicKey(ca.publicKey) != nil)

            #expect(server.issuer == ca.subject)
            #expect(try server.extensions.basicConstraints == .notCertificateAuthority)
            #expect(try server.extensions.keyUsage?.digitalSignature == true)
            #expect(try server.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
            #expect(try server.extensions.authorityKeyIdentifier?.keyIdentifier == caKeyIdentifier.keyIdentifier)
            #expect(try server.extensions.subjectKeyIdentifier != nil)
            #expect(server.notValidAfter.timeIntervalSince(server.notValidBefore) <= 825 * 24 * 3600)
            #expect(P256.Signing.PublicKey(server.publicKey) != nil)
            let names = try #require(try server.extensions.subjectAlternativeNames)
            let hostNames = names.compactMap(CertificateHostName.init)
            #expect(hostNames.contains(.dns("localhost")))
            #expect(hostNames.contains(.ip([127, 0, 0, 1])))
            #expect(hostNames.contains(.ip([UInt8](repeating: 0, count: 15) + [1])))
        }

        @Test func secondStartReusesTheFilesUnchanged() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["gatehouse-test.local"], logger: logger)
            let before = try snapshot(paths)
            let again = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["GATEHOUSE-TEST.local"], logger: logger)
            #expect(again == paths)
            #expect(try snapshot(paths) == before)
        }

        @Test func deletedServerCertificateIsReissuedFromTheSameCA() async throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            let ca = try Data(contentsOf: paths.ca)
            let caKey = try Data(contentsOf: paths.caKey)
            let oldServerKey = try Data(contentsOf: paths.serverKey)
            try FileManager.default.removeItem(at: paths.server)

            _ = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)

            #expect(try Data(contentsOf: paths.ca) == ca)
            #expect(try Data(contentsOf: paths.caKey) == caKey)
            #expect(try Data(contentsOf: paths.serverKey) != oldServerKey)
            try await expectServerVerifies(paths, hostname: "localhost")
        }

        @Test func newHostNameOrNearExpiryReissuesTheServerCertificateOnly() async throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            let ca = try Data(contentsOf: paths.ca)

            let firstServer = try Data(contentsOf: paths.server)
            _ = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["new-name.local"], logger: logger)
            let secondServer = try Data(contentsOf: paths.server)
            #expect(secondServer != firstServer)
            try await expectServerVerifies(paths, hostname: "new-name.local")

            // 800 days on, fewer than 30 remain.
            let later = Date().addingTimeInterval(800 * 24 * 3600)
            _ = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["new-name.local"], logger: logger, now: later)
            #expect(try Data(contentsOf: paths.server) != secondServer)
            #expect(try readCertificate(paths.server).notValidAfter > later.addingTimeInterval(800 * 24 * 3600))
            #expect(try Data(contentsOf: paths.ca) == ca)
        }

        @Test func mismatchedServerKeyIsReissued() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            try P256.Signing.PrivateKey().pemRepresentation.write(to: paths.serverKey, atomically: true, encoding: .utf8)
            let server = try Data(contentsOf: paths.server)
            _ = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            #expect(try Data(contentsOf: paths.server) != server)
            #expect(try permissions(paths.serverKey) == 0o600)
        }

        @Test func logsTheCAPathAndNoKeyMaterial() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: [], logger: logger)
            let entries = logs.entries
            #expect(entries.contains { $0.level == .info && $0.text.contains("--cacert \(paths.ca.path)") })
            let keys = [try String(contentsOf: paths.caKey, encoding: .utf8), try String(contentsOf: paths.serverKey, encoding: .utf8)]
            for entry in entries {
                #expect(!entry.text.contains("PRIVATE KEY"))
                for key in keys {
                    let body = key.split(separator: "\n").dropFirst().first.map(String.init) ?? key
                    #expect(!entry.text.contains(body))
                }
            }
        }

        @Test func invalidExtraHostNamesAreSkipped() throws {
            let paths = try DevCertificates.ensure(certsDir: certsDir, hostNames: ["not a name", "ok.local"], logger: logger)
            let names = try #require(try readCertificate(paths.server).extensions.subjectAlternativeNames)
            #expect(names.contains(.dnsName("ok.local")))
            #expect(!names.contains(.dnsName("not a name")))
            #expect(logs.entries.contains { $0.level == .warning && $0.text.contains("not a name") })
        }

        func expectServerVerifies(_ paths: DevCertificates.Paths, hostname: String) async throws {
            var verifier = Verifier(rootCertificates: CertificateStore([try readCertificate(paths.ca)])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: hostname, serverIP: nil)
            }
            let result = await verifier.validate(leaf: try readCertificate(paths.server), intermediates: CertificateStore())
            guard case .validCertificate = result else {
                Issue.record("server certificate does not verify for \(hostname): \(result)")
                return
            }
        }

        func snapshot(_ paths: DevCertificates.Paths) throws -> [Data] {
            try [paths.ca, paths.caKey, paths.server, paths.serverKey].flatMap { url in
                let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                return [try Data(contentsOf: url), Data("\(modified)".utf8)]
            }
        }
    }

    @Suite struct ServerConfiguration {
        let directory: URL
        let logs = CapturedLogs()

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("gatehouse-servertls-tests-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        @Test func devCertificatesMakeAUsableContext() throws {
            let paths = try DevCertificates.ensure(certsDir: directory, hostNames: [], logger: logs.logger)
            let configuration = try ServerTLS.makeConfiguration(
                settings: TLSSettings(),
                devPaths: paths,
                applicationProtocols: ["h2", "http/1.1"]
            )
            #expect(configuration.minimumTLSVersion == .tlsv12)
            #expect(configuration.maximumTLSVersion == .tlsv13)
            #expect(configuration.applicationProtocols == ["h2", "http/1.1"])
            #expect(configuration.sslContextCallback == nil)
            _ = try NIOSSLContext(configuration: configuration)
        }

        @Test func twoConfiguredPairsMakeAUsableContext() throws {
            let material = try TestCertificates(directory: directory)
            let configuration = try ServerTLS.makeConfiguration(
                settings: material.settings,
                devPaths: nil,
                applicationProtocols: ["h2", "http/1.1"]
            )
            #expect(configuration.sslContextCallback != nil)
            _ = try NIOSSLContext(configuration: configuration)
        }

        @Test func noCertificatesAtAllIsAnError() {
            #expect(throws: TLSMaterialError.self) {
                try ServerTLS.makeConfiguration(settings: TLSSettings(), devPaths: nil, applicationProtocols: [])
            }
        }

        @Test func missingFileErrorNamesTheFile() throws {
            let material = try TestCertificates(directory: directory)
            let missing = directory.appendingPathComponent("nope.pem").path
            var settings = material.settings
            settings.certificates[1].cert = missing
            let error = try #require(throws: TLSMaterialError.self) {
                try ServerTLS.makeConfiguration(settings: settings, devPaths: nil, applicationProtocols: [])
            }
            #expect(error.path == missing)
            #expect(error.description.contains(missing))
        }

        @Test func keyOfAnotherCertificateIsAnErrorNamingBothFiles() throws {
            let material = try TestCertificates(directory: directory)
            var settings = material.settings
            settings.certificates[0].key = settings.certificates[1].key
            let error = try #require(throws: TLSMaterialError.self) {
                try ServerTLS.makeConfiguration(settings: settings, devPaths: nil, applicationProtocols: [])
            }
            #expect(error.path == settings.certificates[1].key)
            #expect(error.reason.contains(settings.certificates[0].cert))
        }

        @Test func garbageFilesAreErrorsNamingTheFile() throws {
            let material = try TestCertificates(directory: directory)
            let garbage = directory.appendingPathComponent("garbage.pem")
            try "not a pem file\n".write(to: garbage, atomically: true, encoding: .utf8)
            for keyPath in [\CertificateSettings.cert, \CertificateSettings.key] {
                var settings = material.settings
                settings.certificates[0][keyPath: keyPath] = garbage.path
                let error = try #require(throws: TLSMaterialError.self) {
                    try ServerTLS.makeConfiguration(settings: settings, devPaths: nil, applicationProtocols: [])
                }
                #expect(error.path == garbage.path)
            }
        }

        @Test func selectorPrefersExactNamesThenWildcardsThenTheFirstPair() {
            let selector = SNICertificateSelector(serverNames: [
                ["default.example.com"],
                ["*.example.com"],
                ["api.example.com"],
                ["*.b.example.org", "b.example.org"],
            ])
            #expect(selector.pairIndex(forServerName: nil) == 0)
            #expect(selector.pairIndex(forServerName: "") == 0)
            #expect(selector.pairIndex(forServerName: "unknown.test") == 0)
            #expect(selector.pairIndex(forServerName: "default.example.com") == 0)
            #expect(selector.pairIndex(forServerName: "API.example.com.") == 2)
            #expect(selector.pairIndex(forServerName: "www.example.com") == 1)
            #expect(selector.pairIndex(forServerName: "a.www.example.com") == 0)  // one label only
            #expect(selector.pairIndex(forServerName: "example.com") == 0)
            #expect(selector.pairIndex(forServerName: "x.b.example.org") == 3)
            #expect(selector.pairIndex(forServerName: "b.example.org") == 3)
        }

        @Test func pairWithoutHostsServesTheNamesInItsCertificate() throws {
            let material = try TestCertificates(directory: directory)
            var settings = material.settings
            settings.certificates[1].hosts = nil
            let pair = try LoadedCertificatePair(settings.certificates[1])
            #expect(pair.serverNames == ["b.example.org", "*.b.example.org"])
        }

        /// A real handshake over loopback: the client sees the certificate chosen by its SNI name and
        /// the ALPN protocol the server offered.
        @Test func handshakeServesTheCertificateForTheRequestedName() async throws {
            let material = try TestCertificates(directory: directory)
            let configuration = try ServerTLS.makeConfiguration(
                settings: material.settings,
                devPaths: nil,
                applicationProtocols: ["h2", "http/1.1"]
            )
            let server = try await LoopbackTLSServer.start(configuration: configuration)
            do {
                for (serverName, expected) in [
                    ("a.example.com", material.leafA),
                    ("api.b.example.org", material.leafB),
                    ("b.example.org", material.leafB),
                    ("unknown.example.net", material.leafA),
                ] {
                    let result = try await server.handshake(
                        serverName: serverName,
                        trusting: material.ca,
                        checkHostname: expected != material.leafA || serverName == "a.example.com",
                        alpn: ["h2"]
                    )
                    #expect(result.peerCertificate == expected, "SNI \(serverName)")
                    #expect(result.negotiatedProtocol == "h2")
                }
                let noSNI = try await server.handshake(serverName: nil, trusting: material.ca, checkHostname: false, alpn: ["http/1.1"])
                #expect(noSNI.peerCertificate == material.leafA)
                #expect(noSNI.negotiatedProtocol == "http/1.1")
            } catch {
                try await server.close()
                throw error
            }
            try await server.close()
        }
    }
}

// MARK: Helpers

func permissions(_ url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

func readCertificate(_ url: URL) throws -> Certificate {
    try Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8))
}

/// A CA and two server pairs written to PEM files: pair A for `a.example.com`, pair B for
/// `b.example.org` and `*.b.example.org`.
struct TestCertificates {
    var ca: NIOSSLCertificate
    var leafA: NIOSSLCertificate
    var leafB: NIOSSLCertificate
    var settings: TLSSettings

    init(directory: URL) throws {
        let authority = try DevCertificateAuthority.generate(now: Date(), machineName: "tests")
        let now = Date()
        let a = try DevServerCertificate.issue(for: [.dns("a.example.com")], by: authority, now: now)
        let b = try DevServerCertificate.issue(for: [.dns("b.example.org"), .dns("*.b.example.org")], by: authority, now: now)
        func write(_ server: DevServerCertificate, _ name: String) throws -> CertificateSettings {
            let cert = directory.appendingPathComponent("\(name).pem")
            let key = directory.appendingPathComponent("\(name)-key.pem")
            try server.certificate.serializeAsPEM().pemString.write(to: cert, atomically: true, encoding: .utf8)
            try server.privateKey.pemRepresentation.write(to: key, atomically: true, encoding: .utf8)
            return CertificateSettings(cert: cert.path, key: key.path)
        }
        var pairA = try write(a, "a")
        pairA.hosts = ["a.example.com"]
        var pairB = try write(b, "b")
        pairB.hosts = ["b.example.org", "*.b.example.org"]
        settings = TLSSettings(certificates: [pairA, pairB])
        ca = try NIOSSLCertificate(bytes: Array(authority.certificate.serializeAsPEM().pemString.utf8), format: .pem)
        leafA = try NIOSSLCertificate.fromPEMFile(pairA.cert)[0]
        leafB = try NIOSSLCertificate.fromPEMFile(pairB.cert)[0]
    }
}

/// A TLS server on 127.0.0.1 with an ephemeral port that completes handshakes and nothing else.
struct LoopbackTLSServer {
    let channel: any Channel
    let port: Int

    struct Handshake {
        var peerCertificate: NIOSSLCertificate?
        var negotiatedProtocol: String?
    }

    static func start(configuration: TLSConfiguration) async throws -> LoopbackTLSServer {
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return LoopbackTLSServer(channel: channel, port: try #require(channel.localAddress?.port))
    }

    /// Connects and completes a handshake. The chain is always checked against `ca`; the host
    /// name only when `checkHostname` (a client that sends no or an unknown name gets the default
    /// certificate, which is not for that name).
    func handshake(
        serverName: String?,
        trusting ca: NIOSSLCertificate,
        checkHostname: Bool,
        alpn: [String]
    ) async throws -> Handshake {
        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.trustRoots = .certificates([ca])
        clientConfiguration.applicationProtocols = alpn
        clientConfiguration.certificateVerification = checkHostname ? .fullVerification : .noHostnameVerification
        let context = try NIOSSLContext(configuration: clientConfiguration)
        let group = MultiThreadedEventLoopGroup.singleton
        let done = group.next().makePromise(of: Handshake.self)
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(HandshakeObserver(tls: tls, done: done))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        defer { client.close(promise: nil) }
        return try await done.futureResult.get()
    }

    func close() async throws {
        try await channel.close()
    }
}

/// Reports the outcome of the client's handshake.
final class HandshakeObserver: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Touched only on the channel's event loop.
    private let tls: NIOSSLClientHandler
    private let done: EventLoopPromise<LoopbackTLSServer.Handshake>

    init(tls: NIOSSLClientHandler, done: EventLoopPromise<LoopbackTLSServer.Handshake>) {
        self.tls = tls
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let negotiatedProtocol) = event as? TLSUserEvent {
            done.succeed(.init(peerCertificate: tls.peerCertificate, negotiatedProtocol: negotiatedProtocol))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

/// Keeps every log record so that tests can check what was (and was not) logged.
final class CapturedLogs: @unchecked Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var text: String
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { lock.withLock { stored } }

    var logger: Logger {
        var logger = Logger(label: "gatehouse.tests") { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let text = ([event.message.description] + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
                .joined(separator: " ")
            sink.append(Entry(level: event.level, text: text))
        }
    }
}
