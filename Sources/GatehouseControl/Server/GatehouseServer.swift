import Foundation
import GatehouseEdge
import GatehouseStore
import Hummingbird
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// `gatehouse serve`: opens the store, prepares keys and certificates, builds the first
/// snapshot, then runs the edge and control listeners until SIGTERM/SIGINT.
public enum GatehouseServer {
    public static func run(configuration: ServeConfiguration, environment: [String: String], logger: Logger) async throws {
        let dataDir = configuration.dataDirectory
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

        let store = try SQLiteStore(path: dataDir.appendingPathComponent("gatehouse.sqlite").path)
        let sealer = try SecretSealer.load(dataDir: dataDir, environment: environment)
        let verifier = try await AdminTokenBootstrap.ensure(store: store, dataDir: dataDir, logger: logger)

        var devPaths: DevCertificates.Paths?
        if configuration.tls.certificates.isEmpty {
            devPaths = try DevCertificates.ensure(
                certsDir: configuration.certsDirectory, hostNames: DevCertificates.machineHostNames(), logger: logger)
        }
        let edgeTLS = try ServerTLS.makeConfiguration(
            settings: configuration.tls, devPaths: devPaths, applicationProtocols: ["h2", "http/1.1"])

        let group = MultiThreadedEventLoopGroup.singleton
        let publicAddress = try configuration.publicListenAddress
        let plainAddress = try configuration.plainListenAddress
        let adminAddress = try configuration.adminListenAddress
        let edge = try EdgeServer(
            configuration: .init(
                publicHost: publicAddress.host, publicPort: publicAddress.port,
                plainHost: plainAddress?.host, plainPort: plainAddress?.port, tls: edgeTLS,
                settings: EdgeSettings(maxBodyBytes: configuration.maxBodyBytes, logger: logger),
                shutdownGrace: .milliseconds(Int64(configuration.shutdownGraceSeconds * 1000))),
            group: group)

        let health = HealthState()
        let snapshots = SnapshotService(store: store, edge: edge, health: health, logger: logger)
        try await snapshots.publishCurrent()
        let edgeAddresses = try await edge.bind()
        logger.notice(
            "edge listening",
            metadata: [
                "https": "\(ListenersFile.describe(edgeAddresses.public))",
                "plain": "\(edgeAddresses.plain.map(ListenersFile.describe) ?? "off")",
            ])

        let router = AdminRouter.build(
            .init(store: store, sealer: sealer, verifier: verifier, health: health, openAPI: try OpenAPIDocument.load(), logger: logger))
        let controlTLS = try ServerTLS.makeConfiguration(
            settings: configuration.tls, devPaths: devPaths, applicationProtocols: ["h2", "http/1.1"])
        let control = Application(
            router: router,
            server: try .http2Upgrade(tlsConfiguration: controlTLS),
            configuration: .init(address: .hostname(adminAddress.host, port: adminAddress.port), serverName: nil),
            onServerRunning: { channel in
                let admin = channel.localAddress.map(ListenersFile.describe) ?? "?"
                logger.notice("control listening", metadata: ["https": "\(admin)"])
                do {
                    try ListenersFile.write(
                        .init(
                            public: ListenersFile.describe(edgeAddresses.public), admin: admin,
                            plain: edgeAddresses.plain.map(ListenersFile.describe)),
                        dataDir: dataDir)
                } catch {
                    logger.error("could not write listeners.json", metadata: ["error": "\(error)"])
                }
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger)

        let services = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: edge), .init(service: snapshots), .init(service: control),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await services.run()
        try store.close()
        logger.notice("gatehouse stopped")
    }
}
