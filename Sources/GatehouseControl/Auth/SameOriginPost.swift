import GatehouseIdentity
import GatehouseModel
import Hummingbird
import HTTPTypes

/// Browser POSTs that change something (sign-out, approving a device) must come from
/// Gatehouse's own pages (or an origin listed in `loginReturnOrigins`): a foreign `Origin`, or
/// `Sec-Fetch-Site: cross-site`, is refused. The session cookie's `SameSite=Lax` already keeps
/// it off cross-site POSTs; this also covers requests that need no cookie, such as a page on
/// another site auto-submitting a device approval (RFC 8628 §5.4's remote phishing).
enum SameOriginPost {
    static func require(_ request: Request, services: AuthServices, action: String) throws {
        if let origin = request.headers[.origin], origin != "null" {
            let own = ReturnURLPolicy.normalizedOrigin(try services.currentIssuer().issuer)
            let normalized = ReturnURLPolicy.normalizedOrigin(origin)
            guard normalized != nil, normalized == own || services.returnPolicy.allowedOrigins.contains(normalized!) else {
                throw Problem.forbidden("\(action) must come from Gatehouse's own pages")
            }
        }
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" {
            throw Problem.forbidden("\(action) must come from Gatehouse's own pages")
        }
    }
}
