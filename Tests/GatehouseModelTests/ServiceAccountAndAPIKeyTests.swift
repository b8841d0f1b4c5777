import Foundation
import GatehouseModel
import Testing

/// What the models check on their own; PEM parsing and key generation are the control plane's.
@Suite struct ServiceAccountModelTests {
    private static let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"

    private func refusal(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
        do {
            let account = try StrictJSON.decode(ServiceAccount.self, from: Data(json.utf8))
            try account.validate()
            Issue.record("accepted: \(json)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            return error
        }
    }

    @Test func aValidAccountRoundTrips() throws {
        let account = ServiceAccount(name: "ci", description: "CI", publicKeys: [.init(pem: Self.pem)])
        try account.validate()
        let data = try StrictJSON.encoder.encode(account)
        #expect(try StrictJSON.decode(ServiceAccount.self, from: data) == account)
        #expect(account.subject(org: "acme") == "acme/ci")
    }

    @Test func refusesWhatItCanTellIsWrong() {
        #expect(refusal(#"{"name":"ci","publicKeys":[]}"#)?.field == "publicKeys")
        #expect(refusal(#"{"name":"ci"}"#) != nil)
        let nine = Array(repeating: #"{"pem":"x"}"#, count: 9).joined(separator: ",")
        #expect(refusal(#"{"name":"ci","publicKeys":[\#(nine)]}"#)?.field == "publicKeys")
        #expect(refusal(#"{"name":"ci","publicKeys":[{"pem":"  "}]}"#)?.field == "publicKeys[0].pem")
        let huge = String(repeating: "A", count: ServiceAccount.maxPEMBytes + 1)
        #expect(refusal(#"{"name":"ci","publicKeys":[{"pem":"\#(huge)"}]}"#)?.field == "publicKeys[0].pem")
        #expect(refusal(#"{"name":"ci","description":"","publicKeys":[{"pem":"x"}]}"#)?.field == "description")
        #expect(refusal(#"{"name":"ci","publicKeys":[{"pem":"x","extra":1}]}"#) != nil)
        #expect(refusal(#"{"name":"Not_A_Name","publicKeys":[{"pem":"x"}]}"#)?.field == "name")
    }
}

@Suite struct APIKeyModelTests {
    private func refusal(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
        do {
            let apiKey = try StrictJSON.decode(OrgAPIKey.self, from: Data(json.utf8))
            try apiKey.validate()
            Issue.record("accepted: \(json)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            return error
        }
    }

    @Test func aValidKeyIsAccepted() throws {
        let apiKey = try StrictJSON.decode(
            OrgAPIKey.self,
            from: Data(#"{"name":"ci","scopes":["deploy","read:logs"],"expiresAt":"2099-01-01T00:00:00Z","revoked":false}"#.utf8))
        try apiKey.validate()
        #expect(apiKey.isRevoked == false)
        #expect(OrgAPIKey(name: "ci").isRevoked == false)
    }

    @Test func refusesAKeyAPastExpiryAndBadScopes() {
        #expect(refusal(#"{"name":"ci","key":"gak_x"}"#)?.field == "key")
        #expect(refusal(#"{"name":"ci","expiresAt":"2001-01-01T00:00:00Z"}"#)?.field == "expiresAt")
        #expect(refusal(#"{"name":"ci","scopes":["a b"]}"#)?.field == "scopes[0]")
        #expect(refusal(#"{"name":"ci","scopes":["a","a"]}"#)?.field == "scopes[1]")
        let many = (0...64).map { #""s\#($0)""# }.joined(separator: ",")
        #expect(refusal(#"{"name":"ci","scopes":[\#(many)]}"#)?.field == "scopes")
        #expect(refusal(#"{"name":"ci","description":"\u0007"}"#)?.field == "description")
        #expect(refusal(#"{"name":"ci","expiresAt":"tomorrow"}"#) != nil)
    }

    @Test func anExpiryIsJudgedAgainstTheGivenNow() throws {
        let apiKey = OrgAPIKey(name: "ci", expiresAt: Date(timeIntervalSince1970: 100))
        try apiKey.validate(now: Date(timeIntervalSince1970: 99))
        #expect(throws: Problem.self) { try apiKey.validate(now: Date(timeIntervalSince1970: 100)) }
    }

    @Test func presentedDropsTheHashAndAnyKey() {
        var apiKey = OrgAPIKey(name: "ci")
        apiKey.keyId = "0123456789abcdef"
        apiKey.keyHash = "hash"
        apiKey.key = "gak_x"
        let shown = apiKey.presented()
        #expect(shown.keyId == "0123456789abcdef")
        #expect(shown.keyHash == nil && shown.key == nil)
        #expect(apiKey.carriesWriteOnlyValues)
    }
}
