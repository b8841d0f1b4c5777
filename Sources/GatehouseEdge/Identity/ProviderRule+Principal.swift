import Foundation
import GatehouseIdentity
import GatehouseModel

/// How a verified token of one of the org's providers becomes a `Principal`: Gatehouse's own
/// tokens as Gatehouse wrote them, other providers' through their claim mappings.
extension OrgIdentity.ProviderRule {
    /// The caller a verified token of this provider stands for, or why it stands for none.
    /// `sessions`: where a Gatehouse token minted from a login session (`sid`) must still find
    /// that session, so signing out ends the token too.
    func principal(of token: VerifiedToken, org: String, sessions: SessionDirectory?, now: Date) -> Result<Principal, AuthRefusal> {
        switch kind {
        case .gatehouse:
            switch GatehouseTokenPrincipal.principal(of: token, sessions: sessions, now: now) {
            case .failure(let refusal):
                return .failure(.invalidToken(refusal.description))
            case .success(var principal):
                // One org's Gatehouse token is no credential in another org.
                guard principal.org == org else { return .failure(.invalidToken("the token was issued for another org")) }
                principal.provider = principal.provider ?? name
                return .success(principal)
            }
        case .external(let subjectClaim, _, let groupsClaim, let rolesClaim):
            guard let subject = subjectClaim == "sub" ? token.subject : token.claims[subjectClaim]?.stringValue,
                !subject.isEmpty
            else {
                return .failure(.invalidToken("the token has no '\(subjectClaim)' claim to identify the caller"))
            }
            var groups = Set(token.claims[groupsClaim]?.names ?? [])
            if let rolesClaim { groups.formUnion(token.claims[rolesClaim]?.names ?? []) }
            return .success(
                Principal(
                    kind: .user, subject: subject, org: org, groups: groups, scopes: Set(token.scopes),
                    provider: name, expiresAt: token.expiresAt))
        }
    }
}
