import GatehouseModel

/// `gatehouse apply --prune`: what the server holds in a file's orgs that the file no longer
/// declares, so applying the file can also remove it.
extension AdminClient {
    /// The stored resources of the orgs `documents` declare (an org document, or the org of an
    /// org-scoped one), of every org-scoped kind a file may hold, that `documents` does not
    /// declare; in delete order, so routes go before the functions they use. Orgs themselves are
    /// never candidates, and an org the server does not hold yet has none.
    public func pruneCandidates(for documents: [ApplyDocument]) async throws -> [ApplyDocument] {
        let declared = Set(documents.map(\.label))
        var orgs: [String] = []
        for document in documents {
            let org = document.org ?? document.name
            if !orgs.contains(org) { orgs.append(org) }
        }
        var candidates: [ApplyDocument] = []
        for org in orgs {
            candidates += try await storedDocuments(in: org).filter { !declared.contains($0.label) }
        }
        return ApplyDocument.orderedForDelete(candidates)
    }

    /// Every org-scoped resource `org` holds, as documents; none when the org does not exist.
    private func storedDocuments(in org: String) async throws -> [ApplyDocument] {
        do {
            return try await listed(Secret.self, in: org, as: ApplyDocument.secret)
                + listed(IdentityProvider.self, in: org, as: ApplyDocument.identityProvider)
                + listed(ServiceAccount.self, in: org, as: ApplyDocument.serviceAccount)
                + listed(OrgAPIKey.self, in: org, as: ApplyDocument.apiKey)
                + listed(Function.self, in: org, as: ApplyDocument.function)
                + listed(Route.self, in: org, as: ApplyDocument.route)
                + listed(Policy.self, in: org, as: ApplyDocument.policy)
        } catch let problem as Problem where problem.status == 404 {
            return []
        }
    }

    /// One kind's resources in `org`, each keeping its org even if the listing leaves it out.
    private func listed<R: OrgScopedResource>(
        _ type: R.Type, in org: String, as document: (R) -> ApplyDocument
    ) async throws -> [ApplyDocument] {
        try await listAll(R.self, org: org).map { resource in
            var resource = resource
            if resource.org == nil { resource.org = org }
            return document(resource)
        }
    }
}
