import NIOHTTP1
import Testing

@testable import GatehouseEdge

@Suite struct PresentedCredentialTests {
    private func extract(_ headers: HTTPHeaders, apiKeyHeader: String = "x-api-key") -> Result<PresentedCredential?, PresentedCredential.Refusal> {
        PresentedCredential.extract(from: headers, apiKeyHeader: apiKeyHeader)
    }

    @Test func bearerTokensAreFoundWhateverTheSchemeCase() {
        #expect(extract(["authorization": "Bearer abc.def.ghi"]) == .success(.bearer("abc.def.ghi")))
        #expect(extract(["Authorization": "bearer   abc.def-_~+/=="]) == .success(.bearer("abc.def-_~+/==")))
        #expect(extract(["AUTHORIZATION": "BEARER x"]) == .success(.bearer("x")))
    }

    @Test func apiKeysComeFromTheirHeaderOrAsPrefixedBearerTokens() {
        #expect(extract(["x-api-key": "gak_id_secret"]) == .success(.apiKey("gak_id_secret")))
        #expect(extract(["X-Team-Key": " k "], apiKeyHeader: "x-team-key") == .success(.apiKey("k")))
        #expect(extract(["authorization": "Bearer gak_id_secret"]) == .success(.apiKey("gak_id_secret")))
    }

    @Test func noCredentialOrAnotherSchemeIsNil() {
        #expect(extract([:]) == .success(nil))
        #expect(extract(["authorization": "Basic dXNlcjpwYXNz"]) == .success(nil))
        #expect(extract(["authorization": "Bearerish token"]) == .success(nil))
    }

    @Test func twoCredentialsAreRefused() {
        var two: HTTPHeaders = ["authorization": "Bearer a"]
        two.add(name: "Authorization", value: "Bearer b")
        #expect(extract(two) == .failure(.multiple))
        #expect(extract(["authorization": "Bearer a", "x-api-key": "k"]) == .failure(.multiple))
        #expect(extract(["authorization": "Basic eA==", "x-api-key": "k"]) == .failure(.multiple))
    }

    @Test func malformedBearerValuesAreRefused() {
        for value in ["Bearer", "Bearer ", "Bearer a b", "Bearer a=b", "Bearer a\u{7F}", "Bearer ä"] {
            #expect(extract(["authorization": value]) == .failure(.malformed), "\(value)")
        }
    }

    @Test func oversizedTokensAreRefusedBeforeParsing() {
        let big = String(repeating: "a", count: PresentedCredential.maxTokenBytes + 1)
        #expect(extract(["authorization": "Bearer " + big]) == .failure(.tooLarge))
        let fits = String(repeating: "a", count: PresentedCredential.maxTokenBytes)
        #expect(extract(["authorization": "Bearer " + fits]) == .success(.bearer(fits)))
    }
}
