import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseStore
import Hummingbird
import Logging

/// The control listener's routes: health, the OpenAPI document, the version and limits, Gatehouse's issuer documents
/// (`/.well-known/...`), and the admin API.
enum AdminRouter {
    struct Dependencies: Sendable {
        var store: any Store
        var sealer: SecretSealer
        var verifier: AdminTokenVerifier
        var health: HealthState
        var openAPI: OpenAPIDocument
        var issuer: IssuerSlot = IssuerSlot()
        /// The `/auth/...` routes; nil leaves them out (tests of the admin API alone).
        var auth: AuthServices? = nil
        /// The built-in roles (or `--policies-dir`'s), which every org's policies may bind.
        var roles: RoleCatalog = RoleFiles.builtin()
        /// Invoking functions, runs and code; nil leaves those routes out (tests of the admin API alone).
        var functions: FunctionServices? = nil
        /// What `/v1/version` reports of the server's limits.
        var limits = ServerVersion.Limits(
            maxCodeBytes: ServeConfiguration.defaultMaxCodeBytes, maxBodyBytes: ServeConfiguration.defaultMaxBodyBytes)
        /// The edge's reachable URL, for `/v1/version` (nil when the router runs without an edge).
        var edgeURL: String? = nil
        var logger: Logger
    }

    static func build(_ dependencies: Dependencies) -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.middlewares.add(ProblemMiddleware(logger: dependencies.logger))
        router.middlewares.add(CanonicalPathMiddleware())
        router.get("/healthz") { _, _ in
            try JSONResponse.make(.ok, HealthState.Report(status: "ok", revision: dependencies.health.revision))
        }
        router.get("/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: dependencies.openAPI.json)))
        }
        router.get("/v1/version") { _, _ in
            try JSONResponse.make(.ok, ServerVersion(limits: dependencies.limits, edgeURL: dependencies.edgeURL))
        }
        WellKnownRoutes.register(on: router, issuer: dependencies.issuer)
        if let auth = dependencies.auth {
            LoginRoutes.register(on: router, services: auth)
            SessionRoutes.register(on: router, services: auth)
            TokenEndpoint.register(on: router, services: auth)
            DeviceRoutes.register(on: router, services: auth)
            RevocationEndpoint.register(on: router, services: auth)
        }
        if let functions = dependencies.functions {
            // Outside /v1/ and before authentication: the per-run token is the credential.
            EngineCallbackRoutes.register(on: router, callbacks: functions.callbacks)
        }
        let authorizer = AdminAuthorizer(store: dependencies.store, catalog: dependencies.roles)
        router.middlewares.add(
            AdminAuthMiddleware(
                authenticator: AdminAuthenticator(
                    adminToken: dependencies.verifier, store: dependencies.store, issuer: dependencies.issuer,
                    sessions: dependencies.auth?.sessions.directory),
                authorizer: authorizer))
        let store = dependencies.store
        SigningKeyRoutes.register(on: router, issuer: dependencies.issuer)
        let storage = dependencies.functions?.orgStorage ?? OrgStorage(defaultQuotaBytes: ServeConfiguration.defaultOrgStorageQuotaBytes)
        ResourceEndpoints(store: store, rules: OrgRules(storage: storage)).register(on: router)
        ResourceEndpoints(store: store, rules: FunctionRules()).register(on: router)
        ResourceEndpoints(store: store, rules: RouteRules()).register(on: router)
        ResourceEndpoints(store: store, rules: SecretRules(sealer: dependencies.sealer)).register(on: router)
        ResourceEndpoints(store: store, rules: IdentityProviderRules(sealer: dependencies.sealer)).register(on: router)
        ResourceEndpoints(store: store, rules: ServiceAccountRules()).register(on: router)
        ResourceEndpoints(store: store, rules: APIKeyRules()).register(on: router)
        ResourceEndpoints(store: store, rules: PolicyRules(catalog: dependencies.roles)).register(on: router)
        AccessCheckRoute.register(on: router, authorizer: authorizer)
        if let functions = dependencies.functions {
            RunRoutes.register(on: router, runs: functions.runs)
            InvokeRoute.register(on: router, store: store, services: functions)
            CodeRoutes.register(on: router, store: store, services: functions, logger: dependencies.logger)
        }
        return router
    }
}
