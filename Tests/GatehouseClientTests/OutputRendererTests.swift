import Foundation
import GatehouseModel
import Testing

@testable import GatehouseClient

@Suite("Output rendering")
struct OutputRendererTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    let table = OutputRenderer(format: .table, now: now)

    static func stamped<R: Resource>(_ resource: R, revision: Int64, age: TimeInterval) -> R {
        var copy = resource
        copy.revision = revision
        copy.createdAt = now.addingTimeInterval(-age)
        copy.updatedAt = copy.createdAt
        return copy
    }

    @Test func orgTable() throws {
        let orgs = [
            Self.stamped(Org(name: "acme", displayName: "Acme Corp"), revision: 3, age: 90),
            Self.stamped(Org(name: "beta"), revision: 12, age: 3 * 86_400),
        ]
        #expect(
            try table.render(orgs) == """
                NAME   DISPLAY NAME   REVISION   AGE
                acme   Acme Corp      3          1m
                beta                  12         3d

                """)
    }

    @Test func functionTable() throws {
        var function = Self.stamped(
            Function(name: "hello", http: "http://127.0.0.1:9000/"), revision: 5, age: 7200)
        function.org = "acme"
        var slow = Self.stamped(Function(name: "slow", http: "https://fn.example/x", timeoutMs: 1500), revision: 6, age: 5)
        slow.org = "acme"
        #expect(
            try table.render([function, slow]) == """
                NAME    ORG    RUNTIME   URL                      TIMEOUT   STATUS   REVISION   AGE
                hello   acme   http      http://127.0.0.1:9000/   30s       ready    5          2h
                slow    acme   http      https://fn.example/x     1500ms    ready    6          5s

                """)
    }

    @Test func functionTableShowsCodeRuntimesAndTheirStatus() throws {
        var function = Self.stamped(Function(name: "hello", http: ""), revision: 7, age: 60)
        function.org = "acme"
        function.runtime = .process
        function.http = nil
        function.process = Function.ProcessRuntime(language: .python3, handler: "main.handle")
        var built = function
        built.name = "built"
        built.status = Function.Status(state: .error, reason: "no module main")
        #expect(
            try table.render([function, built]) == """
                NAME    ORG    RUNTIME   URL                   TIMEOUT   STATUS    REVISION   AGE
                hello   acme   process   python3 main.handle   30s       pending   7          1m
                built   acme   process   python3 main.handle   30s       error     7          1m

                """)
    }

    @Test func routeTable() throws {
        var route = Self.stamped(
            Route(name: "hello", function: "hello", paths: ["/hello", "/items/{id}"]), revision: 9, age: 30)
        route.org = "acme"
        var hosted = Self.stamped(
            Route(
                name: "api", function: "api", paths: ["/*"], methods: ["GET", "POST"], hosts: ["api.example.com"],
                auth: .init(accept: [.jwt, .apiKey])),
            revision: 10, age: 30)
        hosted.org = "acme"
        #expect(
            try table.render([route, hosted]) == """
                NAME    ORG    FUNCTION   PATHS                METHODS    HOSTS             AUTH          REVISION   AGE
                hello   acme   hello      /hello,/items/{id}   ALL        (org prefix)      none          9          30s
                api     acme   api        /*                   GET,POST   api.example.com   jwt,api-key   10         30s

                """)
    }

    @Test func secretTableShowsKeysOnly() throws {
        var secret = Self.stamped(Secret(name: "db", values: ["user": "app", "password": "s3cret"]), revision: 4, age: 0)
        secret.org = "acme"
        let rendered = try table.render(secret)
        #expect(
            rendered == """
                NAME   ORG    KEYS            REVISION   AGE
                db     acme   password,user   4          0s

                """)
    }

    @Test func secretValuesNeverReachAnyFormat() throws {
        var secret = Secret(name: "db", values: ["password": "s3cret"])
        secret.org = "acme"
        for format in OutputFormat.allCases {
            let renderer = OutputRenderer(format: format, now: Self.now)
            #expect(try !renderer.render(secret).contains("s3cret"), "format \(format)")
            #expect(try !renderer.render([secret]).contains("s3cret"), "format \(format)")
            #expect(try !renderer.renderMixed([.secret(secret)]).contains("s3cret"), "format \(format)")
        }
    }

    @Test func identityProviderTableAndNoClientSecretInAnyFormat() throws {
        var provider = Self.stamped(
            IdentityProvider(
                name: "corp", oidc: .init(issuer: "https://login.example.com", clientId: "gatehouse", clientSecret: "s3cret")),
            revision: 2, age: 60)
        provider.org = "acme"
        var entra = Self.stamped(
            IdentityProvider(name: "entra", azureAd: .init(tenant: "contoso.onmicrosoft.com", clientId: "c0ffee")),
            revision: 3, age: 60)
        entra.org = "acme"
        #expect(
            try table.render([provider, entra]) == """
                NAME    ORG    TYPE       ISSUER                                                           CLIENT ID   SECRET   REVISION   AGE
                corp    acme   oidc       https://login.example.com                                        gatehouse   set      2          1m
                entra   acme   azure-ad   https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0   c0ffee      -        3          1m

                """)
        for format in OutputFormat.allCases {
            let renderer = OutputRenderer(format: format, now: Self.now)
            #expect(try !renderer.render(provider).contains("s3cret"), "format \(format)")
            #expect(try !renderer.render([provider]).contains("s3cret"), "format \(format)")
            #expect(try !renderer.renderMixed([.identityProvider(provider)]).contains("s3cret"), "format \(format)")
        }
        let yaml = try OutputRenderer(format: .yaml).render([provider])
        #expect(yaml.contains("kind: identity-provider"))
        #expect(yaml.contains("type: oidc"))
        #expect(yaml.contains("clientSecretSet: true"))
    }

    @Test func jsonIsExactlyTheResource() throws {
        var function = Function(name: "hello", http: "http://127.0.0.1:9000/", timeoutMs: 100)
        function.org = "acme"
        function.revision = 5
        let renderer = OutputRenderer(format: .json)
        let single = try renderer.render(function)
        #expect(try StrictJSON.decode(Function.self, from: Data(single.utf8)) == function)

        let list = try renderer.render([function, function])
        let decoded = try JSONDecoder().decode([Function].self, from: Data(list.utf8))
        #expect(decoded == [function, function])
        #expect(try renderer.render([Function]()) == "[]\n")
    }

    @Test func yamlCanBeAppliedBack() throws {
        var function = Function(name: "hello", http: "http://127.0.0.1:9000/", timeoutMs: 100)
        function.org = "acme"
        var route = Route(name: "r", function: "hello", paths: ["/true", "/123"], methods: ["GET"])
        route.org = "acme"
        let renderer = OutputRenderer(format: .yaml)

        let yaml = try renderer.render([function])
        #expect(yaml.contains("kind: function"))
        #expect(try ApplyDocument.parseAll(yaml) == [.function(function)])

        let mixed = try renderer.renderMixed([.function(function), .route(route), .org(Org(name: "acme", displayName: "123"))])
        #expect(
            try ApplyDocument.parseAll(mixed) == [
                .function(function), .route(route), .org(Org(name: "acme", displayName: "123")),
            ])
    }

    @Test func durationsAndAges() {
        #expect(TableCell.duration(milliseconds: 30_000) == "30s")
        #expect(TableCell.duration(milliseconds: 90_000) == "1m30s")
        #expect(TableCell.duration(milliseconds: 900_000) == "15m")
        #expect(TableCell.duration(milliseconds: 1) == "1ms")
        #expect(TableCell.age(since: nil, now: Self.now) == "")
        #expect(TableCell.age(since: Self.now.addingTimeInterval(10), now: Self.now) == "0s")
        #expect(TableCell.age(since: Self.now.addingTimeInterval(-400 * 86_400), now: Self.now) == "1y")
    }
}
