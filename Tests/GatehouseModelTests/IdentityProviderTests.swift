import Foundation
import GatehouseModel
import Testing

@Suite struct IdentityProviderTests {
    private func decode(_ json: String) throws(Problem) -> IdentityProvider {
        let provider = try StrictJSON.decode(IdentityProvider.self, from: Data(json.utf8))
        try provider.validate()
        return provider
    }

    /// The problem `json` is refused with; records an issue when it is accepted.
    private func refusal(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
        do {
            _ = try decode(json)
            Issue.record("accepted: \(json)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            return error
        }
    }

    private func oidc(_ members: String) -> String {
        #"{"name":"corp","type":"oidc","oidc":{"issuer":"https://login.example.com","clientId":"gatehouse"\#(members)}}"#
    }

    private func azure(_ members: String, tenant: String = "72f988bf-86f1-41af-91ab-2d7cd011db47") -> String {
        #"{"name":"entra","type":"azure-ad","azureAd":{"tenant":"\#(tenant)","clientId":"c0ffee"\#(members)}}"#
    }

    private func github(_ members: String) -> String {
        #"{"name":"gh","type":"github","github":{"clientId":"Iv1.abc"\#(members)}}"#
    }

    // MARK: - Accepted documents and defaults

    @Test func oidcWithDefaults() throws {
        let provider = try decode(oidc(""))
        let block = try #require(provider.oidc)
        #expect(provider.type == .oidc)
        #expect(block.effectiveAudiences == ["gatehouse"])
        #expect(block.effectiveScopes == ["openid", "email", "profile"])
        #expect(block.effectiveClaims.effectiveSubject == "sub")
        #expect(block.effectiveClaims.effectiveEmail == "email")
        #expect(block.effectiveClaims.effectiveGroups == "groups")
        #expect(provider.clientId == "gatehouse")
    }

    @Test func oidcWithEverything() throws {
        let provider = try decode(
            oidc(
                #","clientSecret":"s3cret","audiences":["api://orders"],"scopes":["openid","offline_access"],"claims":{"subject":"oid","email":"upn","groups":"roles"}"#
            ))
        #expect(provider.oidc?.effectiveAudiences == ["api://orders"])
        #expect(provider.oidc?.claims?.effectiveSubject == "oid")
        #expect(provider.clientSecret == "s3cret")
        #expect(provider.carriesWriteOnlyValues)
    }

    @Test(arguments: ["http://127.0.0.1:8080", "http://localhost:5556/dex", "http://[::1]:9000/realms/x", "https://id.example.com/tenant/"])
    func loopbackHTTPAndAnyHTTPSIssuerAreFine(issuer: String) throws {
        _ = try decode(#"{"name":"corp","type":"oidc","oidc":{"issuer":"\#(issuer)","clientId":"c"}}"#)
    }

    @Test func azureDefaultsAndAuthority() throws {
        let provider = try decode(azure(""))
        let block = try #require(provider.azureAd)
        #expect(block.effectiveBaseUrl == "https://login.microsoftonline.com")
        #expect(block.effectiveGraphBaseUrl == "https://graph.microsoft.com")
        #expect(block.authority == "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")
        #expect(block.tenantIsId)
        #expect(block.effectiveClaims.effectiveRoles == "roles")
        #expect(block.effectiveAudiences == ["c0ffee"])

        let domain = try decode(azure(#","baseUrl":"https://login.microsoftonline.us/""#, tenant: "contoso.onmicrosoft.com"))
        #expect(domain.azureAd?.authority == "https://login.microsoftonline.us/contoso.onmicrosoft.com/v2.0")
        #expect(domain.azureAd?.tenantIsId == false)
        _ = try decode(azure(#","claims":{"roles":"app_roles","subject":"oid"}"#))
    }

    @Test func githubDefaultsAndWebURL() throws {
        let provider = try decode(github(#","clientSecret":"x""#))
        let block = try #require(provider.github)
        #expect(block.effectiveBaseUrl == "https://api.github.com")
        #expect(block.effectiveWebUrl == "https://github.com")
        #expect(block.effectiveAcceptBearerTokens == false)
        #expect(block.effectiveTokenCacheSeconds == 60)

        let enterprise = try decode(github(#","baseUrl":"https://ghe.example.com/api/v3/""#))
        #expect(enterprise.github?.effectiveWebUrl == "https://ghe.example.com")
        let local = try decode(github(#","baseUrl":"http://127.0.0.1:7000""#))
        #expect(local.github?.effectiveWebUrl == "http://127.0.0.1:7000")
        let explicit = try decode(github(#","baseUrl":"https://ghe.example.com/api/v3","webUrl":"https://login.example.com""#))
        #expect(explicit.github?.effectiveWebUrl == "https://login.example.com")

        _ = try decode(
            github(
                #","allowedOrganizations":["acme","acme-labs"],"allowedTeams":["acme/platform","acme/sre_on-call"],"acceptBearerTokens":true,"tokenCacheSeconds":0"#
            ))
        _ = try decode(github(#","tokenCacheSeconds":3600"#))
    }

    @Test func documentReadBackDecodes() throws {
        // A response carries clientSecretSet and the server-managed fields: PUT-able as it is.
        _ = try decode(
            #"{"name":"corp","type":"oidc","org":"acme","revision":4,"createdAt":"2025-01-02T03:04:05Z","oidc":{"issuer":"https://id.example.com","clientId":"c","clientSecretSet":true}}"#
        )
    }

    // MARK: - Refused documents

    @Test func unknownTypeIsNamed() throws {
        let problem = try #require(refusal(#"{"name":"corp","type":"saml","oidc":{"issuer":"https://x","clientId":"c"}}"#))
        #expect(problem.field == "type")
        #expect(problem.detail?.contains("oidc, azure-ad, github") == true)
        #expect(refusal(#"{"name":"corp","oidc":{"issuer":"https://x","clientId":"c"}}"#)?.field == "type")
    }

    @Test func theTypesBlockIsRequired() {
        #expect(refusal(#"{"name":"corp","type":"oidc"}"#)?.field == "oidc")
        #expect(refusal(#"{"name":"corp","type":"azure-ad"}"#)?.field == "azureAd")
        #expect(refusal(#"{"name":"corp","type":"github"}"#)?.field == "github")
    }

    @Test func anotherTypesBlockIsRefused() throws {
        let wrong = try #require(refusal(#"{"name":"corp","type":"github","oidc":{"issuer":"https://x","clientId":"c"}}"#))
        #expect(wrong.field == "oidc")
        #expect(wrong.detail?.contains("'github'") == true)
        let extra = #"{"name":"corp","type":"oidc","oidc":{"issuer":"https://x","clientId":"c"},"github":{"clientId":"c"}}"#
        #expect(refusal(extra)?.field == "github")
    }

    @Test func unknownMembersAreNamed() {
        #expect(refusal(oidc(#","issuerr":"x""#))?.field == "oidc.issuerr")
        #expect(refusal(oidc(#","claims":{"roles":"roles"}"#))?.field == "oidc.claims.roles")
        #expect(refusal(github(#","scopes":["read:org"]"#))?.field == "github.scopes")
        #expect(refusal(#"{"name":"corp","kind":"oidc","type":"oidc","oidc":{"issuer":"https://x","clientId":"c"}}"#)?.field == "kind")
    }

    @Test func reservedAndInvalidNames() {
        #expect(refusal(#"{"name":"gatehouse","type":"oidc","oidc":{"issuer":"https://x","clientId":"c"}}"#)?.field == "name")
        #expect(refusal(#"{"name":"Corp","type":"oidc","oidc":{"issuer":"https://x","clientId":"c"}}"#)?.field == "name")
    }

    @Test(arguments: [
        "ftp://id.example.com", "id.example.com", "/relative", "https://", "https:///path",
        "https://user:pw@id.example.com", "https://id.example.com/?tenant=1", "https://id.example.com/#frag",
        "https://id.example.com:99999", "https://id .example.com", "",
    ])
    func badIssuerURLs(issuer: String) throws {
        let problem = try #require(refusal(#"{"name":"corp","type":"oidc","oidc":{"issuer":"\#(issuer)","clientId":"c"}}"#))
        #expect(problem.field == "oidc.issuer")
    }

    @Test(arguments: ["http://id.example.com", "http://10.0.0.1:8080", "http://127.0.0.2", "http://localhost.example.com"])
    func plainHTTPIsOnlyForLoopback(issuer: String) throws {
        let problem = try #require(refusal(#"{"name":"corp","type":"oidc","oidc":{"issuer":"\#(issuer)","clientId":"c"}}"#))
        #expect(problem.field == "oidc.issuer")
        #expect(problem.detail?.contains("loopback") == true)
        #expect(problem.detail?.contains("development and tests") == true)
    }

    @Test func overlongURLIsRefused() {
        let long = "https://id.example.com/" + String(repeating: "a", count: 1100)
        #expect(refusal(#"{"name":"corp","type":"oidc","oidc":{"issuer":"\#(long)","clientId":"c"}}"#)?.field == "oidc.issuer")
    }

    @Test func otherURLsAreCheckedToo() {
        #expect(refusal(azure(#","baseUrl":"http://login.example.com""#))?.field == "azureAd.baseUrl")
        #expect(refusal(azure(#","graphBaseUrl":"https://graph.example.com/?x""#))?.field == "azureAd.graphBaseUrl")
        #expect(refusal(github(#","baseUrl":"ghe.example.com""#))?.field == "github.baseUrl")
        #expect(refusal(github(#","webUrl":"https://a:b@github.com""#))?.field == "github.webUrl")
    }

    @Test(arguments: ["common", "organizations", "Common"])
    func multiTenantAliasesAreRefused(tenant: String) throws {
        let problem = try #require(refusal(azure("", tenant: tenant)))
        #expect(problem.field == "azureAd.tenant")
        #expect(problem.detail?.contains("pin one tenant") == true)
    }

    @Test(arguments: ["consumers", "72f988bf-86f1-41af-91ab", "not a tenant", "contoso", "-contoso.com", "72f988bf86f141af91ab2d7cd011db47"])
    func badTenants(tenant: String) {
        #expect(refusal(azure("", tenant: tenant))?.field == "azureAd.tenant")
    }

    @Test func clientFieldsAreBounded() {
        #expect(refusal(oidc("").replacingOccurrences(of: #""clientId":"gatehouse""#, with: #""clientId":"""#))?.field == "oidc.clientId")
        let longId = String(repeating: "c", count: 257)
        #expect(refusal(github("").replacingOccurrences(of: "Iv1.abc", with: longId))?.field == "github.clientId")
        let longSecret = String(repeating: "s", count: 4097)
        #expect(refusal(oidc(#","clientSecret":"\#(longSecret)""#))?.field == "oidc.clientSecret")
        #expect(refusal(oidc(#","clientSecret":"abc\n""#))?.field == "oidc.clientSecret")
    }

    @Test func listsAreBounded() {
        let many = "[" + (0...64).map { "\"a\($0)\"" }.joined(separator: ",") + "]"
        #expect(refusal(oidc(#","audiences":\#(many)"#))?.field == "oidc.audiences")
        let manyScopes = "[\"openid\"," + (0...64).map { "\"s\($0)\"" }.joined(separator: ",") + "]"
        #expect(refusal(oidc(#","scopes":\#(manyScopes)"#))?.field == "oidc.scopes")
        #expect(refusal(github(#","allowedOrganizations":\#(many)"#))?.field == "github.allowedOrganizations")
        let manyTeams = "[" + (0...64).map { "\"o/t\($0)\"" }.joined(separator: ",") + "]"
        #expect(refusal(github(#","allowedTeams":\#(manyTeams)"#))?.field == "github.allowedTeams")
        #expect(refusal(azure(#","audiences":[]"#))?.field == "azureAd.audiences")
        let longAudience = String(repeating: "a", count: 257)
        #expect(refusal(oidc(#","audiences":["\#(longAudience)"]"#))?.field == "oidc.audiences[0]")
    }

    @Test func scopesMustIncludeOpenIDAndBeScopeTokens() throws {
        let missing = try #require(refusal(oidc(#","scopes":["email"]"#)))
        #expect(missing.field == "oidc.scopes")
        #expect(missing.detail?.contains("openid") == true)
        #expect(refusal(azure(#","scopes":["profile"]"#))?.field == "azureAd.scopes")
        #expect(refusal(oidc(#","scopes":["openid","two words"]"#))?.field == "oidc.scopes[1]")
        #expect(refusal(oidc(#","scopes":[]"#))?.field == "oidc.scopes")
    }

    @Test func claimNamesAreBounded() {
        #expect(refusal(oidc(#","claims":{"subject":""}"#))?.field == "oidc.claims.subject")
        let long = String(repeating: "c", count: 129)
        #expect(refusal(azure(#","claims":{"roles":"\#(long)"}"#))?.field == "azureAd.claims.roles")
    }

    @Test func githubRules() {
        #expect(refusal(github(#","allowedOrganizations":["-acme"]"#))?.field == "github.allowedOrganizations[0]")
        #expect(refusal(github(#","allowedOrganizations":["ok","has space"]"#))?.field == "github.allowedOrganizations[1]")
        #expect(refusal(github(#","allowedTeams":["platform"]"#))?.field == "github.allowedTeams[0]")
        #expect(refusal(github(#","allowedTeams":["acme/a/b"]"#))?.field == "github.allowedTeams[0]")
        #expect(refusal(github(#","tokenCacheSeconds":3601"#))?.field == "github.tokenCacheSeconds")
        #expect(refusal(github(#","tokenCacheSeconds":-1"#))?.field == "github.tokenCacheSeconds")
        #expect(refusal(github(#","acceptBearerTokens":"yes""#))?.field == "github.acceptBearerTokens")
    }

    // MARK: - The client secret

    @Test func redactionDropsTheSecretEverywhere() throws {
        let provider = try decode(oidc(#","clientSecret":"s3cret-value""#))
        let shown = provider.redacted()
        #expect(shown.clientSecret == nil)
        #expect(shown.clientSecretSet == true)
        #expect(!shown.carriesWriteOnlyValues)
        let json = String(decoding: try StrictJSON.encoder.encode(shown), as: UTF8.self)
        #expect(!json.contains("s3cret-value"))
        #expect(json.contains(#""clientSecretSet":true"#))

        var cleared = provider
        cleared.clientSecret = ""
        #expect(cleared.redacted().clientSecretSet == false)
        var untouched = try decode(oidc(""))
        untouched.clientSecretSet = true
        #expect(untouched.redacted().clientSecretSet == true)
    }
}
