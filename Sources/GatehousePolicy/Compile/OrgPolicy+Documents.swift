import GatehouseModel

extension OrgPolicy {
    /// Compiles an org's stored policy documents. A document that does not compile is left out
    /// and described in `skipped` rather than failing the whole org: the admin API refuses such
    /// writes, so this only meets documents stored before a rule was added, or written against a
    /// different set of built-in roles (`--policies-dir`).
    public init(org: String, documents: [Policy], catalog: RoleCatalog, skipped: inout [String]) {
        // A binding may name a role any of the org's policies defines.
        let orgRoleNames = Set(documents.flatMap { ($0.roles ?? []).map(\.name) })
        var compiled: [CompiledPolicy] = []
        for document in documents {
            do throws(CompiledPolicy.Invalid) {
                compiled.append(try CompiledPolicy(document, org: org, catalog: catalog, orgRoleNames: orgRoleNames))
            } catch {
                skipped.append("policy \(org)/\(document.name): \(error)")
            }
        }
        self.init(org: org, policies: compiled, catalog: catalog)
    }
}
