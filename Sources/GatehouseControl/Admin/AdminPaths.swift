import GatehouseModel

/// The shapes of the control listener's paths and the methods each takes, so that a known path
/// with an unsupported method answers 405 with `Allow` rather than the router's 404.
enum AdminPaths {
    static func allowedMethods(for path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let scopedKinds = Set(ResourceKind.allCases.filter { $0 != .org }.map(\.rawValue))
        switch parts.count {
        case 1 where parts[0] == "healthz": return ["GET"]
        case 2 where parts == ["v1", "openapi.json"] || parts == ["v1", "version"]: return ["GET"]
        case 2 where parts == [".well-known", "openid-configuration"] || parts == [".well-known", "jwks.json"]: return ["GET"]
        case 2 where parts == ["auth", "session"] || parts == ["auth", "signed-in"]: return ["GET"]
        case 2 where parts == ["auth", "device"]: return ["GET", "POST"]
        case 2 where ["logout", "token", "revoke"].contains(parts[1]) && parts[0] == "auth": return ["POST"]
        case 3 where parts == ["auth", "device", "code"]: return ["POST"]
        case 4 where parts[0] == "auth" && (parts[3] == "login" || parts[3] == "callback"): return ["GET"]
        case 2 where parts == ["v1", "orgs"]: return ["GET", "POST"]
        case 2 where parts == ["v1", "signing-keys"]: return ["GET"]
        case 3 where parts == ["v1", "signing-keys", "rotate"]: return ["POST"]
        case 3 where parts[0] == "v1" && parts[1] == "orgs": return ["DELETE", "GET", "PUT"]
        case 4 where parts[0] == "v1" && parts[1] == "orgs" && parts[3] == AdminOperation.accessChecks: return ["POST"]
        case 4 where parts[0] == "v1" && parts[1] == "orgs" && parts[3] == AdminOperation.runs: return ["GET"]
        case 5 where parts[0] == "v1" && parts[1] == "orgs" && parts[3] == AdminOperation.runs: return ["GET"]
        case 6 where parts[0] == "v1" && parts[1] == "orgs" && parts[3] == ResourceKind.function.rawValue:
            switch parts[5] {
            case AdminOperation.code: return ["GET", "PUT"]
            case AdminOperation.invoke: return ["POST"]
            default: return nil
            }
        case 4 where parts[0] == "v1" && parts[1] == "orgs" && scopedKinds.contains(parts[3]): return ["GET", "POST"]
        case 5 where parts[0] == "v1" && parts[1] == "orgs" && scopedKinds.contains(parts[3]): return ["DELETE", "GET", "PUT"]
        default: return nil
        }
    }
}
