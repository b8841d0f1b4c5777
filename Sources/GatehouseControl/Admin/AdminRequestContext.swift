import GatehouseIdentity
import Hummingbird

/// The control listener's request context: Hummingbird's core context plus the principal the
/// admin API's authentication established (nil on public paths: `/auth/...`, `/.well-known/...`).
struct AdminRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var principal: Principal?

    init(source: Source) {
        coreContext = .init(source: source)
        principal = nil
    }
}
