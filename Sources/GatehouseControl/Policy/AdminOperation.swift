import GatehouseModel
import GatehouseStore

/// What an admin API request asks to do, as roles name it: `resource:action` in an org.
///
/// GET and HEAD read, POST creates, PUT updates (and creates too when the resource does not
/// exist yet: `createsIfAbsent`), DELETE deletes. The org collection itself is `orgs` of the
/// caller's own org. Paths that are not the org's resources (signing keys, unknown kinds) have
/// no operation: they are authorized elsewhere or answered 404.
struct AdminOperation: Equatable, Sendable {
    var org: String
    var resource: String
    var action: String
    /// For a PUT of one resource: the key whose absence makes the PUT a create as well.
    var createsIfAbsent: ResourceKey?

    /// The access-check endpoint's last segment: `POST /v1/orgs/{org}/access-checks`.
    static let accessChecks = "access-checks"
    /// Runs are records, not resources: `GET /v1/orgs/{org}/runs[/{id}]` reads them.
    static let runs = "runs"
    /// `POST /v1/orgs/{org}/functions/{name}/invoke`, and `.../code` (PUT uploads, GET reads).
    static let invoke = "invoke"
    static let code = "code"

    init(org: String, resource: String, action: String, createsIfAbsent: ResourceKey? = nil) {
        self.org = org
        self.resource = resource
        self.action = action
        self.createsIfAbsent = createsIfAbsent
    }

    /// `ownOrg`: the caller's org, which `/v1/orgs` (the list) is about.
    init?(method: String, path: String, ownOrg: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard parts.count >= 2, parts[0] == "v1", parts[1] == "orgs" else { return nil }
        let read = method == "GET" || method == "HEAD"
        switch parts.count {
        case 2:
            guard read else { return nil }  // creating orgs is the platform's (AdminAccess)
            self.init(org: ownOrg, resource: ResourceKind.org.rawValue, action: "read")
        case 3:
            guard let action = Self.itemAction(method) else { return nil }
            self.init(org: parts[2], resource: ResourceKind.org.rawValue, action: action)
        case 4 where parts[3] == Self.accessChecks:
            self.init(org: parts[2], resource: ResourceKind.policy.rawValue, action: "read")
        case 4 where parts[3] == Self.runs, 5 where parts[3] == Self.runs:
            // Not readable: answered 405 by the router, but never let through unchecked.
            self.init(org: parts[2], resource: Self.runs, action: read ? "read" : "update")
        case 6 where parts[3] == ResourceKind.function.rawValue && parts[5] == Self.invoke:
            self.init(org: parts[2], resource: ResourceKind.function.rawValue, action: "invoke")
        case 6 where parts[3] == ResourceKind.function.rawValue && parts[5] == Self.code:
            self.init(org: parts[2], resource: ResourceKind.function.rawValue, action: read ? "read" : "update")
        case 4:
            guard ResourceKind(rawValue: parts[3]) != nil else { return nil }
            guard read || method == "POST" else { return nil }
            self.init(org: parts[2], resource: parts[3], action: read ? "read" : "create")
        case 5:
            guard let kind = ResourceKind(rawValue: parts[3]), kind != .org, let action = Self.itemAction(method) else {
                return nil
            }
            self.init(
                org: parts[2], resource: parts[3], action: action,
                createsIfAbsent: method == "PUT" ? ResourceKey(kind: kind, org: parts[2], name: parts[4]) : nil)
        default:
            return nil
        }
    }

    private static func itemAction(_ method: String) -> String? {
        switch method {
        case "GET", "HEAD": "read"
        case "PUT": "update"
        case "DELETE": "delete"
        default: nil
        }
    }
}
