import Foundation
import GatehouseModel
import Testing

@Suite struct RouteAuthTests {
    private func route(auth: String?) throws(Problem) -> Route {
        let json = #"{"name":"r","function":"f","paths":["/x"]"# + (auth.map { #","auth":\#($0)"# } ?? "") + "}"
        let route = try StrictJSON.decode(Route.self, from: Data(json.utf8))
        try route.validate()
        return route
    }

    private func refusal(_ auth: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
        do {
            _ = try route(auth: auth)
            Issue.record("accepted: \(auth)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            return error
        }
    }

    @Test func absentAuthAndTheOldShapeMeanNone() throws {
        #expect(try route(auth: nil).authMethods == [.anonymous])
        let old = try route(auth: #"{"mode":"none"}"#)
        #expect(old.auth == Route.Auth(mode: .anonymous))
        #expect(old.authMethods == [.anonymous])
        #expect(try route(auth: "{}").authMethods == [.anonymous])
    }

    @Test func modeIsAShorthandEchoedAsGiven() throws {
        let route = try route(auth: #"{"mode":"jwt","providers":["corp"]}"#)
        #expect(route.auth?.effectiveMethods == [.jwt])
        let json = String(decoding: try StrictJSON.encoder.encode(route), as: UTF8.self)
        #expect(json.contains(#""mode":"jwt""#))
        #expect(!json.contains("accept"))
    }

    @Test func theFullShape() throws {
        let route = try route(
            auth: #"{"accept":["jwt","api-key"],"providers":["corp","gatehouse"],"audiences":["api://orders"],"scopes":["orders:read"],"groups":["eng"],"apiKeyHeader":"x-orders-key"}"#
        )
        let auth = try #require(route.auth)
        #expect(auth.effectiveMethods == [.jwt, .apiKey])
        #expect(auth.effectiveAPIKeyHeader == "x-orders-key")
        #expect(auth.admits(provider: "corp"))
        #expect(!auth.admits(provider: "other"))
        #expect(Route.Auth(accept: [.jwt]).admits(provider: "anything"))
        #expect(Route.Auth(accept: [.apiKey]).effectiveAPIKeyHeader == "x-api-key")
        #expect(!auth.acceptsAnonymous)
    }

    @Test func modeAndAcceptTogetherAreRefused() throws {
        let problem = try #require(refusal(#"{"mode":"jwt","accept":["jwt"]}"#))
        #expect(problem.field == "auth.mode")
        #expect(problem.detail?.contains("not both") == true)
    }

    @Test func noneOnlyAlone() throws {
        let problem = try #require(refusal(#"{"accept":["none","jwt"]}"#))
        #expect(problem.field == "auth.accept")
        #expect(problem.detail?.contains("'none'") == true)
        #expect(try route(auth: #"{"accept":["none"]}"#).authMethods == [.anonymous])
    }

    @Test func acceptMustNameKnownMethodsOnce() throws {
        let unknown = try #require(refusal(#"{"accept":["jwt","basic"]}"#))
        #expect(unknown.field == "auth.accept[1]")
        #expect(unknown.detail?.contains("none, jwt, session, api-key") == true)
        #expect(refusal(#"{"mode":"oauth"}"#)?.field == "auth.mode")
        #expect(refusal(#"{"accept":[]}"#)?.field == "auth.accept")
        #expect(refusal(#"{"accept":["jwt","jwt"]}"#)?.field == "auth.accept[1]")
    }

    @Test func fieldsOnlyWhereTheirMethodIsAccepted() throws {
        let providers = try #require(refusal(#"{"accept":["api-key"],"providers":["corp"]}"#))
        #expect(providers.field == "auth.providers")
        #expect(providers.detail?.contains("accepts only api-key") == true)
        #expect(refusal(#"{"accept":["session"],"audiences":["a"]}"#)?.field == "auth.audiences")
        #expect(refusal(#"{"accept":["jwt"],"apiKeyHeader":"x-key"}"#)?.field == "auth.apiKeyHeader")
        #expect(refusal(#"{"mode":"none","scopes":["a"]}"#)?.field == "auth.scopes")
        #expect(refusal(#"{"groups":["eng"]}"#)?.field == "auth.groups")
        // Scopes and groups apply to every authenticated caller.
        _ = try route(auth: #"{"accept":["api-key"],"scopes":["a"],"groups":["g"]}"#)
        _ = try route(auth: #"{"accept":["session"],"providers":["corp"]}"#)
    }

    @Test func providersAreNames() {
        #expect(refusal(#"{"accept":["jwt"],"providers":["Corp"]}"#)?.field == "auth.providers[0]")
        #expect(refusal(#"{"accept":["jwt"],"providers":["corp","corp"]}"#)?.field == "auth.providers[1]")
        #expect(refusal(#"{"accept":["jwt"],"providers":[]}"#)?.field == "auth.providers")
    }

    @Test func listsAndValuesAreBounded() {
        let many = "[" + (0...64).map { "\"g\($0)\"" }.joined(separator: ",") + "]"
        #expect(refusal(#"{"accept":["jwt"],"groups":\#(many)}"#)?.field == "auth.groups")
        #expect(refusal(#"{"accept":["jwt"],"scopes":\#(many)}"#)?.field == "auth.scopes")
        #expect(refusal(#"{"accept":["jwt"],"audiences":\#(many)}"#)?.field == "auth.audiences")
        let manyProviders = "[" + (0...64).map { "\"p\($0)\"" }.joined(separator: ",") + "]"
        #expect(refusal(#"{"accept":["jwt"],"providers":\#(manyProviders)}"#)?.field == "auth.providers")
        let long = String(repeating: "a", count: 257)
        #expect(refusal(#"{"accept":["jwt"],"audiences":["\#(long)"]}"#)?.field == "auth.audiences[0]")
        #expect(refusal(#"{"accept":["jwt"],"groups":[""]}"#)?.field == "auth.groups[0]")
        #expect(refusal(#"{"accept":["jwt"],"scopes":["has space"]}"#)?.field == "auth.scopes[0]")
    }

    @Test(arguments: ["X-Api-Key", "x api key", "", "x-api-key:", "authorization", "cookie", "x-forwarded-for", "x-gatehouse-key", String(repeating: "k", count: 65)])
    func badAPIKeyHeaders(header: String) {
        #expect(refusal(#"{"accept":["api-key"],"apiKeyHeader":"\#(header)"}"#)?.field == "auth.apiKeyHeader")
    }

    @Test func goodAPIKeyHeaders() throws {
        for header in ["x-api-key", "apikey", "x-orders.key_v2"] {
            _ = try route(auth: #"{"accept":["api-key"],"apiKeyHeader":"\#(header)"}"#)
        }
    }

    @Test func unknownAuthMembersAreNamed() {
        #expect(refusal(#"{"accept":["jwt"],"provider":["corp"]}"#)?.field == "auth.provider")
    }
}
