import AsyncHTTPClient
import Foundation
import GatehouseEdge
import GatehouseIdentity
import GatehousePolicy
import GatehouseRuntimes
import GatehouseStore
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOConcurrencyHelpers
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

        // Before anything else: a role file that does not parse is the operator's to fix first.
        let roles = try RoleFiles.load(directory: configuration.policiesDir)
        let store = try SQLiteStore(path: dataDir.appendingPathComponent("gatehouse.sqlite").path)
        let sealer = try SecretSealer.load(dataDir: dataDir, environment: environment)
        let verifier = try await AdminTokenBootstrap.ensure(store: store, dataDir: dataDir, logger: logger)

        var devPaths: DevCertificates.Paths?
        if configuration.tls.certificates.isEmpty {
            devPaths = try DevCertificates.ensure(
                certsDir: configuration.certsDirectory, hostNames: DevCertificates.machineHostNames(), logger: logger)
        }
        var edgeTLS = try ServerTLS.makeConfiguration(
            settings: configuration.tls, devPaths: devPaths, applicationProtocols: ["h2", "http/1.1"])
        // How long a closing connection waits for the client's close_notify (NIOSSL's default is
        // 5 s). Idle pooled clients do not read, so shutdown would wait that long per connection.
        edgeTLS.shutdownTimeout = .seconds(1)

        let group = MultiThreadedEventLoopGroup.singleton
        let health = HealthState()
        // Outbound calls of the control plane, never on a request's path: identity providers'
        // discovery and keys, code exchanges, GitHub's and Microsoft Graph's APIs. Functions on
        // HTTP endpoints and FaaS engines that the invocation pipeline calls get a client per org.
        let outbound = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        let httpClient = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: outbound)
        let engineClients = EngineClients(group: group, configuration: outbound)
        let controlURL = NIOLockedValueBox(configuration.externalURL ?? "")
        let functions = try FunctionServicesFactory.make(
            configuration: configuration, store: store, sealer: sealer, engineClients: engineClients,
            controlURL: { controlURL.withLockedValue { $0 } }, logger: logger)
        let publicAddress = try configuration.publicListenAddress
        let plainAddress = try configuration.plainListenAddress
        let edge = try EdgeServer(
            configuration: .init(
                publicHost: publicAddress.host, publicPort: publicAddress.port,
                plainHost: plainAddress?.host, plainPort: plainAddress?.port, tls: edgeTLS,
                settings: EdgeSettings(
                    maxBodyBytes: configuration.maxBodyBytes, logger: logger,
                    trustedProxies: configuration.trustedProxyRanges,
                    timeouts: ConnectionTimeouts(
                        handshake: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000)),
                        header: .milliseconds(Int64(configuration.headerTimeoutSeconds * 1000)),
                        idle: .milliseconds(Int64(configuration.idleTimeoutSeconds * 1000))),
                    hsts: try StrictTransportSecurity(parsing: configuration.hsts ?? ""),
                    invocation: EdgeInvocation(
                        invoker: functions.invoker, recorder: functions.runs, asyncRuns: functions.runs,
                        runsBaseURL: { controlURL.withLockedValue { $0 } })),
                shutdownGrace: .milliseconds(Int64(configuration.shutdownGraceSeconds * 1000)),
                upstreamTrustRoots: try devPaths.map { try NIOSSLCertificate.fromPEMFile($0.ca.path) } ?? []),
            group: group)

        do {
            try await serve(
                configuration: configuration, store: store, sealer: sealer, verifier: verifier, edge: edge, group: group,
                httpClient: httpClient, devPaths: devPaths, edgeTLS: edgeTLS, health: health, roles: roles,
                functions: functions, controlURL: controlURL, logger: logger)
        } catch {
            await functions.invoker.shutdown()
            await engineClients.shutdown()
            try? await httpClient.shutdown()
            throw error
        }
        await functions.invoker.shutdown()
        await engineClients.shutdown()
        try await httpClient.shutdown()
        try store.close()
        logger.notice("gatehouse stopped")
    }

    private static func serve(
        configuration: ServeConfiguration, store: SQLiteStore, sealer: SecretSealer, verifier: AdminTokenVerifier,
        edge: EdgeServer, group: MultiThreadedEventLoopGroup, httpClient: HTTPClient, devPaths: DevCertificates.Paths?,
        edgeTLS: TLSConfiguration, health: HealthState, roles: RoleCatalog, functions: FunctionServices,
        controlURL: NIOLockedValueBox<String>, logger: Logger
    ) async throws {
        let dataDir = configuration.dataDirectory
        let adminAddress = try configuration.adminListenAddress
        // The sessions browsers sign in to; the edge asks the same directory (`principal(forCookie:now:)`).
        let sessionDirectory = try SessionDirectory(cookieKey: sealer.derivedKey(for: "session-cookies"))
        let keySets = KeySetCacheRegistry(
            fetcher: HTTPKeySetFetcher(client: httpClient),
            policy: KeySetRefreshPolicy(minimumInterval: configuration.keyRefreshSeconds), logger: logger)
        let issuerSlot = IssuerSlot()
        let loginProviders = LoginProviders(store: store, sealer: sealer, client: httpClient, issuer: issuerSlot)
        let snapshots = SnapshotService(
            store: store, edge: edge, health: health, keys: keySets, sessions: sessionDirectory,
            opaqueTokens: GitHubBearerTokens(providers: loginProviders), roles: roles, codeRoot: functions.codeRoot,
            retainFunctions: { [invoker = functions.invoker] live in await invoker.retain(only: live) }, logger: logger)
        try await snapshots.publishCurrent()
        try await QuotaPersistence.load(into: edge.quotaCounter, from: store)
        let edgeAddresses = try await edge.bind()
        logger.notice(
            "edge listening",
            metadata: [
                "https": "\(ListenersFile.describe(edgeAddresses.public))",
                "plain": "\(edgeAddresses.plain.map(ListenersFile.describe) ?? "off")",
            ])

        let sessions = SessionStore(directory: sessionDirectory, records: store)
        try await sessions.load()
        let auth = AuthServices(
            store: store, providers: loginProviders,
            pending: PendingLogins(), sessions: sessions,
            returnPolicy: ReturnURLPolicy(allowedOrigins: configuration.loginReturnOriginList), issuer: issuerSlot,
            logger: logger)
        let router = AdminRouter.build(
            .init(
                store: store, sealer: sealer, verifier: verifier, health: health, openAPI: try OpenAPIDocument.load(),
                issuer: issuerSlot, auth: auth, roles: roles, functions: functions,
                limits: .init(maxCodeBytes: configuration.maxCodeBytes, maxBodyBytes: configuration.maxBodyBytes),
                edgeURL: ReachableURL.https(for: edgeAddresses.public).url,
                logger: logger))
        let controlTLS = { var tls = edgeTLS; tls.applicationProtocols = ["h2", "http/1.1"]; return tls }()
        let control = Application(
            router: router,
            // An idle pooled client never answers the shutdown GOAWAY's PING: bound that wait.
            // Hummingbird's HTTP/1.1 idle timer runs from the connection's start or the last
            // request part, so a request head trickled in slowly is cut off by it too: the header
            // timeout serves as both there. HTTP/2 closes after the idle timeout with no stream.
            server: HTTPServerBuilder { responder in
                HandshakeTimedChannel(
                    inner: try HTTP2UpgradeChannel(
                        tlsConfiguration: controlTLS,
                        configuration: .init(
                            idleTimeout: .seconds(configuration.idleTimeoutSeconds), gracefulCloseTimeout: .seconds(1),
                            streamConfiguration: .init(
                                additionalChannelHandlers: [UnparsableRequestHandler(logger: logger)],
                                idleTimeout: .milliseconds(Int64(configuration.headerTimeoutSeconds * 1000)))),
                        responder: responder),
                    timeout: .milliseconds(Int64(configuration.handshakeTimeoutSeconds * 1000)))
            },
            configuration: .init(address: .hostname(adminAddress.host, port: adminAddress.port), serverName: nil),
            onServerRunning: { channel in
                let admin = channel.localAddress.map(ListenersFile.describe) ?? "?"
                logger.notice("control listening", metadata: ["https": "\(admin)"])
                let reachable = channel.localAddress.map(ReachableURL.https(for:))
                let externalURL = configuration.externalURL ?? reachable?.url ?? "https://\(admin)"
                controlURL.withLockedValue { if $0.isEmpty { $0 = externalURL } }
                StartupBanner.log(
                    edge: ReachableURL.https(for: edgeAddresses.public), admin: externalURL,
                    adminDerivation: configuration.externalURL == nil ? reachable?.derivation : "--external-url",
                    adminToken: dataDir.appendingPathComponent(AdminTokenBootstrap.fileName).path, logger: logger)
                do {
                    // The issuer is the control listener's external URL, known now the port is bound.
                    let issuer = try TokenIssuer(
                        configuration: .init(externalURL: externalURL),
                        dataDirectory: dataDir, masterKey: sealer.derivedKey(for: "signing-keys"))
                    issuerSlot.install(issuer)
                    try await snapshots.install(issuer: issuer)
                    logger.info("token issuer ready", metadata: ["issuer": "\(issuer.issuer)", "kid": "\(issuer.currentKeyID)"])
                } catch {
                    logger.error("token issuer unavailable", metadata: ["error": "\(error)"])
                }
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

        var groupConfiguration = ServiceGroupConfiguration(
            // Shut down in reverse order: the listeners drain first, then snapshots stop.
            services: [
                .init(service: snapshots), .init(service: SigningKeyRotation(slot: issuerSlot, logger: logger)),
                // Stops after the listeners have drained, so its last save holds every count.
                .init(service: QuotaPersistence(counter: edge.quotaCounter, store: store, logger: logger)),
                // Stops after the listeners: the edge's last runs are recorded, queued ones stay queued.
                .init(service: functions.runs),
                .init(service: CodeCollector(store: store, codes: CodeStore(root: functions.codeRoot), logger: logger)),
                .init(service: ListenersService(edge: edge, control: control)),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A backstop past the grace period: whatever still holds a connection open (an HTTP/2
        // client that never answers the control listener's GOAWAY ping) is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownGraceSeconds * 1000) + 1000)
        let services = ServiceGroup(configuration: groupConfiguration)
        try await services.run()
    }
}
