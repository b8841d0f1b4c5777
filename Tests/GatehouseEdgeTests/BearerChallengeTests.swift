import Testing

@testable import GatehouseEdge

@Suite struct BearerChallengeTests {
    @Test func aRequestWithoutCredentialsGetsTheBareChallenge() {
        #expect(BearerChallenge.missing.headerValue == "Bearer realm=\"gatehouse\"")
    }

    @Test func refusalsNameTheirErrorCode() {
        let challenge = BearerChallenge(code: .invalidToken, description: "the token expired")
        #expect(challenge.headerValue == "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\"the token expired\"")
        let scope = BearerChallenge(code: .insufficientScope, description: nil, scopes: ["orders:read", "orders:write"])
        #expect(scope.headerValue == "Bearer realm=\"gatehouse\", error=\"insufficient_scope\", scope=\"orders:read orders:write\"")
    }

    @Test func descriptionsCannotBreakOutOfTheirQuotedString() {
        let hostile = BearerChallenge(code: .invalidToken, description: "kid \"x\\\", evil=\"1\"\r\nSet-Cookie: a=b é")
        let value = hostile.headerValue
        #expect(!value.contains("\r") && !value.contains("\n") && !value.contains("\\"))
        #expect(value.filter { $0 == "\"" }.count == 6, "\(value)")  // realm, error, description: three quoted strings
        let long = BearerChallenge(code: .invalidToken, description: String(repeating: "a", count: 5_000))
        #expect(long.headerValue.count < BearerChallenge.maxDescriptionLength + 80)
    }

    @Test func scopesThatAreNotScopeTokensAreLeftOut() {
        let challenge = BearerChallenge(code: .insufficientScope, description: nil, scopes: ["ok", "not ok", "bad\"", ""])
        #expect(challenge.headerValue.hasSuffix("scope=\"ok\""))
    }
}
