import GatehouseModel
import Testing

@testable import GatehouseClient

@Suite("Parsing apply documents")
struct ApplyDocumentTests {
    @Test func multiDocumentYAML() throws {
        let documents = try ApplyDocument.parseAll(
            """
            kind: org
            name: acme
            displayName: Acme Corp
            ---
            kind: Function
            org: acme
            name: hello
            runtime: http
            http:
              url: http://127.0.0.1:9000/
            timeoutMs: 5000
            ---
            kind: route
            org: acme
            name: hello
            function: hello
            paths: [/hello, "/items/{id}"]
            methods: [GET]
            ---
            kind: SECRET
            org: acme
            name: db
            values:
              user: app
              password: s3cret
            """)
        var function = Function(name: "hello", http: "http://127.0.0.1:9000/", timeoutMs: 5000)
        function.org = "acme"
        var route = Route(name: "hello", function: "hello", paths: ["/hello", "/items/{id}"], methods: ["GET"])
        route.org = "acme"
        var secret = Secret(name: "db", values: ["user": "app", "password": "s3cret"])
        secret.org = "acme"
        #expect(
            documents == [
                .org(Org(name: "acme", displayName: "Acme Corp")), .function(function), .route(route), .secret(secret),
            ])
        #expect(documents.map(\.label) == ["org acme", "function acme/hello", "route acme/hello", "secret acme/db"])
    }

    @Test func identityProvidersAndRouteAuth() throws {
        let documents = try ApplyDocument.parseAll(
            """
            kind: identity-provider
            org: acme
            name: corp
            type: oidc
            oidc:
              issuer: https://login.example.com
              clientId: gatehouse
              clientSecret: s3cret
              audiences: [api://orders]
            ---
            kind: identity-provider
            org: acme
            name: gh
            type: github
            github: {clientId: Iv1.abc, allowedTeams: [acme/platform], acceptBearerTokens: true}
            ---
            kind: route
            org: acme
            name: orders
            function: orders
            paths: [/orders]
            auth: {accept: [jwt, api-key], providers: [corp, gatehouse], scopes: ["orders:read"]}
            """)
        #expect(documents.map(\.label) == ["identity-provider acme/corp", "identity-provider acme/gh", "route acme/orders"])
        guard case .identityProvider(let corp) = documents[0], case .identityProvider(let gh) = documents[1],
            case .route(let route) = documents[2]
        else {
            Issue.record("unexpected documents: \(documents)")
            return
        }
        #expect(corp.type == .oidc)
        #expect(corp.oidc?.clientSecret == "s3cret")
        #expect(corp.oidc?.audiences == ["api://orders"])
        #expect(gh.github?.allowedTeams == ["acme/platform"])
        #expect(gh.github?.acceptBearerTokens == true)
        #expect(route.auth?.effectiveMethods == [.jwt, .apiKey])
        #expect(route.auth?.providers == ["corp", "gatehouse"])
    }

    @Test func identityProviderDocumentsAreValidated() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll(
                "kind: identity-provider\norg: acme\nname: corp\ntype: azure-ad\nazureAd: {tenant: common, clientId: c}\n")
        }
        #expect(error?.problem.field == "azureAd.tenant")
    }

    @Test func jsonObjectAndArray() throws {
        let single = try ApplyDocument.parseAll(#"{"kind": "org", "name": "acme"}"#)
        #expect(single == [.org(Org(name: "acme"))])

        let several = try ApplyDocument.parseAll(
            #"""
            [{"kind": "org", "name": "acme"},
             {"kind": "function", "org": "acme", "name": "hello", "runtime": "http", "http": {"url": "https://fn.example/"}}]
            """#)
        #expect(several.map(\.label) == ["org acme", "function acme/hello"])
    }

    @Test func quotedScalarsStayStrings() throws {
        let documents = try ApplyDocument.parseAll(
            """
            kind: org
            name: acme
            displayName: "true"
            """)
        #expect(documents == [.org(Org(name: "acme", displayName: "true"))])
    }

    @Test func unquotedNonStringIsATypeError() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: org\nname: acme\ndisplayName: true\n")
        }
        #expect(error?.problem.field == "displayName")
    }

    @Test func emptyDocumentsAreSkippedButCounted() throws {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("---\n# nothing here\n---\nkind: org\nname: acme\n---\nkind: org\n")
        }
        #expect(error?.documentIndex == 3)
        #expect(error?.problem.field == "name")
    }

    @Test func missingKind() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: org\nname: acme\n---\nname: hello\n")
        }
        #expect(error?.documentIndex == 2)
        #expect(error?.problem.field == "kind")
        #expect(error?.description.contains("document 2") == true)
    }

    @Test func unknownKind() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: lambda\nname: hello\n")
        }
        #expect(error?.documentIndex == 1)
        #expect(error?.problem.field == "kind")
        #expect(error?.problem.detail?.contains("'lambda'") == true)
        #expect(error?.problem.detail?.contains("org, function, route, secret") == true)
    }

    @Test(arguments: ["function", "route", "secret", "identity-provider"])
    func orgScopedKindsNeedAnOrg(kind: String) {
        let bodies = [
            "function": "runtime: http\nhttp: {url: 'http://x/'}",
            "route": "function: hello\npaths: [/hello]",
            "secret": "values: {a: b}",
            "identity-provider": "type: github\ngithub: {clientId: c}",
        ]
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: \(kind)\nname: hello\n\(bodies[kind]!)\n")
        }
        #expect(error?.problem.field == "org")
    }

    @Test func unknownFieldIsNamed() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll(
                """
                kind: function
                org: acme
                name: hello
                runtime: http
                http:
                  url: http://127.0.0.1:9000/
                  urll: http://127.0.0.1:9000/
                """)
        }
        #expect(error?.problem.slug == "unknown-field")
        #expect(error?.problem.field == "http.urll")
        #expect(error?.description.contains("http.urll") == true)
    }

    @Test func unknownTopLevelFieldIsNamed() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll(
                """
                kind: function
                org: acme
                name: hello
                runtime: http
                http: {url: "http://127.0.0.1:9000/"}
                timoutMs: 10
                """)
        }
        #expect(error?.problem.slug == "unknown-field")
        #expect(error?.problem.field == "timoutMs")
    }

    @Test func anOrgHasNoOrgField() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: org\norg: other\nname: acme\n")
        }
        #expect(error?.problem.field == "org")
    }

    @Test func documentsAreValidated() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: route\norg: acme\nname: r\nfunction: f\npaths: [nope]\n")
        }
        #expect(error?.problem.field == "paths[0]")
    }

    @Test func invalidOrgName() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: secret\norg: Acme\nname: db\nvalues: {a: b}\n")
        }
        #expect(error?.problem.field == "org")
    }

    @Test func aResourceDefinedTwiceIsRefused() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: org\nname: acme\n---\nkind: org\nname: other\n---\nkind: org\nname: acme\n")
        }
        #expect(error?.documentIndex == 3)
        #expect(error?.problem.detail?.contains("document 1") == true)
    }

    @Test func aDocumentMustBeAMapping() {
        let error = #expect(throws: ApplyDocumentError.self) { try ApplyDocument.parseAll("- kind: org\n") }
        #expect(error?.documentIndex == 1)
    }

    @Test func yamlSyntaxErrorsNameTheDocument() {
        let error = #expect(throws: ApplyDocumentError.self) {
            try ApplyDocument.parseAll("kind: org\nname: acme\n---\nkind: [org\n")
        }
        #expect(error?.documentIndex == 2)
        #expect(error?.problem.slug == "malformed-json")
    }

    @Test func serverManagedFieldsAreAccepted() throws {
        // What `get -o yaml` prints can be applied back.
        let documents = try ApplyDocument.parseAll(
            """
            kind: org
            name: acme
            revision: 7
            createdAt: 2025-01-02T03:04:05Z
            updatedAt: '2025-01-02T03:04:05Z'
            """)
        guard case .org(let org) = documents.first else {
            Issue.record("expected an org")
            return
        }
        #expect(org.revision == 7)
        #expect(org.createdAt == org.updatedAt)
        #expect(org.createdAt != nil)
    }

    @Test func noDocuments() throws {
        #expect(try ApplyDocument.parseAll("").isEmpty)
        #expect(try ApplyDocument.parseAll("# only a comment\n").isEmpty)
    }
}
